"""Text edits for `flowc migrate`: changes spliced into the file's own text at the spans the
loader gives, so every byte migrate does not change stays as the user wrote it.

Why splices and not ruamel's round-trip dumper: dumping a round-trip tree re-indents folded and
literal block scalars, drops a leading `---`, and moves a comment written before a `!Flow` tag
after it (docs/decisions.md, "flowc migrate"). A splice changes only the characters of a key, a
value or a line it names; the loader (ruamel's parser, flowc's syntax tree) says where they are.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .syntax import Mapping, Node, Scalar, Sequence, Span

_BREAK = re.compile(r"\r\n|\r|\n")
PREFIX = "flowc migrate: "  # starts every comment migrate writes
_PROPERTIES = re.compile(r"(?:[!&][^\s{\[]*\s*)*")


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace text[start:end] with `text`; `what` says why, for the summary."""

    start: int
    end: int
    text: str
    what: str


class Text:
    """The file's text with line offsets, to turn the loader's (line, col) into offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        found = _BREAK.search(text)
        self.newline = found.group(0) if found else "\n"
        self.starts = [0] + [m.end() for m in _BREAK.finditer(text)]

    def offset(self, line: int, col: int) -> int:
        """Offset of a 1-based (line, col); a line past the end is the end of the text."""
        if line > len(self.starts):
            return len(self.text)
        return min(self.starts[line - 1] + col - 1, len(self.text))

    def line_text(self, line: int) -> str:
        """Line `line` (1-based) without its line break."""
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return _BREAK.sub("", self.text[start:end], count=1)

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, col) of an offset."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def before(self, span: Span) -> str:
        """The text of the span's line before the span."""
        return self.line_text(span.line)[:span.col - 1]

    def source(self, span: Span) -> str:
        return self.text[self.offset(span.line, span.col):self.offset(span.end_line, span.end_col)]

    def is_flow(self, node: Node) -> bool:
        """Whether a mapping or list is written in flow style (`{...}`, `[...]`)."""
        at = self.offset(node.span.line, node.span.col)
        found = _PROPERTIES.match(self.text, at)  # a span may start at the node's tag or anchor
        at = found.end() if found else at
        return self.text[at:at + 1] in ("{", "[")

    def last_line(self, node: Node, floor: int) -> int:
        """The last line holding part of `node` (a block collection's span ends where the next
        token starts; a block scalar's at column 1 of the line after it), at least `floor`."""
        last = floor
        stack = [node]
        while stack:
            here = stack.pop()
            span = here.span
            if isinstance(here, Mapping):
                stack.extend(v for _, v in here.items)
                stack.extend(k for k, _ in here.items)
            elif isinstance(here, Sequence):
                stack.extend(here.items)
            if isinstance(here, Scalar) and here.value is None and _empty(span):
                continue  # an empty value: its span is where the next token starts
            if isinstance(here, Scalar) or self.is_flow(here):
                end = span.end_line - 1 if span.end_col == 1 and span.end_line > span.line \
                    else span.end_line
                last = max(last, end)
        while last > floor and not self.line_text(last).strip():
            last -= 1
        return last

    def insert_line(self, before_line: int, indent: int, text: str, what: str) -> Edit:
        """A new line `text` at column `indent` + 1, before line `before_line`."""
        at = self.starts[before_line - 1] if before_line <= len(self.starts) else len(self.text)
        line = " " * indent + text + self.newline
        if at == len(self.text) and self.text and not self.text.endswith(("\n", "\r")):
            line = self.newline + line.removesuffix(self.newline)
        return Edit(at, at, line, what)

    def comment_lines(self, first: int, last: int, col: int, what: str) -> list[Edit]:
        """`# ` put at column `col` (1-based) of every non-blank line from `first` to `last`,
        or at the line's own indentation when it is less indented."""
        edits = []
        for number in range(first, last + 1):
            line = self.line_text(number)
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip(" "))
            at = self.starts[number - 1] + min(indent, col - 1)
            edits.append(Edit(at, at, "# ", what))
        return edits


def _empty(span: Span) -> bool:
    return (span.line, span.col) == (span.end_line, span.end_col)


def apply(text: str, edits: list[Edit]) -> tuple[str, list[Edit]]:
    """The text with every edit that overlaps no earlier one applied, and the applied edits.

    Edits at the same offset that insert (start == end) all apply, in the order given; an edit
    equal to one already applied is dropped."""
    applied: list[Edit] = []
    taken: list[tuple[int, int]] = []
    for index, edit in sorted(enumerate(edits), key=lambda e: (e[1].start, e[1].end, e[0])):
        if edit in applied or any(_overlap(edit, start, end) for start, end in taken):
            continue  # the same edit twice: one node reached through an alias
        taken.append((edit.start, edit.end))
        applied.append(edit)
    out, at = [], 0
    for edit in applied:  # sorted by start
        out.append(text[at:edit.start])
        out.append(edit.text)
        at = edit.end
    out.append(text[at:])
    return "".join(out), applied


def back(offset: int, applied: list[Edit]) -> int:
    """Where `offset` in the edited text was before `applied` (sorted, as `apply` returns
    them); an offset inside inserted text maps to where the insertion was made."""
    delta = 0
    for edit in applied:
        start = edit.start + delta
        if offset < start:
            break
        if offset < start + len(edit.text):
            return edit.start
        delta += len(edit.text) - (edit.end - edit.start)
    return offset - delta


def _overlap(edit: Edit, start: int, end: int) -> bool:
    if edit.start == edit.end or start == end:  # an insertion touches nothing
        return start < edit.start < end or edit.start < start < edit.end
    return edit.start < end and start < edit.end


_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./:@+=-]*")


def scalar_text(value: str, like: str) -> str:
    """`value` written as a YAML scalar, in the quotes of `like` (the text it replaces) when that
    was quoted, else plain when plain is safe, else single-quoted."""
    quote = like[:1] if like[:1] in ("'", '"') else ""
    if not quote and _PLAIN_SAFE.fullmatch(value) and ": " not in value:
        return value
    if quote == '"':
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "'" + value.replace("'", "''") + "'"
