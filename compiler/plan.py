"""The plan: the versioned, target-neutral result of compilation (phase 6).

The plan is the one contract between the compiler and everything after it: every target renders
it into files and the runtime's gateway, heads and workers read it. It knows processes, replicas,
shards, edges, images, resources, env and secret *references*; it knows no Kubernetes kinds or
compose keys (target-specific overrides sit in `targets[<target name>]`, read only by that target).

Serialised form: `Plan.to_json()` — sorted keys, two-space indent, a trailing newline, so the same
flow gives byte-identical plans. Its schema is `schemas/plan.schema.json`.

Values in `uses_with`/`uses_metas`/`env`/... are already substituted, except values that depend on a
variable named in any `env_from_secret` of the Flow: those stay a runtime reference, written
as the mapping `{"$template": "<the original text>"}` and substituted by the worker at start-up
from its own environment (so a secret's value never lands in an artifact; the compiler allows
them only where a process declaring the variable reads them: `compiler/runtime_values.py`).
`template_secret_var` says when one is exactly one variable, which targets pass from the secret.
A reference written as a quoted (or block, or `!!str`) scalar in an executor's `uses_*` values or
inline config carries `"quoted": true` as well: it stays a string at the worker (`"0123"` is not
the integer 123), where an unquoted one takes the YAML 1.2 core type of its result (SPEC §2). Env
values are strings whatever their spelling and never carry the flag.

Paths (`ExecutorRef.path`, `py_modules`) are POSIX paths relative to the plan's base directory: the
directory of the Flow file (the runtime's `--base-dir`; `/app` inside generated images).

Locations, for target diagnostics only (never part of equality): `Deployment.source` is where the
entry starts and `Deployment.sources` / `Gateway.sources` map a JSON pointer to a key the targets
validate (`/env/NAME`, `/targets/k8s/labels/KEY`, `/image`, ...) to where it was written: `line:col`
in the entry's own file (the Flow file for the gateway), else `file:line:col`, the file named as
the user gave it. A key written where its nearest recorded parent is, is left out (the parent
gives the same place). `FlowInfo.location` is the Flow document itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import Any, Iterator

from .lower import (GRPC, MONITORING, RAFT, Server, lower,  # noqa: F401 (the plan's API)
                    replica_name)

PLAN_VERSION = 1
GATEWAY = "gateway"
TEMPLATE_KEY = "$template"
TEMPLATE_QUOTED_KEY = "quoted"  # beside TEMPLATE_KEY: render the text as a quoted scalar
# Jina's observability keys an entry or the gateway carries in `observability` (when set):
# Prometheus `/metrics` on a port of its own, OTLP traces and OTLP metrics (docs/decisions.md)
OBSERVABILITY_KEYS = ("monitoring", "port_monitoring", "tracing", "traces_exporter_host",
                      "traces_exporter_port", "metrics", "metrics_exporter_host",
                      "metrics_exporter_port")


@dataclass(frozen=True)
class ExecutorRef:
    """What a worker loads and how the Flow entry overrides it (SPEC §3 precedence applies at load).

    kind: 'class' (a class name found in `py_modules`), 'file' (an Executor YAML at `path`),
    'inline' (an Executor mapping written in the Flow, in `config`), 'docker' (`image` runs it).
    """

    kind: str
    jtype: str | None = None
    path: str | None = None
    config: dict | None = None
    image: str | None = None
    py_modules: tuple[str, ...] = ()
    uses_with: dict = field(default_factory=dict)
    uses_metas: dict = field(default_factory=dict)
    uses_requests: dict = field(default_factory=dict)
    uses_dynamic_batching: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Address:
    """An external endpoint: `grpc://host:port` (tls False) or `grpcs://host:port` (tls True)."""

    host: str
    port: int
    tls: bool = False

    @property
    def target(self) -> str:
        """How a router dials it: `host:port`, or `grpcs://host:port` with TLS."""
        return f"{'grpcs://' if self.tls else ''}{self.host}:{self.port}"


@dataclass(frozen=True)
class SecretRef:
    """An environment variable filled from a secret at run time (`env_from_secret`)."""

    name: str
    key: str


@dataclass(frozen=True)
class Resources:
    """Kubernetes-style quantities: requests/limits map 'cpu'/'memory' to strings like '500m'."""

    requests: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)
    gpus: int = 0


@dataclass(frozen=True)
class Deployment:
    """One Flow entry: an executor with its shards × replicas, and how the graph reaches it."""

    name: str
    executor: ExecutorRef
    needs: tuple[str, ...]
    shards: int = 1
    replicas: int = 1
    polling: dict = field(default_factory=lambda: {"*": "ANY", "/search": "ALL"})
    uses_before: ExecutorRef | None = None
    uses_after: ExecutorRef | None = None
    when: dict | None = None
    floating: bool = False
    disable_reduce: bool = False
    external: tuple[Address, ...] = ()
    workspace: str | None = None
    env: dict = field(default_factory=dict)
    env_from_secret: dict = field(default_factory=dict)  # {VAR: SecretRef}
    timeout_ready: int = 600_000
    timeout_send: int | None = None
    retries: int = -1
    allow_concurrent: bool = False
    exit_on_exceptions: tuple[str, ...] = ()
    image: str | None = None
    resources: Resources = field(default_factory=Resources)
    service_account: str | None = None
    image_pull_secrets: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    placement: str = "process"  # 'process' | 'gateway'
    stateful: bool = False  # `@write` requests go through a Raft log per shard (SPEC §5)
    raft_configuration: dict = field(default_factory=dict)  # Jina's keys and units, as written
    reload: bool = False
    restart: bool = False
    ports: tuple[int, ...] = ()  # ports the user fixed; empty = the target chooses
    grpc_server_options: dict = field(default_factory=dict)
    # monitoring / tracing / metrics keys as given (OBSERVABILITY_KEYS), only those set
    observability: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)  # {'k8s': {...}, 'compose': {...}, ...}
    # 'file:line:col' of the entry, for messages after compilation; not part of equality (a Flow
    # built in Python and the same Flow in YAML give equal plans)
    source: str | None = field(default=None, compare=False)
    # {JSON pointer of a key targets validate: 'line:col' in the entry's file, or 'file:line:col'}
    sources: dict = field(default_factory=dict, compare=False)

    @property
    def is_external(self) -> bool:
        return bool(self.external)

    @property
    def hosted(self) -> bool:
        """Whether the entry gets servers of its own: not external (reached where it already
        runs) and not `placement: gateway` (run inside the gateway process)."""
        return not self.external and self.placement != "gateway"

    @property
    def needs_head(self) -> bool:
        """A head fans out over shards and runs uses_before/uses_after (as in Jina)."""
        return self.shards > 1 or self.uses_before is not None or self.uses_after is not None

    def roles(self) -> list[tuple[str, ExecutorRef]]:
        """(worker role, what it runs): the executor, then uses_before / uses_after when set."""
        return [("executor", self.executor)] + [(role, getattr(self, role)) for role in
                                                ("uses_before", "uses_after")
                                                if getattr(self, role) is not None]

    def polling_for(self, endpoint: str) -> str:
        """'ANY' or 'ALL' for `endpoint` on a sharded entry: its own row, else '*', else ANY."""
        return str(self.polling.get(endpoint) or self.polling.get("*") or "ANY").upper()


@dataclass(frozen=True)
class Gateway:
    name: str = GATEWAY
    protocols: tuple[str, ...] = ("grpc",)
    ports: tuple[int, ...] = ()  # one per protocol when fixed; empty = the target chooses
    host: str = "0.0.0.0"
    replicas: int = 1
    env: dict = field(default_factory=dict)
    env_from_secret: dict = field(default_factory=dict)
    timeout_send: int | None = None
    retries: int = -1
    image: str | None = None
    resources: Resources = field(default_factory=Resources)
    service_account: str | None = None
    options: dict = field(default_factory=dict)  # other accepted gateway keys, passed through
    observability: dict = field(default_factory=dict)  # as Deployment.observability
    targets: dict = field(default_factory=dict)
    # {JSON pointer: 'line:col' in the Flow file, or 'file:line:col'} (see the module docstring)
    sources: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class FlowInfo:
    name: str  # a DNS-1123 label: used for k8s names, compose project, systemd unit prefix
    source: str = field(compare=False)  # the Flow file's name, relative to the base directory
    workspace: str | None = None
    env: dict = field(default_factory=dict)
    # 'file:line:col' of the Flow document, the file named as the user gave it (for messages)
    location: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Plan:
    flow: FlowInfo
    gateway: Gateway
    deployments: tuple[Deployment, ...]  # in Flow order
    responders: tuple[str, ...]  # the entries whose output forms the response
    version: int = PLAN_VERSION

    @cached_property
    def servers(self) -> tuple[Server, ...]:
        """Every process, callees before callers and the gateway last: the lowering phase
        (compiler/lower.py). Derived from the fields above, so a plan edited with
        `dataclasses.replace` never carries stale servers, and not written to plan.json (a
        800-entry Flow's servers would push the k8s ConfigMap past its 1 MiB)."""
        return lower(self)

    def deployment(self, name: str) -> Deployment:
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, Deployment]:
        return {dep.name: dep for dep in self.deployments}

    def edges(self) -> Iterator[tuple[str, str]]:
        """(upstream, downstream) pairs in Flow order; 'gateway' is the start."""
        for dep in self.deployments:
            for need in dep.needs:
                yield need, dep.name

    def downstream(self, name: str) -> list[str]:
        return [d for u, d in self.edges() if u == name]

    def order(self) -> list[Deployment]:
        """The entries in topological order (`needs` before the entry), Flow order among the
        entries that are ready together: the one order the gateway and the lowering use.
        Raises ValueError for an unknown need or a cycle (the graph phase refuses both)."""
        names = {d.name for d in self.deployments}
        for dep in self.deployments:
            unknown = [n for n in dep.needs if n != GATEWAY and n not in names]
            if unknown:
                raise ValueError(f"entry {dep.name!r} needs {unknown[0]!r}, which is not an entry")
        done, remaining, order = {GATEWAY}, list(self.deployments), []
        while remaining:
            ready = next((d for d in remaining if all(n in done for n in d.needs)), None)
            if ready is None:
                raise ValueError("the plan's needs form a cycle among: "
                                 + ", ".join(d.name for d in remaining))
            order.append(ready)
            done.add(ready.name)
            remaining.remove(ready)
        return order

    def server(self, name: str) -> Server:
        return self._servers_by_name[name]

    def servers_of(self, entry: str) -> list[Server]:
        """An entry's servers, in server order."""
        return self._servers_by_entry.get(entry, [])

    @cached_property
    def _servers_by_name(self) -> dict[str, Server]:
        return {server.name: server for server in self.servers}

    @cached_property
    def _servers_by_entry(self) -> dict[str, list[Server]]:
        groups: dict[str, list[Server]] = {}
        for server in self.servers:
            if server.deployment is not None:
                groups.setdefault(server.deployment, []).append(server)
        return groups

    def raft_peers(self, server: Server) -> list[Server]:
        """A stateful replica's Raft group: every replica of its shard, in replica order."""
        return [s for s in self.servers_of(str(server.deployment))
                if s.shard == server.shard and RAFT in s.ports]

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Plan":
        if data.get("version") != PLAN_VERSION:
            raise ValueError(f"plan version {data.get('version')!r} is not {PLAN_VERSION}")
        return cls(
            version=PLAN_VERSION,
            flow=_build(FlowInfo, data["flow"]),
            gateway=_build(Gateway, data["gateway"]),
            deployments=tuple(_build(Deployment, d) for d in data["deployments"]),
            responders=tuple(data["responders"]),
        )

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        return cls.from_dict(json.loads(text))


