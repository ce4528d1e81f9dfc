"""Diagnostics → text: one small renderer per output format, over the same values.

`render(diagnostics, fmt)` with `fmt` one of `FORMATS`:

- `human`: like rustc and ruff — `path:line:col: error[FC101]: message`, the source line under a
  line-number gutter, a caret line (`^` at the start of the span, `~` to its end on that line),
  each related location as `  path:line:col: note: label` with its own source line, then
  `= hint: ...`; a blank line after each. ANSI colour only when asked. The closing summary
  line (`2 errors, 1 warning`) is `summary()`, separate, so the CLI decides where it goes.
- `json`: the stable list documented in `docs/diagnostics-json.md`.
- `github`: GitHub Actions workflow commands (`::error file=...::message`), one per line.
- `sarif`: one SARIF 2.1.0 log with a `flowc` driver whose rules are the catalogue rows used.

Every renderer shows the diagnostics in `normalise` order (sorted by place, duplicates removed),
returns text that ends with a newline (or "" when there is nothing to show in `human`), and
never fails on a span past the end of a file, tabs, control characters or non-UTF-8 files.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from typing import Callable, Sequence
from urllib.parse import quote

from .diagnostics import CATALOGUE, Diagnostic, Related, Severity, normalise
from .sources import SourceCache
from .syntax import Span

__all__ = ["render", "summary", "FORMATS", "RENDERERS"]

TAB_WIDTH = 4
MAX_SHOWN = 200  # characters of a source line shown around the span; the rest becomes `…`

_RESET, _BOLD = "\x1b[0m", "\x1b[1m"
_SEVERITY_COLOUR = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m",
                    Severity.NOTE: "\x1b[1;36m"}
_GUTTER_COLOUR = "\x1b[1;34m"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    """'2 errors, 1 warning' (zero counts left out), or 'no problems found'."""
    counts = {severity: 0 for severity in Severity}
    for diagnostic in normalise(diagnostics):
        counts[diagnostic.severity] += 1
    parts = [f"{counts[s]} {s}{'' if counts[s] == 1 else 's'}"
             for s in (Severity.ERROR, Severity.WARNING, Severity.NOTE) if counts[s]]
    return ", ".join(parts) if parts else "no problems found"


# --- human ----------------------------------------------------------------------------------

def _display(text: str) -> tuple[str, list[int]]:
    """Printable form of a source line and the display column where each character starts.

    Tabs become spaces, control characters (which could drive the terminal) become U+FFFD,
    wide East Asian characters take two columns and combining marks none, so the caret line
    lines up under the right character.
    """
    out: list[str] = []
    columns: list[int] = []
    width = 0
    for ch in text:
        columns.append(width)
        if ch == "\t":
            out.append(" " * TAB_WIDTH)
            width += TAB_WIDTH
            continue
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000:
            ch = "\ufffd"
        out.append(ch)
        if code >= 0x300:
            if unicodedata.combining(ch):
                continue
            if unicodedata.east_asian_width(ch) in ("W", "F"):
                width += 2
                continue
        width += 1
    columns.append(width)
    return "".join(out), columns


def _window(source: str, start: int, end: int) -> tuple[str, int, int]:
    """At most MAX_SHOWN characters of a long line, from a little before the span's start, with
    `…` where text was cut; `start`/`end` moved to match. A minified or generated line can be
    megabytes long: one diagnostic must not print it (or a caret line as long) in full."""
    if len(source) <= MAX_SHOWN:
        return source, start, end
    lo = max(0, min(start - MAX_SHOWN // 4, len(source) - MAX_SHOWN))
    hi = lo + MAX_SHOWN
    left = "…" if lo > 0 else ""
    right = "…" if hi < len(source) else ""
    shift = len(left) - lo
    return (left + source[lo:hi] + right, start + shift,
            min(end, hi) + shift + (1 if end > hi else 0))


def _snippet(span: Span, sources: SourceCache, pad: int, colour: str, color: bool) -> list[str]:
    """Gutter, source line and caret line for one span (nothing if the line is unknown)."""
    source = sources.line(span.file, span.line)
    if source is None:
        return []
    start = min(max(span.col, 1), len(source) + 1) - 1
    if span.end_line > span.line:
        end = len(source)
    else:
        end = min(max(span.end_col - 1, start), len(source))
    source, start, end = _window(source, start, end)
    shown, columns = _display(source)
    first = columns[start]
    length = max(columns[end] - first, 1)
    caret = "^" + "~" * (length - 1)
    bar = f"{_GUTTER_COLOUR}|{_RESET}" if color else "|"
    number = f"{_GUTTER_COLOUR}{span.line:>{pad}}{_RESET}" if color else f"{span.line:>{pad}}"
    if color:
        caret = f"{colour}{caret}{_RESET}"
    return [f"{' ' * pad} {bar}", f"{number} {bar} {shown}".rstrip(),
            f"{' ' * pad} {bar} {' ' * first}{caret}"]


def _clean(text: object) -> str:
    """Text with control characters (except line breaks) shown as U+FFFD: a message can quote
    a value from the environment, and it must not drive the terminal."""
    return "".join(ch if ch == "\n" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0) else "\ufffd"
                   for ch in str(text))


def _human_one(d: Diagnostic, sources: SourceCache, color: bool) -> str:
    colour = _SEVERITY_COLOUR[d.severity]
    label = f"{d.severity}[{_clean(d.code)}]"
    if color:
        label = f"{colour}{label}{_RESET}{_BOLD}"
    head = f"{label}: {_clean(d.message)}"
    if d.span is not None:
        head = f"{_clean(d.span)}: {head}"
    lines = [f"{_BOLD}{head}{_RESET}" if color else head]
    spans = [d.span] if d.span is not None else []
    pad = len(str(max([s.line for s in spans] + [r.span.line for r in d.related], default=1)))
    if d.span is not None:
        lines += _snippet(d.span, sources, pad, colour, color)
    for related in d.related:
        note = f"{_SEVERITY_COLOUR[Severity.NOTE]}note{_RESET}" if color else "note"
        lines.append(f"  {_clean(related.span)}: {note}: {_clean(related.label)}")
        lines += _snippet(related.span, sources, pad, _SEVERITY_COLOUR[Severity.NOTE], color)
    if d.hint:
        lines.append(f"{' ' * pad} = hint: {_clean(d.hint)}")
    return "\n".join(lines)


def _human(diagnostics: list[Diagnostic], sources: SourceCache, color: bool) -> str:
    if not diagnostics:
        return ""
    return "\n\n".join(_human_one(d, sources, color) for d in diagnostics) + "\n\n"


# --- json -----------------------------------------------------------------------------------

def _place(span: Span | None) -> dict[str, object]:
    if span is None:
        return {"file": None, "line": None, "column": None, "end_line": None, "end_column": None}
    return {"file": span.file, "line": span.line, "column": span.col,
            "end_line": span.end_line, "end_column": span.end_col}


def _related_json(related: Related) -> dict[str, object]:
    return {**_place(related.span), "label": related.label}


def as_json_objects(diagnostics: Sequence[Diagnostic]) -> list[dict[str, object]]:
    """The objects of the json format (for callers that embed them in a larger document)."""
    return [{"code": d.code, "severity": str(d.severity), "message": d.message, **_place(d.span),
             "hint": d.hint, "related": [_related_json(r) for r in d.related]}
            for d in normalise(diagnostics)]


def _json(diagnostics: list[Diagnostic], sources: SourceCache, color: bool) -> str:
    return json.dumps(as_json_objects(diagnostics), indent=2, sort_keys=True) + "\n"


# --- github ---------------------------------------------------------------------------------

_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(diagnostics: list[Diagnostic], sources: SourceCache, color: bool) -> str:
    out = []
    for d in diagnostics:
        props = []
        if d.span is not None:
            s = d.span
            props += [f"file={_github_property(s.file)}", f"line={s.line}", f"col={s.col}",
                      f"endLine={s.end_line}", f"endColumn={s.end_col}"]
        props.append(f"title={_github_property(d.code)}")
        text = d.message
        for related in d.related:
            text += f"\nnote: {related.span}: {related.label}"
        if d.hint:
            text += f"\nhint: {d.hint}"
        out.append(f"::{_GITHUB_LEVEL[d.severity]} {','.join(props)}::{_github_data(text)}\n")
    return "".join(out)


# --- sarif ----------------------------------------------------------------------------------

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _uri(file: str) -> str:
    if PureWindowsPath(file).drive or file.startswith("/"):
        posix = PureWindowsPath(file).as_posix() if PureWindowsPath(file).drive else file
        return "file://" + ("" if posix.startswith("/") else "/") + quote(posix)
    return quote(str(PurePosixPath(file.replace("\\", "/"))))


def _physical(span: Span) -> dict[str, object]:
    region: dict[str, int] = {"startLine": max(span.line, 1), "startColumn": max(span.col, 1)}
    if (span.end_line, span.end_col) >= (span.line, span.col):
        region.update(endLine=max(span.end_line, 1), endColumn=max(span.end_col, 1))
    return {"artifactLocation": {"uri": _uri(span.file)}, "region": region}


def _rule(code: str) -> dict[str, object]:
    entry = CATALOGUE.get(code)
    rule: dict[str, object] = {"id": code}
    if entry is not None:
        rule["shortDescription"] = {"text": entry.title}
        rule["properties"] = {"phase": entry.phase}
        if entry.default_hint:
            rule["help"] = {"text": entry.default_hint}
    return rule


def _tool_version() -> str | None:
    try:
        from importlib.metadata import version  # 22 ms, for `--format sarif` only

        return version("flowc")
    except Exception:  # not installed as a distribution (e.g. run from a source tree)
        return None


def _sarif(diagnostics: list[Diagnostic], sources: SourceCache, color: bool) -> str:
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for d in diagnostics:
        text = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        result: dict[str, object] = {"ruleId": d.code, "ruleIndex": index[d.code],
                                     "level": _SARIF_LEVEL[d.severity], "message": {"text": text}}
        if d.span is not None:
            result["locations"] = [{"physicalLocation": _physical(d.span)}]
        if d.related:
            result["relatedLocations"] = [
                {"id": i, "physicalLocation": _physical(r.span), "message": {"text": r.label}}
                for i, r in enumerate(d.related, 1)]
        results.append(result)
    driver: dict[str, object] = {"name": "flowc", "rules": [_rule(c) for c in codes]}
    version = _tool_version()
    if version:
        driver["version"] = version
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": driver}, "results": results}]}
    return json.dumps(log, indent=2, sort_keys=True) + "\n"


# --- entry point ----------------------------------------------------------------------------

RENDERERS: dict[str, Callable[[list[Diagnostic], SourceCache, bool], str]] = {
    "human": _human, "json": _json, "github": _github, "sarif": _sarif,
}
FORMATS = tuple(RENDERERS)


def render(diagnostics: Sequence[Diagnostic], fmt: str = "human", *, color: bool = False,
           sources: SourceCache | None = None) -> str:
    """Text of `diagnostics` in format `fmt` (one of `FORMATS`); ValueError for another."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown diagnostics format {fmt!r}; choose one of "
                         f"{', '.join(FORMATS)}") from None
    return renderer(normalise(diagnostics), sources if sources is not None else SourceCache(),
                    color)
