"""Lowering (phase 8): the plan's entries → the servers that run them.

Every consumer of a plan needs the same list: which processes exist (executor replicas per shard,
uses_before/uses_after workers, heads, the gateway), what each one calls and which ports it
listens on. `lower(plan)` decides it once — `Plan.servers` is its result, computed on first use —
in start order: the entries in topological order, each entry's servers in the order its requests
pass them (uses_before, the replicas shard by shard, uses_after, the head), the gateway last, so
every server starts after the servers it calls. `compiler/argv.py` writes any server's command
line from it; targets only choose addresses and packaging, and `flowc run` reads the same list.

A stateful replica listens on a second port (`raft`); its Raft group is every replica of its
shard (`Plan.raft_peers`), never listed per server, so a plan stays linear in the replica count.
This module reads the plan without importing plan.py, which builds `Plan.servers` with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

# Port purposes: what a server listens for on each of its ports.
GRPC, RAFT, HTTP, WEBSOCKET = "grpc", "raft", "http", "websocket"
# Prometheus `/metrics` (`monitoring: true`): every server of a monitored entry, or the gateway
MONITORING = "monitoring"
# Purposes a server reaches its callers with besides gRPC, passed as `--<purpose>-port`.
WEB_PURPOSES = (HTTP, WEBSOCKET)


@dataclass(frozen=True)
class Server:
    """One process of the Flow, as the lowering phase (compiler/lower.py) decided it.

    `name` is its runtime name (`enc/rep-0`, `enc/shard-1/rep-0`, `enc/uses_before`, `enc/head`,
    `gateway`). What it calls is named by server names, never addresses: each target chooses the
    addresses (`compiler.argv.runtime_argv`).
    """

    name: str
    kind: str  # 'worker' | 'head' | 'gateway'
    deployment: str | None = None  # the entry it serves (None: the gateway)
    role: str = "executor"  # 'executor' | 'uses_before' | 'uses_after' | 'head' | 'gateway'
    shard: int | None = None  # an executor replica's shard and replica; None for the others
    replica: int | None = None
    # purposes, in order: grpc, then raft for stateful replicas; the gateway: grpc, then its
    # other protocols in the order the Flow lists them (grpc is always served: health, probes);
    # last `monitoring` when the entry (or the gateway) has `monitoring: true`
    ports: tuple[str, ...] = (GRPC,)
    shards: tuple[tuple[str, ...], ...] = ()  # a head: each shard's replicas
    uses_before: str | None = None  # a head: its uses_before / uses_after worker
    uses_after: str | None = None
    routes: dict = field(default_factory=dict)  # the gateway: {entry: (server, ...)} it calls


def replica_name(entry: str, shard: int, replica: int, shards: int) -> str:
    """An executor replica's runtime name (logs, errors, `__results__`): `<entry>/rep-<i>`, or
    `<entry>/shard-<s>/rep-<i>` when the entry has several shards (as Jina names them), so the
    shards' results do not overwrite each other."""
    return f"{entry}/shard-{shard}/rep-{replica}" if shards > 1 else f"{entry}/rep-{replica}"




def lower(plan: Any) -> tuple[Server, ...]:
    """The plan's servers (`Plan.servers`): a pure function of its entries and gateway."""
    servers: list[Server] = []
    routes: dict[str, tuple[str, ...]] = {}
    for dep in plan.order():
        if not dep.hosted:
            continue
        own = list(_entry_servers(dep))
        servers += own
        routes[dep.name] = (own[-1].name,) if dep.needs_head else tuple(s.name for s in own)
    servers.append(Server(name=plan.gateway.name, kind="gateway", role="gateway",
                          ports=gateway_purposes(plan.gateway.protocols)
                          + _monitored(plan.gateway),
                          routes=dict(sorted(routes.items()))))
    return tuple(servers)


def gateway_purposes(protocols: Any) -> tuple[str, ...]:
    """The gateway's port purposes: grpc first (also when not listed: the runtime's health
    checks, readiness and `flowc post` use it), then the other protocols in the Flow's order."""
    return (GRPC,) + tuple(p for p in dict.fromkeys(str(x).lower() for x in protocols)
                           if p != GRPC)


def _monitored(node: Any) -> tuple[str, ...]:
    """(MONITORING,) for an entry or gateway with `monitoring: true`, else ()."""
    return (MONITORING,) if (getattr(node, "observability", None) or {}).get("monitoring") else ()


def _entry_servers(dep: Any) -> Iterator[Server]:
    """An entry's servers in the order its requests pass them: uses_before, the executor
    replicas (shard by shard), uses_after, then the head that calls them all."""
    roles = {role: f"{dep.name}/{role}" for role in ("uses_before", "uses_after")
             if getattr(dep, role) is not None}
    watched = _monitored(dep)
    if "uses_before" in roles:
        yield Server(name=roles["uses_before"], kind="worker", deployment=dep.name,
                     role="uses_before", ports=(GRPC,) + watched)
    ports = ((GRPC, RAFT) if dep.stateful else (GRPC,)) + watched
    shards = []
    for shard in range(dep.shards):
        group = [Server(name=replica_name(dep.name, shard, replica, dep.shards), kind="worker",
                        deployment=dep.name, shard=shard, replica=replica, ports=ports)
                 for replica in range(dep.replicas)]
        shards.append(tuple(s.name for s in group))
        yield from group
    if "uses_after" in roles:
        yield Server(name=roles["uses_after"], kind="worker", deployment=dep.name,
                     role="uses_after", ports=(GRPC,) + watched)
    if dep.needs_head:
        yield Server(name=f"{dep.name}/head", kind="head", deployment=dep.name, role="head",
                     ports=(GRPC,) + watched, shards=tuple(shards), **roles)
