"""Positions in the plan: written by the planner and read back by targets, here and only here.

The plan is JSON, so a place is text: `file:line:col` (the file relative to the Flow file's
directory, as every path in the plan), or `line:col` for a key written in the entry's own file
(`Deployment.sources` stays small: a ConfigMap holds 1 MiB). `position_text` writes one;
`position_span` turns one back into a `Span` for a target's diagnostic. Nothing else parses them.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from .syntax import Span

__all__ = ["position_text", "position_span"]


def position_text(span: Span | None, base: str, local_file: str | None = None) -> str | None:
    """`file:line:col` of `span` with the file relative to `base` (the Flow file's directory),
    or `line:col` when it is in `local_file`; None for a span with no position (line 0: the
    Python API)."""
    if span is None or span.line <= 0:
        return None
    if local_file is not None and span.file == local_file:
        return f"{span.line}:{span.col}"
    file = posixpath.normpath(Path(span.file).as_posix())
    prefix = base.rstrip("/") + "/"
    if base and file.startswith(prefix):
        file = file[len(prefix):]
    return f"{file}:{span.line}:{span.col}"


def position_span(text: str | None, local: Span | None = None) -> Span | None:
    """The span (one character wide) of a position `position_text` wrote. A `line:col` place is
    in `local`'s file (None without one); text that is no position names a file, at line 0."""
    if not text:
        return None
    parts = text.rsplit(":", 2)
    numbers = [int(p) for p in parts[-2:] if p.isascii() and p.isdigit()]
    if len(numbers) != 2:
        return Span(text, 0, 0, 0, 0)
    if len(parts) == 2:  # line:col, in the entry's own file
        file = local.file if local is not None else None
    else:
        file = parts[0]
    if file is None:
        return None
    line, col = numbers
    return Span(file, line, col, line, col + 1)
