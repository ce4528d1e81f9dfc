"""The substitution grammar's front: the text of one scalar → `Part`s with character offsets,
and where a part sits in the file (`part_span`), so a diagnostic points at the exact `${...}`.

`substitution.lark` is the grammar (LALR, contextual lexer). lark is imported and the parser built
only when a scalar contains `$`, once per process; the parse tables are cached per user (see
`_cache_file`). Results are cached by text, so a value repeated in every entry is parsed once.
`flowc.compiler.substitute` evaluates the parts.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .cache import cache_dir
from .syntax import Mapping, Node, Scalar, Sequence, Span

__all__ = ["TEXT", "ENV", "CONTEXT", "REF", "Part", "Fault", "parse_parts", "part_span",
           "format_path", "no_child", "children_hint"]

TEXT, ENV, CONTEXT, REF = "text", "env", "context", "ref"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a scalar's text; `start`/`end` are character offsets inside the scalar.

    kind TEXT: `value` is the literal text (`$$` already turned into `$`). ENV/CONTEXT: `value` is
    the variable name, `op` one of '', ':-', '-', ':?', '?', `arg` the default or message. REF:
    `path` starts with 'root' or 'this'. `source` is the form as written.
    """

    kind: str
    start: int
    end: int
    source: str
    value: str = ""
    op: str = ""
    arg: str | None = None
    path: tuple[str | int, ...] = ()


@dataclass(frozen=True, slots=True)
class Fault:
    """Why a scalar's text is malformed: FC303 (syntax) or FC308 (unknown expression), where."""

    code: str
    start: int
    end: int
    message: str


# --- parsing one scalar (lark, built lazily once per process) ---------------------------------

@lru_cache(maxsize=1)
def _parser() -> Any:
    import lark  # 30-40 ms, only when a scalar contains `$`

    grammar = (Path(__file__).with_name("substitution.lark")).read_text(encoding="utf-8")
    options: dict[str, Any] = {"parser": "lalr", "lexer": "contextual"}
    cache = _cache_file()
    if cache:
        options["cache"] = cache
    return lark.Lark(grammar, **options)


def _cache_file() -> str | None:
    """Where lark keeps the parse tables (saves ~25 ms per process): the per-user cache folder
    (`flowc.compiler.cache`), which lark's pickle is read from only when nobody else can write it.

    Lark checks the grammar's hash in the file and rebuilds (and rewrites) a stale or unreadable
    one, so a missing or read-only folder only costs the 25 ms.
    """
    folder = cache_dir()
    if folder is None:
        return None
    return str(folder / f"substitution-py{sys.version_info[0]}{sys.version_info[1]}.lark")


def parse_parts(text: str) -> tuple[Part, ...] | Fault:
    """The parts of one scalar's text, or the fault that makes it malformed (short texts, the
    usual `${{ ENV.X }}` repeated in every entry, are cached)."""
    return _parse_cached(text) if len(text) <= 256 else _parse(text)


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> tuple[Part, ...] | Fault:
    return _parse(text)


def _parse(text: str) -> tuple[Part, ...] | Fault:
    import lark  # 30-40 ms, only when a scalar contains `$` (as in _parser)

    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        pos = getattr(exc, "pos_in_stream", None)
        pos = len(text) if pos is None or pos < 0 else min(pos, len(text))
        start = text.rfind("${", 0, pos + 1)
        start = start if start >= 0 else pos
        closer = "}}" if text.startswith("${{", start) else "}"  # quote the whole form
        close = text.find(closer, pos)
        end = close + len(closer) if close >= 0 else len(text)
        shown = text[start:end] if end - start <= 60 else text[start:start + 57] + "..."
        return Fault("FC303", start, max(end, start + 1), f"malformed substitution `{shown}`")
    parts: list[Part] = []
    for node in tree.children:
        tokens = [t for t in node.children if t is not None]
        start, end = tokens[0].start_pos, tokens[-1].end_pos
        source = text[start:end]
        kind = node.data
        if kind == "text":
            parts.append(Part(TEXT, start, end, source, source))
        elif kind in ("escape", "lone"):
            parts.append(Part(TEXT, start, end, source, "$"))
        elif kind == "simple":
            parts.append(Part(ENV, start, end, source, source[1:]))
        elif kind == "braced":
            name, op, arg = node.children[1], node.children[2], node.children[3]
            parts.append(Part(ENV, start, end, source, str(name), str(op or ""),
                              None if arg is None else str(arg)))
        else:
            part = _expression(node.children[1], start, end, source)
            if isinstance(part, Fault):
                return part
            parts.append(part)
    return tuple(parts)


def _expression(path_tree: Any, start: int, end: int, source: str) -> Part | Fault:
    """Classify `${{ a.b[0] }}`: ENV./env., CONTEXT./context., root/this references, or a name."""
    path: tuple[str | int, ...] = tuple(
        int(tok) if tok.type == "INDEX" else str(tok) for tok in path_tree.children)
    head = path[0]
    if head in ("root", "this"):
        return Part(REF, start, end, source, path=path)
    if len(path) == 2 and isinstance(path[1], str) and head in ("ENV", "env", "CONTEXT", "context"):
        return Part(ENV if head in ("ENV", "env") else CONTEXT, start, end, source, path[1])
    if len(path) == 1 and isinstance(head, str) and _IDENT.match(head):
        return Part(CONTEXT, start, end, source, head)
    return Fault("FC308", start, end, f"unknown expression `{source}`")


# --- where a part is in the file ---------------------------------------------------------------

def part_span(scalar: Scalar, start: int, end: int) -> Span:
    """The columns of a form inside its scalar when the source text is the value itself
    (single-line plain, or quoted without escapes); otherwise the whole scalar's span."""
    span, text = scalar.span, scalar.value
    if span.line != span.end_line or not isinstance(text, str) or "\n" in text:
        return span
    width = span.end_col - span.col
    if scalar.style == "" and width == len(text):
        offset = 0
    elif scalar.style in ("'", '"') and width == len(text) + 2:
        offset = 1
    else:
        return span
    return Span(span.file, span.line, span.col + offset + start, span.line, span.col + offset + end)


def format_path(path: tuple[str | int, ...], head: str = "root") -> str:
    """`root.a.b[0].c` for a node path (JSON-Schema style tuple)."""
    out = [head]
    for step in path:
        out.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return "".join(out)


# --- words about references that miss ------------------------------------------------------

def no_child(node: Node, step: str | int) -> str:
    """Why a reference cannot take `step` from `node`, in the user's words."""
    if isinstance(node, Scalar):
        return f"cannot look up {_step(step)} in a single value"
    if isinstance(node, Sequence):
        if isinstance(step, int):
            count = len(node.items)
            return (f"index [{step}] is out of range (the list has {count} "
                    f"item{'' if count == 1 else 's'})")
        return f"cannot look up `{step}` in a list (use an index like [0])"
    if isinstance(step, int):
        return f"cannot use an index [{step}] on a mapping (use .key)"
    return f"no key `{step}` here"


def _step(step: str | int) -> str:
    return f"[{step}]" if isinstance(step, int) else f"`{step}`"


def children_hint(node: Node) -> str | None:
    """The keys a reference could have named instead."""
    if isinstance(node, Mapping) and node.items:
        keys = node.keys()
        return "existing keys are: " + ", ".join(keys[:12]) + (", ..." if len(keys) > 12 else "")
    return None
