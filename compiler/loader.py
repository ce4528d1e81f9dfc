"""Phase 1 — load: bytes → a frozen `syntax.Node` tree with a `Span` on every node.

Why events and not a YAML library's loader: a loader constructs Python objects (tags can name
classes) and recurses (deep nesting raises RecursionError). flowc reads the pure-Python
ruamel.yaml parser's *events* and builds the tree itself, in a loop, so it can

- construct nothing from tags: a local tag `!Name` (Name an identifier) is kept in `node.tag`
  (the check phase reads a leading `!Flow` as `jtype: Flow`); the standard tags `!!str !!int
  !!float !!bool !!null !!map !!seq` apply their type; every other tag is FC108;
- bound everything before it costs anything: file size (FC103, checked with stat before
  reading and again on the bytes), nesting depth (FC104, counted with aliases expanded), alias
  events and the number of nodes after alias expansion (FC105 — this is what defeats "billion
  laughs"), scalar length (FC106);
- point every diagnostic at a line and column (1-based, end exclusive, columns in characters).

Scalar typing follows the YAML 1.2 *core* schema: `null`/`Null`/`NULL`/`~`/empty are null,
`true`/`false` (three spellings each) are booleans, decimal, `0o` octal and `0x` hex integers,
floats including `.inf`/`-.inf`/`.nan`; everything else is a string. Only plain scalars are
typed; quoted and block scalars stay strings. This is a deliberate difference from Jina, which
loads YAML 1.1 with PyYAML: there `yes`, `no`, `on`, `off`, `y`, `n` are booleans and `010` is
octal; in flowc they are the strings `'yes'`, `'on'`, ... and the integer 10. A `%YAML 1.1`
directive does not change this. Integers too long for Python's int() stay strings.

Aliases are expanded by reusing the anchored (frozen) node. `<<` merge keys (YAML 1.1, common in
Flow files) are supported: the value is a mapping or a list of mappings; explicit keys win over
merged ones, earlier mappings in a merge list win over later ones, and merged keys take the place
of the `<<` entry. Duplicate explicit keys are FC107 (the first one is kept), compared as the
later phases see them (`str(key)`). A mapping or list used as a key is FC112 (the entry is
dropped). Structural errors (syntax, encoding, limits, several documents) return no tree;
FC107/FC108/FC112/FC113/FC114 keep a usable tree so later phases can report more in one run.

The tree of a tagged scalar starts its span at the scalar's text, after its tag and anchor, so
substitution can add offsets inside the scalar to the span's start.

This module prepares the text (size, encoding, quick pre-flight checks), drives the parser and
words its errors; `yamltree.py` turns the events into nodes.
"""

from __future__ import annotations

import os
import re
import stat
from types import SimpleNamespace
from typing import Any

from ruamel.yaml import error as ruamel_error
from ruamel.yaml import events, parser, reader, scanner

from .diagnostics import Diagnostic, Related, error
from .sources import text_encoding
from .syntax import Node, Scalar, Span
from .yamltree import DEFAULT_LIMITS, Builder, Limits, Stop, resolve_plain

__all__ = ["Limits", "DEFAULT_LIMITS", "load_text", "load_file", "resolve_plain"]

_BREAK = re.compile(r"\r\n|\r|\n")
_UTF8_BOM = b"\xef\xbb\xbf"


# --- the parts of ruamel.yaml the loader drives ----------------------------------------------
# (`import ruamel.yaml` runs the whole library's __init__: ~10 ms of a cold `flowc validate`
# measured against importing only these modules; paid in full since issue 9 removed the trick
# that skipped it.)

class _Scanner(scanner.Scanner):  # type: ignore[misc]
    reader = None  # a plain attribute instead of ruamel's property lookup on every use

    def __init__(self, host: Any) -> None:
        self.reader = host._reader
        super().__init__(host)


class _Parser(parser.Parser):  # type: ignore[misc]
    scanner = resolver = None  # the same, for the parser's most frequent lookups

    def __init__(self, host: Any) -> None:
        self.scanner, self.resolver = host._scanner, host
        super().__init__(host)


