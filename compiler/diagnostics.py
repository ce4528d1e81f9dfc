"""Diagnostics as values: a stable code, a severity, a message, where, and what to do.

Every phase returns `(value, [Diagnostic])`; only the CLI prints them (see `render.py`). The
wording of each code lives in `CATALOGUE` so messages stay consistent and documented.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable

from .syntax import Span


class Severity(enum.IntEnum):
    NOTE = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Related:
    """A secondary location, e.g. 'first defined here' or 'included from here'."""

    span: Span
    label: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None = None
    related: tuple[Related, ...] = ()
    hint: str | None = None

    @property
    def sort_key(self) -> tuple:
        span = self.span or Span("", 0, 0, 0, 0)
        return (span.file, span.line, span.col, self.code, self.message)


def error(code: str, message: str, span: Span | None, *, hint: str | None = None,
          related: Iterable[Related] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, tuple(related), hint)


def warning(code: str, message: str, span: Span | None, *, hint: str | None = None,
            related: Iterable[Related] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, tuple(related), hint)


def normalise(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by place, duplicates removed: the order every renderer shows."""
    return sorted(set(diagnostics), key=lambda d: d.sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


class DiagnosticError(Exception):
    """The one exception the compiler's Python API raises: it carries every diagnostic."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = normalise(diagnostics)
        first = next((d for d in self.diagnostics if d.severity is Severity.ERROR), None)
        where = f"{first.span}: " if first and first.span else ""
        summary = f"{where}{first.message}" if first else "invalid input"
        more = len(self.diagnostics) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))


@dataclass(frozen=True, slots=True)
class Code:
    """One row of the catalogue: what a code means, for `docs/diagnostics.md` and tests."""

    code: str
    phase: str
    title: str
    default_hint: str | None = None


# The catalogue: every code flowc can emit. Phases own a hundred each:
# FC1xx load, FC2xx check (schema), FC3xx substitute, FC4xx resolve, FC5xx graph, FC6xx plan,
# FC7xx target, FC9xx driver/CLI. Add a row here before emitting a new code.
CATALOGUE: dict[str, Code] = {c.code: c for c in [
    Code("FC101", "load", "YAML syntax error"),
    Code("FC102", "load", "file is not valid UTF-8", "save the file as UTF-8"),
    Code("FC103", "load", "file too large"),
    Code("FC104", "load", "nesting too deep"),
    Code("FC105", "load", "too many aliases (possible billion-laughs document)"),
    Code("FC106", "load", "scalar too long"),
    Code("FC107", "load", "duplicate mapping key", "remove one of the two keys"),
    Code("FC108", "load", "tag not allowed"),
    Code("FC109", "load", "file cannot be read"),
    Code("FC110", "load", "empty document"),
    Code("FC111", "load", "more than one YAML document in a file"),
    Code("FC112", "load", "non-scalar mapping key"),
]}


def catalogue_entry(code: str) -> Code:
    return CATALOGUE[code]
