"""Inputs of substitution given on the command line: `--env-file`, `--context`, `--context-file`.

Each reader returns `(values, diagnostics)` and never raises for bad input; every diagnostic is
located (a line of the file, or the `--context` argument).

The `--env-file` format is the dotenv format docker compose reads:
- `KEY=VALUE` per line; an optional `export ` prefix; spaces around `=` are allowed;
- blank lines and lines starting with `#` are skipped; in an unquoted value, ` #` starts a comment
  (a `#` with no whitespace before it is part of the value, e.g. `COLOR=#fff`);
- `KEY=` is the empty string; a line with no `=` is an error (write `KEY=` for an empty value);
- 'single quotes' keep the text as it is; "double quotes" understand \\n \\t \\r \\\\ \\" \\' \\$
  (any other backslash is kept); both may span several lines; after the closing quote only
  whitespace or a comment may follow;
- values are literal: no `${...}` interpolation inside the file; a later line wins over an
  earlier one for the same key.
"""

from __future__ import annotations

import os
import re
from typing import Any

from .diagnostics import Diagnostic, error
from .loader import load_file, resolve_plain
from .syntax import Mapping, Sequence, Span, to_python

__all__ = ["parse_env_file", "parse_env_text", "parse_context_args", "load_context_file"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXPORT = re.compile(r"export[ \t]+")
_COMMENT = re.compile(r"[ \t]+#")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "$": "$"}
MAX_ENV_FILE_BYTES = 10 * 1024 * 1024


def parse_env_file(path: str | os.PathLike[str]) -> tuple[dict[str, str], list[Diagnostic]]:
    """Read a dotenv file (see the module docstring for the format)."""
    name = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_ENV_FILE_BYTES + 1)
    except OSError as exc:
        return {}, [error("FC311", f"cannot read --env-file {name}: {exc.strerror or exc}",
                          Span(name, 1, 1, 1, 1))]
    if len(data) > MAX_ENV_FILE_BYTES:
        return {}, [error("FC311", f"--env-file {name} is larger than "
                          f"{MAX_ENV_FILE_BYTES // (1024 * 1024)} MiB", Span(name, 1, 1, 1, 1))]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return {}, [error("FC311", f"--env-file {name} is not valid UTF-8",
                          Span(name, line, col, line, col + 1), hint="save the file as UTF-8")]
    return parse_env_text(text, name)


def parse_env_text(text: str, name: str) -> tuple[dict[str, str], list[Diagnostic]]:
    """Parse dotenv text; `name` is the file name spans show."""
    values: dict[str, str] = {}
    diags: list[Diagnostic] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        start = i
        i, entry, problem = _entry(lines, i)
        if problem is not None:
            line, col, message, hint = problem
            width = max(1, len(lines[line].rstrip()) - col + 1) if line < len(lines) else 1
            diags.append(error("FC310", message,
                               Span(name, line + 1, col, line + 1, col + width), hint=hint))
        elif entry is not None:
            values[entry[0]] = entry[1]
        i = max(i, start + 1)
    return values, diags


def _entry(lines: list[str], i: int) -> tuple[int, tuple[str, str] | None, tuple | None]:
    """One logical entry starting at line `i`: (next line, (key, value) | None, problem | None).

    A problem is (0-based line, 1-based column, message, hint)."""
    raw = lines[i]
    body = raw.lstrip(" \t")
    col = len(raw) - len(body) + 1
    if not body or body.startswith("#"):
        return i + 1, None, None
    export = _EXPORT.match(body)
    if export and _KEY.match(body, export.end()):
        col += export.end()
        body = body[export.end():]
    key = _KEY.match(body)
    if key is None:
        return i + 1, None, (i, col, f"expected a variable name, got `{body[:20]}`",
                             "names start with a letter or `_` and use letters, digits and `_`")
    after = body[key.end():]
    stripped = after.lstrip(" \t")
    if not stripped.startswith("="):
        return i + 1, None, (i, col, f"expected `=` after {key.group()}",
                             f"write {key.group()}= for an empty value")
    raw_value = stripped[1:]
    value = raw_value.lstrip(" \t")
    vcol = col + key.end() + (len(after) - len(stripped)) + 1 + (len(raw_value) - len(value))
    if value[:1] in ("'", '"'):
        return _quoted(lines, i, value, vcol, key.group())
    return i + 1, (key.group(), _COMMENT.split(raw_value, 1)[0].strip()), None


def _quoted(lines: list[str], i: int, value: str, col: int,
            key: str) -> tuple[int, tuple[str, str] | None, tuple | None]:
    """A quoted value that may continue over the following lines."""
    quote, out, line, text, pos = value[0], [], i, value, 1
    while True:
        while pos < len(text):
            char = text[pos]
            if char == quote:
                tail = text[pos + 1:]
                rest = tail.strip(" \t")
                if rest and not rest.startswith("#"):
                    bad = (col if line == i else 1) + pos + 1 + len(tail) - len(tail.lstrip(" \t"))
                    return line + 1, None, (line, bad, f"unexpected text after the closing quote "
                                            f"of {key}: `{rest[:20]}`",
                                            "put a comment after `#`, or quote the whole value")
                return line + 1, (key, "".join(out)), None
            if char == "\\" and quote == '"' and pos + 1 < len(text):
                nxt = text[pos + 1]
                out.append(_ESCAPES.get(nxt, "\\" + nxt))
                pos += 2
                continue
            out.append(char)
            pos += 1
        line += 1
        if line >= len(lines):
            return line, None, (i, col, f"the quote opened for {key} is never closed",
                                f"add the closing {quote}")
        out.append("\n")
        text, pos = lines[line], 0


def parse_context_args(items: list[str]) -> tuple[dict[str, Any], list[Diagnostic]]:
    """`--context NAME=VALUE` arguments; VALUE typed as a plain YAML 1.2 scalar (`3` is an int,
    `true` a bool, `''`-less text a string). Spans name the argument: file `<--context #N>`."""
    values: dict[str, Any] = {}
    diags: list[Diagnostic] = []
    for number, item in enumerate(items, start=1):
        where = Span(f"<--context #{number}>", 1, 1, 1, len(item) + 1)
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not _KEY.fullmatch(name):
            what = "has no `=`" if not sep else f"`{name}` is not a variable name"
            diags.append(error("FC312", f"--context {item!r}: {what}", where))
            continue
        values[name] = resolve_plain(value)
    return values, diags


def load_context_file(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[Diagnostic]]:
    """A YAML or JSON mapping of context values (`--context-file`); nested values are kept."""
    root, diags = load_file(path)
    if root is None:
        return {}, diags
    if not isinstance(root, Mapping):
        kind = "a list" if isinstance(root, Sequence) else "a single value"
        return {}, diags + [error("FC313", f"--context-file {os.fspath(path)} holds {kind}, "
                                  "not a mapping of names to values", root.span)]
    values = to_python(root)
    assert isinstance(values, dict)
    return values, diags
