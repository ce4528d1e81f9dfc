"""The resolved model (phase 5's output): every value of every node with where it came from.

Separate from the as-written syntax tree (phases 1–4) and from the plan (phase 7): the resolver
fills these frozen records, the graph phase reads names and `needs`, the planner turns them into a
`Plan`, and `flowc explain` prints them. A value is plain Python (str, int, float, bool, None,
dict, list), or the runtime reference `{"$template": text}` for a value that depends on a secret.

`values` keep every key with its provenance (what `explain` and the checks read); `fields`
(`EntryFields`, `GatewayFields`) are the keys the plan is made of, typed, which
`tests/compiler/test_resolved_fields.py` holds to the schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
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
    so `explain` can show where each nested scalar came from. A value merged from several
    places (`precedence.PASS_DOWN_MERGE`) keeps them in `parts`, later ones winning, so each
    nested scalar still says where it came from."""

    value: Any
    provenance: Provenance
    node: Node | None = field(default=None, compare=False, repr=False)
    parts: tuple["Value", ...] = field(default=(), compare=False, repr=False)


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


def _listed(value: Any) -> tuple:
    """One value or a list of them, as a tuple (`exit_on_exceptions: E` = `[E]`)."""
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _ports(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in _listed(value))


# Keys whose resolved form differs from what the schema lets a user write, and how (the test
# `test_resolved_fields.py` holds the typed fields to the schemas with these exceptions).
NORMALISED: dict[str, str] = {
    "polling": "`ANY`/`ALL` or a partial table becomes the whole table (resolve.py `_polling`)",
    "port": "one port or a list becomes a tuple of ports",
    "protocol": "one protocol or a list becomes a tuple, in lower case",
    "exit_on_exceptions": "one name or a list becomes a tuple",
    "image_pull_secrets": "one name or a list becomes a tuple",
    "volumes": "one volume or a list becomes a tuple of strings",
}
# Conversions from a resolved value to its typed field (the rest are taken as they are).
_CONVERT: dict[str, Any] = {
    "port": _ports, "exit_on_exceptions": _listed, "image_pull_secrets": _listed,
    "volumes": lambda v: tuple(str(x) for x in _listed(v)),
    "protocol": lambda v: tuple(str(p) for p in _listed(v)),
    "external_addresses": _listed,
}


def _typed(cls: type, values: dict[str, "Value"]) -> Any:
    """`cls` (a dataclass of typed fields) filled from resolved values."""
    kwargs = {}
    for f in fields(cls):
        given = values.get(f.name)
        if given is not None and given.value is not None:
            kwargs[f.name] = _CONVERT.get(f.name, lambda v: v)(given.value)
    return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class ObservabilityFields:
    """Jina's monitoring and tracing keys (`plan.OBSERVABILITY_KEYS`), typed: an entry and the
    gateway carry the same ones."""

    monitoring: bool = False
    port_monitoring: int | None = None
    tracing: bool = False
    traces_exporter_host: str | None = None
    traces_exporter_port: int | None = None
    metrics: bool = False
    metrics_exporter_host: str | None = None
    metrics_exporter_port: int | None = None


@dataclass(frozen=True, slots=True)
class EntryFields(ObservabilityFields):
    """The entry keys the plan is made of, typed, after aliases, pass-down and defaults (the
    entry's `values` say where each came from). Read from a Flow without errors: a value the
    check phase refused may not convert."""

    shards: int = 1
    replicas: int = 1
    polling: dict[str, str] = field(default_factory=dict)
    when: dict | None = None
    floating: bool = False
    disable_reduce: bool = False
    external_addresses: tuple[dict, ...] = ()  # from host/port/tls of an `external: true` entry
    workspace: str | None = None
    env: dict | None = None
    env_from_secret: dict | None = None
    timeout_ready: int = 600_000
    timeout_send: int | None = None
    retries: int = -1
    allow_concurrent: bool = False
    exit_on_exceptions: tuple[str, ...] = ()
    image: str | None = None
    resources: dict | None = None
    gpus: int | str | None = None
    service_account: str | None = None
    image_pull_secrets: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    placement: str = "process"
    stateful: bool = False
    raft_configuration: dict | None = None
    reload: bool = False
    restart: bool = False
    port: tuple[int, ...] = ()
    grpc_server_options: dict | None = None
    targets: dict | None = None


@dataclass(frozen=True, slots=True)
class GatewayFields(ObservabilityFields):
    """The gateway keys the plan has fields for, typed (see `EntryFields`); every other
    gateway key is passed through as written."""

    name: str | None = None
    protocol: tuple[str, ...] = ()
    port: tuple[int, ...] = ()
    host: str = "0.0.0.0"
    replicas: int = 1
    env: dict | None = None
    env_from_secret: dict | None = None
    timeout_send: int | None = None
    retries: int = -1
    image: str | None = None
    resources: dict | None = None
    gpus: int | str | None = None
    service_account: str | None = None
    targets: dict | None = None


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

    @cached_property
    def fields(self) -> EntryFields:
        """The typed fields the plan is made of."""
        return _typed(EntryFields, self.values)


@dataclass(frozen=True)
class ResolvedGateway:
    values: dict[str, Value]

    def get(self, key: str, default: Any = None) -> Any:
        v = self.values.get(key)
        return default if v is None else v.value

    @cached_property
    def fields(self) -> GatewayFields:
        """The typed fields the plan is made of."""
        return _typed(GatewayFields, self.values)


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
