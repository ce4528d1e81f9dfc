"""Which processes run a Flow on this machine (`flowc run`, the Python `Flow`, a restart): the
servers of a plan on free loopback ports, their command lines, and the launch plan the
supervisor executes (the same JSON `flowc build --target local` writes for `flowc run --plan`).

The servers and their command lines are the lowering's (`Plan.servers`), put on one host by
`flowc.compiler.launch`, as the local target does with fixed ports.
"""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from flowc.compiler.plan import Plan
from flowc.compiler import launch

from .supervisor import free_ports

__all__ = ["PLAN_FILE", "RAFT_PEERS_FILE", "gateway_moved_to", "in_process_plan",
           "launch_from_plan", "port_taken", "processes"]

PLAN_FILE = launch.PLAN_FILE
RAFT_PEERS_FILE = launch.RAFT_PEERS_FILE


def processes(plan: Plan, *, plan_path: str, base_dir: str, host: str, raft_peers: Path,
              ports: Mapping[str, int] | None = None) -> list[launch.Process]:
    """Every server of `plan` (workers first, the gateway last): those named in `ports` on
    their port, the others on free ones. Stateful replicas' peers are written to `raft_peers`
    (`--raft-peers @FILE`) when there are any."""
    chosen = dict(ports or {})
    new = [n for n in launch.port_keys(plan) if n not in chosen]  # Raft nodes included
    chosen.update(zip(new, free_ports(len(new), host)))
    procs = launch.processes(plan, chosen, plan_path=plan_path, base_dir=base_dir, host=host,
                             raft_peers=str(raft_peers))
    groups = launch.peers_file(plan, chosen, host)
    if groups:
        raft_peers.write_text(json.dumps(groups, sort_keys=True), encoding="utf-8")
    return procs


def launch_from_plan(plan: Plan, *, base_dir: Path, work_dir: Path, host: str = "127.0.0.1",
                     gateway_port: int | None = None) -> dict[str, Any]:
    """Write `plan.json` into `work_dir` and return a launch plan on free ports (the gateway on
    `gateway_port` for its first listed protocol, else the Flow's `port` for each protocol)."""
    (work_dir / PLAN_FILE).write_text(plan.to_json(), encoding="utf-8")
    procs = processes(plan, plan_path=str(work_dir / PLAN_FILE), base_dir=str(base_dir),
                      host=host, raft_peers=work_dir / RAFT_PEERS_FILE,
                      ports=launch.gateway_fixed_ports(plan, gateway_port))
    return launch.launch_document(plan, procs, base_dir=str(base_dir), host=host)


def gateway_moved_to(launch: dict[str, Any], port: int,
                     raft_peers: Path | None = None) -> dict[str, Any]:
    """`flowc run --plan DIR --port P`: a copy of the launch plan whose gateway listens on `port`
    (its `--port`, its process entry and the `gateway` address the supervisor probes). Only the
    gateway moves: nothing calls it, so no other command line changes. ValueError when another
    server of the plan has that port (a Raft node's, from `raft_peers`, included)."""
    others = {p["port"]: p["name"] for p in launch["processes"] if p["kind"] != "gateway"}
    if raft_peers is not None and raft_peers.is_file():
        groups = json.loads(raft_peers.read_text(encoding="utf-8"))
        for entry, shards in sorted(groups.items()):
            for shard, peers in enumerate(shards):
                for i, address in enumerate(peers):
                    others.setdefault(int(address.rsplit(":", 1)[1]),
                                      f"{entry}'s Raft node (shard {shard}, replica {i})")
    if port in others:
        raise ValueError(f"port {port} is {others[port]}'s in this launch plan; choose another "
                         "--port")
    moved = json.loads(json.dumps(launch))  # a deep copy: the caller's plan stays as read
    for process in moved["processes"]:
        if process["kind"] == "gateway":
            argv = process["argv"]
            argv[argv.index("--port") + 1] = str(port)
            process["port"] = port
    moved["gateway"]["port"] = port
    return moved


def port_taken(host: str, port: int) -> str:
    """Why `host:port` cannot be listened on ('' when it can). Checked before start-up, since a
    gateway's own failure to bind would only show as an exit during start-up."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC: TIME_WAIT is fine
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return ""


def in_process_plan(plan: Plan) -> tuple[Plan, list[str]]:
    """`--in-process`: every executor the gateway can host runs inside it (no network hop), and
    notes naming what differs. A sharded entry, or one with uses_before/uses_after, needs its head
    (polling, reduce, the hooks), so it keeps its own processes; replicas become one instance.
    Its servers follow from its entries (`Plan.servers` is derived)."""
    deployments, notes = [], []
    for dep in plan.deployments:
        if dep.is_external:
            deployments.append(dep)
        elif dep.needs_head or dep.stateful:
            why = (f"has {dep.shards} shards" if dep.shards > 1 else "is stateful (Raft)"
                   if dep.stateful else "has uses_before/uses_after")
            notes.append(f"--in-process: entry {dep.name!r} {why}: it keeps its own processes "
                         f"(a head and its workers)")
            deployments.append(dep)
        else:
            if dep.replicas > 1:
                notes.append(f"--in-process: entry {dep.name!r} runs as one instance inside the "
                             f"gateway (replicas: {dep.replicas} ignored)")
            deployments.append(replace(dep, placement="gateway"))
    return replace(plan, deployments=tuple(deployments)), notes