_RUAMEL = SimpleNamespace(
    Reader=reader.Reader, ReaderError=reader.ReaderError, Scanner=_Scanner, Parser=_Parser,
    MarkedYAMLError=ruamel_error.MarkedYAMLError, YAMLError=ruamel_error.YAMLError,
    ScalarEvent=events.ScalarEvent, AliasEvent=events.AliasEvent,
    MappingStartEvent=events.MappingStartEvent, MappingEndEvent=events.MappingEndEvent,
    SequenceStartEvent=events.SequenceStartEvent, SequenceEndEvent=events.SequenceEndEvent,
    DocumentStartEvent=events.DocumentStartEvent, DocumentEndEvent=events.DocumentEndEvent,
    StreamEndEvent=events.StreamEndEvent,
)


class _Host:
    """The object ruamel's reader, scanner and parser expect to find each other through."""

    processing_version = (1, 2)
    comment_handling = None

    def __init__(self, text: str) -> None:
        r = _RUAMEL
        self._reader = self._scanner = self._parser = None
        self._resolver = self
        self.doc_infos = [SimpleNamespace(doc_version=None, tags=[])]  # %YAML directives land here
        r.Reader(text, self)
        r.Scanner(self)
        r.Parser(self)


# --- errors from ruamel, in plain words -----------------------------------------------------

_JARGON = [
    ("<stream end>", "the end of the file"), ("<block end>", "the end of an indented block"),
    ("<block mapping start>", "a new indented mapping"),
    ("<block sequence start>", "a new indented list"), ("<block entry>", "a '- ' list item"),
    ("<document start>", "'---'"), ("<document end>", "'...'"),
    ("<scalar>", "a value"), ("<alias>", "an alias"), ("<anchor>", "an anchor"), ("<tag>", "a tag"),
    ("<flow mapping end>", "'}'"), ("<flow sequence end>", "']'"), ("<key>", "a key"),
    ("<value>", "':'"), ("<flow entry>", "','"),
]

_THING = {"flow sequence": "list", "flow mapping": "mapping", "block mapping": "mapping",
          "block collection": "indented block", "block sequence": "list",
          "quoted scalar": "quoted string", "double-quoted scalar": "quoted string",
          "simple key": "key", "block scalar": "block text", "plain scalar": "value",
          "node": "value", "block node": "value"}

# (pattern, message, hint); patterns stay strings so importing the loader compiles none of them.
_EXPLAIN: list[tuple[str, str, str]] = [
    (r"found character '\\t' that cannot start any token",
     "a tab character cannot be used for indentation", "YAML indents with spaces only"),
    (r"found character '(.)' that cannot start any token",
     "a value cannot start with '{0}'", "put the value in quotes"),
    (r"mapping values are not allowed here",
     "unexpected ':' here", "check the indentation of this line, or quote a value that "
     "contains ': '"),
    (r"could not find expected ':'",
     "expected ':' after this key", "a key and its value are written 'key: value'"),
    (r"found unexpected end of stream",
     "the file ends inside a quoted string", "close the string with its matching quote"),
    (r"expected ',' or '\]'",
     "expected ',' or ']' in this list", "close the list with ']'"),
    (r"expected ',' or '\}'",
     "expected ',' or '}' in this mapping", "close the mapping with '}'"),
    (r"expected <block end>, but found '<block (mapping|sequence) start>'",
     "bad indentation: this line does not line up with the lines before it",
     "indent it exactly like its siblings (the same number of spaces)"),
    (r"expected <block end>, but found '-'",
     "a '- ' list item is not allowed here", "check the indentation of this line"),
    (r"expected <block end>, but found '\?'",
     "a key is not allowed here", "check the indentation: a list and a mapping cannot share "
     "one level"),
    (r"expected <block end>, but found '([\]}])'",
     "unexpected '{0}' here: nothing is open for it to close", "remove it, or add the opening "
     "bracket"),
    (r"expected the node content, but found '(.)'",
     "expected a value, found '{0}'", "write a value here, or remove the '{0}'"),
    (r"expected '<document start>'",
     "unexpected text after the top-level value", "check the indentation, or quote the "
     "whole value"),
    (r"expected alphabetic or numeric character",
     "an alias '*' or anchor '&' needs a name right after it", "write e.g. '&defaults' and "
     "'*defaults'"),
    (r"found undefined tag handle '([^']*)'",
     "unknown tag handle '{0}'", "flowc accepts '!Name' (meaning 'jtype: Name') and the "
     "standard '!!' tags"),
    (r"expected <block end>, but found '<scalar>'",
     "bad indentation: a value is not allowed here", "check the indentation of this line"),
    (r"found unknown escape character '(.)'",
     "unknown escape '\\{0}' in a double-quoted string",
     "write '\\\\' for a backslash, or use single quotes"),
    (r"found (?:a )?tab character",
     "a tab character cannot be used here", "YAML indents with spaces only"),
]


