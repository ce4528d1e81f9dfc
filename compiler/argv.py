"""Command lines: any server of a plan as `flowc-runtime` arguments (`runtime_argv`).

One builder for every target and `flowc run`: what a server is and what it calls come from
`Plan.servers` (the lowering phase); the caller only says how to reach each callee
(`address_of(server, purpose)`), where the server listens and where the plan is. A target adjusts
what its packaging needs through `Argv` (a value from the environment, a flag it adds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Iterator

from .lower import MONITORING, WEB_PURPOSES
from .plan import GRPC, RAFT, Plan, Server

RUNTIME = "flowc-runtime"
# address_of(server, purpose) → how the caller dials that port of that server
AddressOf = Callable[[Server, str], str]


@dataclass
class Argv:
    """A server's command line as (option, value) pairs, so a target can adjust what its
    packaging needs (a value from the environment, an option it adds) before `render()`."""

    command: str
    options: list[tuple[str, str | None]] = field(default_factory=list)

    def set(self, option: str, value: str | None) -> "Argv":
        """Replace the option's value (or add it at the end); a flag has the value None."""
        for i, (name, _) in enumerate(self.options):
            if name == option:
                self.options[i] = (option, value)
                return self
        self.options.append((option, value))
        return self

    def drop(self, option: str) -> "Argv":
        self.options = [(n, v) for n, v in self.options if n != option]
        return self

    def get(self, option: str) -> str | None:
        return next((v for n, v in self.options if n == option), None)

    def render(self) -> list[str]:
        out = [RUNTIME, self.command]
        for name, value in self.options:
            out += [name] if value is None else [name, value]
        return out


def port_key(server: Server, purpose: str = GRPC) -> str:
    """A name for one port of one server, for targets that number ports: the server's name for
    its gRPC port, `<name>/<purpose>` for another (`enc/rep-0/raft`)."""
    return server.name if purpose == GRPC else f"{server.name}/{purpose}"


def runtime_argv(plan: Plan, server: Server, address_of: AddressOf, *, plan_path: str,
                 port: str, base_dir: str | None = None, host: str | None = None,
                 web_ports: dict[str, str] | None = None,
                 monitoring_port: str | None = None) -> Argv:
    """The `flowc-runtime` command line of `server`: what it is, where it listens (`host`,
    `port` for gRPC, `web_ports` {purpose: port} for its HTTP/WebSocket ports, given as
    `--http-port`/`--websocket-port`, `monitoring_port` for Prometheus' `/metrics` when the
    server has that purpose) and the addresses of what it calls (`address_of`).
    `base_dir` is where the plan's relative paths start (the runtime's default: the plan file's
    directory)."""
    argv = Argv(server.kind, [("--plan", plan_path)])
    if host is not None:
        argv.set("--host", host)
    if base_dir is not None and server.kind != "head":
        argv.set("--base-dir", base_dir)
    if server.deployment is not None:
        argv.set("--deployment", server.deployment)
    if server.kind == "worker":
        if server.role != "executor":
            argv.set("--role", server.role)
        if server.shard is not None:
            argv.set("--shard", str(server.shard)).set("--replica", str(server.replica))
    argv.set("--port", port)
    for purpose in server.ports:
        if purpose in WEB_PURPOSES:
            argv.set(f"--{purpose}-port", (web_ports or {})[purpose])
        elif purpose == MONITORING:
            if monitoring_port is None:
                raise ValueError(f"{server.name}: monitoring is on, but no port was given")
            argv.set("--monitoring-port", monitoring_port)
    if server.kind == "head":
        argv.set("--shards", compact_json([_dedup(address_of(plan.server(n), GRPC) for n in group)
                                           for group in server.shards]))
        for role in ("uses_before", "uses_after"):
            name = getattr(server, role)
            if name is not None:
                argv.set(f"--{role.replace('_', '-')}", address_of(plan.server(name), GRPC))
    if server.kind == "gateway":
        argv.set("--addresses", compact_json(gateway_addresses(plan, server, address_of)))
    return argv


def gateway_addresses(plan: Plan, gateway: Server, address_of: AddressOf) -> dict[str, list[str]]:
    """The gateway's `--addresses`: every routed entry's servers, and every external entry
    where it already runs."""
    addresses = {entry: _dedup(address_of(plan.server(n), GRPC) for n in names)
                 for entry, names in gateway.routes.items()}
    for dep in plan.deployments:
        if dep.external:
            addresses[dep.name] = [a.target for a in dep.external]
    return dict(sorted(addresses.items()))


def raft_peer_groups(plan: Plan, address_of: AddressOf) -> dict[str, list[list[str]]]:
    """Every stateful entry's Raft groups: {entry: [[replica address, ...] per shard]}."""
    groups: dict[str, list[list[str]]] = {}
    for server in plan.servers:
        if RAFT in server.ports:
            shards = groups.setdefault(str(server.deployment), [])
            while len(shards) <= int(server.shard or 0):
                shards.append([])
            shards[int(server.shard or 0)].append(address_of(server, RAFT))
    return groups


def compact_json(value: object) -> str:
    """JSON with sorted keys and no spaces: deterministic command-line arguments."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _dedup(items: Iterator[str] | list[str]) -> list[str]:
    """Addresses in order, once each (replicas behind one Service share an address)."""
    return list(dict.fromkeys(items))
