"""The resolved model (phase 4's output): every value of every node with where it came from.

Separate from the as-written syntax tree (phases 1–3) and from the plan (phase 6): the resolver
fills these frozen records, the graph phase reads names and `needs`, the planner turns them into a
`Plan`, and `flowc explain` prints them. A value is plain Python (str, int, float, bool, None,
dict, list), or the runtime reference `{"$template": text}` for a value that depends on a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .syntax import Node, Span

# Where a value came from. 'file': written in a YAML file; 'env' / 'env-file' / 'context': a
# substitution; 'reference': a `${{ root... }}` reference; 'override': a Flow entry's uses_* block
# over the Executor file; 'flow-with': passed down from the Flow's `with:`; 'default': flowc's or
# Jina's default; 'python': given to the Python API.
PROVENANCE_KINDS = ("file", "env", "env-file", "context", "reference", "override", "flow-with",
                    "default", "python")


@dataclass(frozen=True, slots=True)
class Provenance:
    kind: str
    detail: str
    span: Span | None = None

    def where(self) -> str:
        """`file:line:col` when known, else ''."""
        return str(self.span) if self.span and self.span.line > 0 else ""


@dataclass(frozen=True, slots=True)
class Value:
    """A resolved value and its provenance; `node` (not compared) is the tree it was read from,
    so `explain` can show where each nested scalar came from."""

    value: Any
    provenance: Provenance
    node: Node | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ResolvedExecutor:
    """What a deployment (or its uses_before/uses_after) runs, as `uses` named it.

    kind: 'class' | 'file' | 'inline' | 'docker'. `path` (file kind) and `py_modules` are POSIX
    paths relative to the base directory. `file_values` are the Executor document's `with`,
    `metas`, `requests`, `dynamic_batching` as written (not substituted: the worker does that at
    start-up); `overrides` are the Flow entry's `uses_with`, `uses_metas`, `uses_requests`,
    `uses_dynamic_batching`.
    """

    kind: str
    jtype: str | None
    span: Span | None = None
    path: str | None = None
    config: dict | None = None
    image: str | None = None
    py_modules: tuple[str, ...] = ()
    file_values: dict[str, Value] = field(default_factory=dict)
    overrides: dict[str, Value] = field(default_factory=dict)
    source: str | None = None  # display name of the Executor file, when kind is 'file'


@dataclass(frozen=True)
class ResolvedEntry:
    """One item of the Flow's `executors:` with aliases applied, pass-down and defaults filled.

    `values` is keyed by canonical entry key (`host`, not `host_in`); `needs` is None when the
    entry did not write `needs` (the graph phase chains it after the previous entry).
    """

    name: str
    index: int
    span: Span | None
    name_span: Span | None
    values: dict[str, Value]
    executor: ResolvedExecutor
    uses_before: ResolvedExecutor | None = None
    uses_after: ResolvedExecutor | None = None
    needs: tuple[str, ...] | None = None
    needs_spans: tuple[Span | None, ...] = ()
    include_chain: tuple[Span, ...] = ()  # where a Deployment file was included from

    def get(self, key: str, default: Any = None) -> Any:
        v = self.values.get(key)
        return default if v is None else v.value


@dataclass(frozen=True)
class ResolvedGateway:
    values: dict[str, Value]

    def get(self, key: str, default: Any = None) -> Any:
        v = self.values.get(key)
        return default if v is None else v.value


@dataclass(frozen=True)
class ResolvedFlow:
    """The whole Flow after resolution. `base_dir` is the Flow file's directory (absolute)."""

    name: Value
    source: str
    base_dir: str
    values: dict[str, Value]  # the Flow's own `with:` keys (name, workspace, env, ...)
    gateway: ResolvedGateway
    entries: tuple[ResolvedEntry, ...]
    span: Span | None = None
    complete: bool = True  # False when an item could not be resolved (e.g. a missing file)

    def get(self, key: str, default: Any = None) -> Any:
        v = self.values.get(key)
        return default if v is None else v.value

    def entry(self, name: str) -> ResolvedEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)