def _syntax_diagnostic(exc: Any, file: str) -> Diagnostic:
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    message, hint = None, None
    for pattern, words, advice in _EXPLAIN:
        found = re.search(pattern, problem)
        if found:
            group = found.group(1) if found.groups() else ""
            message, hint = words.replace("{0}", group), advice.replace("{0}", group)
            break
    if message is None:
        message = problem
        for jargon, plain in _JARGON:
            message = message.replace(f"'{jargon}'", plain).replace(jargon, plain)
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if message.startswith("a tab character") and not _at_line_start(mark):
        message, hint = "a tab character cannot be used here", "use spaces around values"
    span = Span(file, line, col, line, col + 1)
    related = []
    context_mark = exc.context_mark
    if exc.context and context_mark is not None and context_mark is not mark:
        what = re.sub(r"^while (?:scanning|parsing) an? ", "", exc.context.strip())
        label = f"the {_THING.get(what, what)} starts here"
        cl, cc = context_mark.line + 1, context_mark.column + 1
        if (cl, cc) != (line, col):
            related.append(Related(Span(file, cl, cc, cl, cc + 1), label))
    return error("FC101", message[:1].lower() + message[1:], span, hint=hint, related=related)


def _at_line_start(mark: Any) -> bool:
    """Whether only blanks stand before `mark` on its line (so a tab there is indentation)."""
    text, pointer = getattr(mark, "buffer", None), getattr(mark, "pointer", None)
    if not isinstance(text, str) or not isinstance(pointer, int):
        return True
    start = max(text.rfind("\n", 0, pointer), text.rfind("\r", 0, pointer)) + 1
    return text[start:pointer].strip(" \t") == ""


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index, counting \\r\\n, \\r and \\n as breaks."""
    before = text[:index]
    breaks = _BREAK.findall(before)
    last = max(before.rfind("\n"), before.rfind("\r"))
    return len(breaks) + 1, index - last


# --- pre-flight: bytes → text ---------------------------------------------------------------

def _too_large(size: int, file: str, limits: Limits, unit: str = "bytes") -> Diagnostic:
    return error("FC103", f"file is {size:,} {unit}, more than the limit of "
                 f"{limits.max_bytes:,}", Span(file, 1, 1, 1, 1),
                 hint="Flow files are small; check that this is the right file")


def _decode(data: bytes, file: str) -> tuple[str | None, Diagnostic | None]:
    encoding = text_encoding(data)  # the renderer decodes such a file with the same rule
    if encoding is not None:
        marked = data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))
        how = "it starts with a byte-order mark" if marked else "it has no byte-order mark"
        source = encoding[:6] if marked else encoding  # iconv reads the mark itself
        return None, error("FC102", f"file is {encoding} encoded ({how}); flowc reads UTF-8",
                           Span(file, 1, 1, 1, 1),
                           hint=f"save the file as UTF-8 (e.g. `iconv -f {source} -t UTF-8`)")
    body = data[3:] if data.startswith(_UTF8_BOM) else data
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        bad = exc.start
        line_start = max(body.rfind(b"\n", 0, bad), body.rfind(b"\r", 0, bad)) + 1
        line = len(_BREAK.findall(body[:line_start].decode("utf-8", "replace"))) + 1
        col = len(body[line_start:bad].decode("utf-8", "replace")) + 1
        return None, error(
            "FC102", f"file is not valid UTF-8: byte 0x{body[bad]:02x} cannot appear here",
            Span(file, line, col, line, col + 1), hint="save the file as UTF-8")


# The key cannot start with a space, nor with "- " (already taken by the indentation group): that
# keeps the two groups from competing for the same characters, so a line of many spaces or
# dashes costs linear time instead of quadratic (a 1 MB file of deep indentation took 10 s).
_BLOCK_HEADER = (r"^([ ]*(?:-[ ]+)*)(?:(?:[^ \-#\n]|-[^ #\n])[^#\n]*?:[ ]+)?"
                 r"[|>][-+1-9]{0,2}[ \t]*(?:#.*)?$")
_HINT_LARGE = "keep large data out of the Flow file (e.g. in a file the executor reads)"
# A quoted scalar where a value can start (after indentation and '- ', ': ', '? ', '[', '{', ',').
_QUOTED = (r"(?m)(?:^[ \t]*(?:-[ \t]+)*|[:?][ \t]+|[\[{,][ \t]*)"
           r"(\"[^\"\\]*(?:\\.[^\"\\]*)*\"?|'[^']*(?:''[^']*)*'?)")


def _preflight(text: str, file: str, limits: Limits) -> Diagnostic | None:
    """Limits found by a quick look at the text, before the pure-Python scanner runs.

    The scanner costs about half a microsecond per character and looks up to 1,024 characters
    ahead for every '[' on a line, so a 2 MB scalar or a line of 5,000 '[' would take most of a
    second to reach the builder's exact checks. These text-level checks find the usual shapes of
    both at once (a run of opening brackets; a long line, quoted scalar or block scalar, looked
    for only in files longer than the scalar limit); the builder still checks every scalar and
    every depth exactly. They can be fooled only by quotes or brackets inside comments or block
    text that span more than the limit, which no real Flow file has.
    """
    deep = re.search(r"(?:^|[:,\[{?-])[ \t]*((?:[\[{][ \t\r\n]*){%d})" % (limits.max_depth + 1),
                     text, re.MULTILINE)
    if deep:
        index = deep.start(1) + len(deep.group(1).rstrip()) - 1  # the first bracket too many
        line, col = _position(text, index)
        return error("FC104", f"nesting is deeper than {limits.max_depth} levels",
                     Span(file, line, col, line, col + 1),
                     hint="flatten the structure; no Flow file needs this depth")
    if len(text) <= limits.max_scalar_chars:
        return None
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if len(line) > limits.max_scalar_chars:
            col = len(line) - len(line.lstrip(" ")) + 1
            return error(
                "FC106", f"line {number} is {len(line):,} characters long; flowc accepts "
                f"scalars and lines of up to {limits.max_scalar_chars:,} characters",
                Span(file, number, col, number, len(line) + 1), hint=_HINT_LARGE)
    for quoted in re.finditer(_QUOTED, text):
        if len(quoted.group(1)) > limits.max_scalar_chars:
            line, col = _position(text, quoted.start(1))
            return error(
                "FC106", f"quoted scalar is about {len(quoted.group(1)):,} characters long, more "
                f"than the limit of {limits.max_scalar_chars:,}",
                Span(file, line, col, line, col + 1), hint=_HINT_LARGE)
    line, counted = 1, 0
    for header in re.finditer(_BLOCK_HEADER, text, re.MULTILINE):
        line += text.count("\n", counted, header.start())
        counted = header.start()
        size = _block_size(lines, line, header)
        if size > limits.max_scalar_chars:
            col = header.group(0).rfind("|") + 1 or header.group(0).rfind(">") + 1
            return error(
                "FC106", f"block scalar is about {size:,} characters long, more than the limit "
                f"of {limits.max_scalar_chars:,}", Span(file, line, col, line, col + 1),
                hint=_HINT_LARGE)
    return None


def _block_size(lines: list[str], line: int, header: re.Match[str]) -> int:
    """Characters in the lines indented deeper than the node that owns the block scalar."""
    owner = len(header.group(1))
    rest = header.group(0)[owner:].lstrip()
    if rest[:1] in "|>" and header.group(1).rstrip():
        owner = len(header.group(1).rstrip()) - 1  # `- |`: the list item's dash owns it
    size = 0
    for number in range(line, len(lines)):  # no slicing: this runs once per block scalar
        text = lines[number]
        stripped = text.lstrip(" ")
        if stripped.strip() and len(text) - len(stripped) <= owner:
            break
        size += len(text) + 1
    return size


# --- public API -----------------------------------------------------------------------------

def load_text(data: bytes | str, file: str, *,
              limits: Limits = DEFAULT_LIMITS) -> tuple[Node | None, list[Diagnostic]]:
    """Parse one YAML document into a syntax tree; never raises for any input."""
    if len(data) > limits.max_bytes:
        unit = "bytes" if isinstance(data, bytes) else "characters"
        return None, [_too_large(len(data), file, limits, unit)]
    if isinstance(data, bytes):
        text, problem = _decode(data, file)
        if problem is not None:
            return None, [problem]
    else:
        text = data[1:] if data.startswith("\ufeff") else data
    assert text is not None
    problem = _preflight(text, file, limits)
    if problem is not None:
        return None, [problem]
    return _parse(text, file, limits)


def load_file(path: str | os.PathLike[str], *, display_name: str | None = None,
              limits: Limits = DEFAULT_LIMITS) -> tuple[Node | None, list[Diagnostic]]:
    """Read and load a file; size is checked (stat) before reading; I/O errors are FC109."""
    file = display_name if display_name is not None else os.fspath(path)
    where = Span(file, 1, 1, 1, 1)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            return None, [error("FC109", f"cannot read {file}: it is a directory", where)]
        if info.st_size > limits.max_bytes:
            return None, [_too_large(info.st_size, file, limits)]
        with open(path, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)  # bounded even for /dev/zero or a FIFO
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return None, [error("FC109", f"cannot read {file}: {reason}", where)]
    return load_text(data, file, limits=limits)


def _parse(text: str, file: str, limits: Limits) -> tuple[Node | None, list[Diagnostic]]:
    r = _RUAMEL
    builder = Builder(file, limits)
    try:
        parser = _Host(text)._parser
        parser.get_event()  # stream start
        event = parser.get_event()
        if type(event) is r.StreamEndEvent:
            return None, [_empty(file)]
        root = builder.build(parser, r)
        parser.get_event()  # document end
        after = parser.get_event()
        if type(after) is not r.StreamEndEvent:
            return None, [error(
                "FC111", "a second YAML document starts here; a flowc file holds one",
                builder.span(after.start_mark, after.end_mark),
                hint="split the documents into separate files")]
    except Stop as stop:
        return None, [stop.diagnostic]
    except r.MarkedYAMLError as exc:
        return None, [_syntax_diagnostic(exc, file)]
    except r.ReaderError as exc:
        line, col = _position(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else 0
        return None, [error(
            "FC101", f"character U+{code:04X} is not allowed in YAML text",
            Span(file, line, col, line, col + 1),
            hint='remove it, or write it as an escape inside double quotes (e.g. "\\x07")')]
    except (r.YAMLError, ValueError, IndexError, TypeError, AttributeError) as exc:
        # ruamel raised something other than its located errors: still an answer, not a crash.
        return None, [error("FC101", f"the YAML parser gave up: {exc}", Span(file, 1, 1, 1, 1))]
    if isinstance(root, Scalar) and root.style == "" and root.tag is None and \
            (root.span.line, root.span.col) == (root.span.end_line, root.span.end_col):
        return None, [_empty(file)]  # only '---', '...' or comments
    return root, builder.diags


def _empty(file: str) -> Diagnostic:
    return error("FC110", "the file holds no YAML document (it is empty or only comments)",
                 Span(file, 1, 1, 1, 1), hint="a Flow file starts with 'jtype: Flow'")
