"""The local launch plan: every server of a plan as a process on one host.

Written by `flowc build --target local` (with fixed ports: launch.json, Procfile) and made by
`flowc run` (with free ports); the supervisor executes either. Which servers exist and their
command lines are the lowering's (`Plan.servers`, `runtime_argv`); this module only puts them on
one host's ports and writes the launch plan's JSON form. Stateful replicas read their Raft peers
from one file (`--raft-peers @FILE`): listing them in each replica's arguments made a
2,000-replica plan 153 MB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .argv import port_key, raft_peer_groups, runtime_argv
from .lower import MONITORING, WEB_PURPOSES
from .plan import GRPC, RAFT, Plan, Server

LAUNCH_VERSION = 1
PLAN_FILE = "plan.json"
RAFT_PEERS_FILE = "raft-peers.json"


@dataclass(frozen=True)
class Process:
    """One server of the launch plan. `argv[0]` is `flowc-runtime`."""

    name: str  # the server's name, e.g. 'enc/rep-0', 'enc/head', 'gateway'
    kind: str  # 'worker' | 'head' | 'gateway'
    port: int
    argv: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "port": self.port, "argv": list(self.argv)}


def port_keys(plan: Plan) -> list[str]:
    """Every port the plan's servers need on the host, in server order (`port_key` names: the
    server's own, and `<name>/raft` for a stateful replica's Raft node)."""
    return [port_key(s, purpose) for s in plan.servers for purpose in s.ports]


def processes(plan: Plan, ports: Mapping[str, int], *, plan_path: str, base_dir: str,
              host: str, raft_peers: str = RAFT_PEERS_FILE) -> list[Process]:
    """Every server on `host` at `ports` (by `port_keys`), in start order (each after the
    servers it calls, the gateway last). Stateful replicas read their peers from the file
    `raft_peers` (`peers_file` gives its content)."""
    def address_of(server: Server, purpose: str) -> str:
        return f"{host}:{ports[port_key(server, purpose)]}"

    out = []
    for server in plan.servers:
        web = {p: str(ports[port_key(server, p)]) for p in server.ports if p in WEB_PURPOSES}
        watch = (str(ports[port_key(server, MONITORING)]) if MONITORING in server.ports
                 else None)
        argv = runtime_argv(plan, server, address_of, plan_path=plan_path, host=host,
                            base_dir=base_dir, port=str(ports[server.name]), web_ports=web,
                            monitoring_port=watch)
        if RAFT in server.ports:
            argv.set("--raft-peers", f"@{raft_peers}")
        out.append(Process(server.name, server.kind, ports[server.name], tuple(argv.render())))
    return out


def peers_file(plan: Plan, ports: Mapping[str, int], host: str) -> dict[str, list[list[str]]]:
    """The Raft peers file: each stateful entry's shards, each its replicas' Raft addresses."""
    return raft_peer_groups(plan, lambda server, purpose:
                            f"{host}:{ports[port_key(server, purpose)]}")


def launch_document(plan: Plan, procs: list[Process], *, base_dir: str,
                    host: str) -> dict[str, Any]:
    """launch.json: what the supervisor starts."""
    gateway = next(p for p in procs if p.kind == "gateway")
    server = plan.server(plan.gateway.name)
    address: dict[str, Any] = {"host": host, "port": gateway.port}
    served = [p for p in server.ports if p != MONITORING]  # the protocols clients use
    if len(served) > 1:  # every protocol's port: {purpose: port}, grpc included
        address["ports"] = {p: _argv_port(gateway.argv, p) for p in served}
        if plan.gateway.options.get("ssl_certfile"):
            address["tls"] = True
    return {
        "version": LAUNCH_VERSION,
        "flow": plan.flow.name,
        "base_dir": base_dir,
        "plan": PLAN_FILE,
        "gateway": address,
        "processes": [p.to_dict() for p in procs],
    }


def gateway_fixed_ports(plan: Plan, first: int | None = None) -> dict[str, int]:
    """The gateway's ports the Flow fixes (by `port_keys` name: one per listed protocol, in
    order); `first` replaces the first listed protocol's (`flowc run --port`)."""
    gw = plan.gateway
    server = plan.server(gw.name)
    fixed = dict(zip(gw.protocols, gw.ports)) if len(gw.ports) == len(gw.protocols) else {}
    if first is not None:
        fixed[gw.protocols[0] if gw.protocols else GRPC] = first
    return {port_key(server, p): int(n) for p, n in fixed.items() if p in server.ports}


def metrics_addresses(processes: list[dict[str, Any]]) -> dict[str, str]:
    """{server name: its Prometheus `/metrics` URL} for the launch plan's processes (`to_dict`
    form) that serve one (`monitoring: true`), in start order."""
    out = {}
    for proc in processes:
        argv = tuple(proc["argv"])
        if "--monitoring-port" in argv:
            host = argv[argv.index("--host") + 1] if "--host" in argv else "0.0.0.0"
            out[proc["name"]] = f"http://{host}:{_argv_port(argv, MONITORING)}/metrics"
    return out


def _argv_port(argv: tuple[str, ...], purpose: str) -> int:
    option = "--port" if purpose == GRPC else f"--{purpose}-port"
    return int(argv[argv.index(option) + 1])