def is_template(value: Any) -> bool:
    """True for a runtime reference `{"$template": text}` (a value that depends on a secret)."""
    return isinstance(value, dict) and TEMPLATE_KEY in value


def template_secret_var(value: Any) -> str | None:
    """The variable a runtime reference consists of, when its text is exactly one environment
    form without a default (`${{ ENV.X }}`, `${{ X }}`, `${X}`, `$X`): what a Kubernetes
    secretKeyRef, a compose secret or a systemd credential can pass as it is. None otherwise
    (text around it, several variables, a default): only a process rendering the text can."""
    if not is_template(value):
        return None
    # 18 ms of every gateway's start-up, 8 ms of `flowc schema`'s; only targets call this
    from .substitution_parse import CONTEXT, ENV, Fault, parse_parts

    parts = parse_parts(str(value[TEMPLATE_KEY]))
    if isinstance(parts, Fault) or len(parts) != 1:
        return None
    part = parts[0]
    return part.value if part.kind in (ENV, CONTEXT) and not part.op else None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# Nested dataclass fields and how to rebuild them from JSON.
_NESTED = {
    "executor": lambda v: _build(ExecutorRef, v),
    "uses_before": lambda v: None if v is None else _build(ExecutorRef, v),
    "uses_after": lambda v: None if v is None else _build(ExecutorRef, v),
    "external": lambda v: tuple(_build(Address, a) for a in v),
    "resources": lambda v: _build(Resources, v),
    "env_from_secret": lambda v: {k: _build(SecretRef, s) for k, s in v.items()},
}


def _build(cls: type, data: dict[str, Any]) -> Any:
    kwargs = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in _NESTED:
            value = _NESTED[f.name](value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)
