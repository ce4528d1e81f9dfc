"""The local target: a launch plan (JSON + Procfile) of plain processes on one machine.

`flowc build flow.yml --target local -o DIR` writes it; `flowc run --plan DIR` executes it; and
`flowc run flow.yml` does both in one step (with free ports instead of the fixed ones written
here). Every process runs the shared runtime (`flowc-runtime worker|head|gateway`).

Ports: fixed and deterministic in an artifact — the gateway on the Flow's `port` when set, else
`base_port`; every other server on the next free number from `base_port + 1`, in launch order;
a replica of a `stateful: true` entry takes the next number after its own for its Raft node
(`<name>/raft` in `port_for`). The Raft addresses are written once, in `raft-peers.json`
(entry → shards → addresses), and every stateful replica reads its shard's list from it
(`--raft-peers @raft-peers.json`): listing them in each replica's arguments made a 2,000-replica
plan 153 MB. The Raft password is never in the artifact: `flowc run` makes one per run and
hands it to the replicas in their environment (FLOWC_RAFT_PASSWORD).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from flowc.compiler.diagnostics import Diagnostic, error
from flowc.compiler.plan import Deployment, Plan
from flowc.targets.common import external_addresses, hosted, needs_head, roles, span_from_source

LAUNCH_VERSION = 1
RUNTIME = "flowc-runtime"
PLAN_FILE = "plan.json"
RAFT_PEERS_FILE = "raft-peers.json"


@dataclass(frozen=True)
class Options:
    context: str = "."  # the Flow's directory, relative to the output directory
    host: str = "127.0.0.1"
    base_port: int = 52000

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> "Options":
        return cls(
            context=options.get("context") or ".",
            host=options.get("host") or "127.0.0.1",
            base_port=int(options.get("base_port") or 52000),
        )


@dataclass(frozen=True)
class Process:
    """One server of the launch plan. `argv[0]` is `flowc-runtime`."""

    name: str  # runtime name, e.g. 'enc/rep-0', 'enc/head', 'gateway'
    kind: str  # 'worker' | 'head' | 'gateway'
    port: int
    argv: tuple[str, ...]
    raft: str = ""  # a stateful replica's Raft address (its shard's list is in the peers file)
    shard: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "port": self.port, "argv": list(self.argv)}


def _replica_names(dep: Deployment) -> Iterator[tuple[int, int, str]]:
    for shard in range(dep.shards):
        for replica in range(dep.replicas):
            suffix = f"shard-{shard}/rep-{replica}" if dep.shards > 1 else f"rep-{replica}"
            yield shard, replica, f"{dep.name}/{suffix}"


def processes(plan: Plan, *, port_for: Callable[[str], int], plan_path: str, base_dir: str,
              host: str = "127.0.0.1", raft_peers: str = RAFT_PEERS_FILE) -> list[Process]:
    """Every process the plan needs, workers first and the gateway last (the start order that
    lets each server find the ones it calls already listening). Stateful replicas read their
    peers from the file `raft_peers` (`raft_peer_groups` gives its content)."""
    common = ("--plan", plan_path, "--host", host)
    out: list[Process] = []
    addresses: dict[str, list[str]] = {}
    for dep in plan.deployments:
        if dep.is_external:
            addresses[dep.name] = external_addresses(dep)
            continue
        if not hosted(dep):
            continue
        shards: list[list[str]] = [[] for _ in range(dep.shards)]
        replicas = [(shard, replica, name, port_for(name),
                     port_for(f"{name}/raft") if dep.stateful else None)
                    for shard, replica, name in _replica_names(dep)]
        for shard, replica, name, port, raft in replicas:
            stateful = ("--raft-peers", f"@{raft_peers}") if raft else ()
            out.append(Process(name, "worker", port, (
                RUNTIME, "worker", *common, "--base-dir", base_dir, "--deployment", dep.name,
                "--shard", str(shard), "--replica", str(replica), "--port", str(port),
                *stateful), raft=f"{host}:{raft}" if raft else "", shard=shard))
            shards[shard].append(f"{host}:{port}")
        if not needs_head(dep):
            addresses[dep.name] = shards[0]
            continue
        head_args: list[str] = ["--shards", json.dumps(shards, separators=(",", ":"))]
        for role in roles(dep):
            name = f"{dep.name}/{role}"
            port = port_for(name)
            out.append(Process(name, "worker", port, (
                RUNTIME, "worker", *common, "--base-dir", base_dir, "--deployment", dep.name,
                "--role", role, "--port", str(port))))
            head_args += [f"--{role.replace('_', '-')}", f"{host}:{port}"]
        name = f"{dep.name}/head"
        port = port_for(name)
        out.append(Process(name, "head", port, (
            RUNTIME, "head", *common, "--deployment", dep.name, "--port", str(port), *head_args)))
        addresses[dep.name] = [f"{host}:{port}"]
    port = port_for(plan.gateway.name)
    out.append(Process(plan.gateway.name, "gateway", port, (
        RUNTIME, "gateway", *common, "--base-dir", base_dir, "--port", str(port),
        "--addresses", json.dumps(addresses, sort_keys=True, separators=(",", ":")))))
    return out


def raft_peer_groups(procs: list[Process]) -> dict[str, list[list[str]]]:
    """The peers file: each stateful entry's shards, each a list of its replicas' Raft
    addresses in replica order (the order `processes` made them in)."""
    groups: dict[str, list[list[str]]] = {}
    for proc in procs:
        if proc.raft:
            entry = groups.setdefault(proc.name.split("/", 1)[0], [])
            while len(entry) <= proc.shard:
                entry.append([])
            entry[proc.shard].append(proc.raft)
    return groups


def port_names(plan: Plan, host: str = "127.0.0.1") -> list[str]:
    """Every name `processes` asks `port_for` about, in order: each server's, and `<replica
    name>/raft` for the Raft node of each replica of a stateful entry."""
    names: list[str] = []
    processes(plan, port_for=lambda name: names.append(name) or 0, plan_path="", base_dir="",
              host=host)
    return names


def fixed_ports(plan: Plan, base_port: int) -> Callable[[str], int]:
    """Deterministic ports: the gateway's own or `base_port`, then counting up, skipping it."""
    gateway_port = plan.gateway.ports[0] if plan.gateway.ports else base_port
    state = {"next": base_port}

    def port_for(name: str) -> int:
        if name == plan.gateway.name:
            return gateway_port
        state["next"] += 1
        while state["next"] == gateway_port:
            state["next"] += 1
        return state["next"]

    return port_for


def launch_plan(plan: Plan, procs: list[Process], *, base_dir: str, host: str) -> dict[str, Any]:
    gateway = next(p for p in procs if p.kind == "gateway")
    return {
        "version": LAUNCH_VERSION,
        "flow": plan.flow.name,
        "base_dir": base_dir,
        "plan": PLAN_FILE,
        "gateway": {"host": host, "port": gateway.port},
        "processes": [p.to_dict() for p in procs],
    }


def render(plan: Plan, options: Options) -> tuple[dict[str, str], list[Diagnostic]]:
    diagnostics = _check(plan) + _port_problems(plan, options.base_port)
    if diagnostics:
        return {}, diagnostics
    procs = processes(plan, port_for=fixed_ports(plan, options.base_port), plan_path=PLAN_FILE,
                      base_dir=options.context, host=options.host)
    launch = launch_plan(plan, procs, base_dir=options.context, host=options.host)
    groups = raft_peer_groups(procs)
    procfile = "".join(f"{_procfile_name(p.name)}: {' '.join(_shell_quote(a) for a in p.argv)}\n"
                       for p in procs)
    files = {
        PLAN_FILE: plan.to_json(),
        "launch.json": json.dumps(launch, indent=2, sort_keys=True) + "\n",
        "Procfile": procfile,
        **({RAFT_PEERS_FILE: json.dumps(groups, indent=1, sort_keys=True) + "\n"}
           if groups else {}),
        "README.md": _README.format(flow=plan.flow.name, host=options.host,
                                    port=launch["gateway"]["port"],
                                    raft=_RAFT_README if groups else ""),
    }
    return files, []


def _check(plan: Plan) -> list[Diagnostic]:
    return [
        error("FC760", f"`{dep.name}` runs the image `{dep.executor.image}`: the local target "
              "starts plain processes and has no container runtime",
              span_from_source(dep.source),
              hint="use the compose or k8s target for docker:// executors, or point `uses` at "
                   "the executor's YAML or class")
        for dep in plan.deployments
        if hosted(dep) and dep.executor.kind == "docker"
    ]


def _port_problems(plan: Plan, base_port: int) -> list[Diagnostic]:
    """Every port counted up from `base_port` must exist (FC743, as the systemd target says)."""
    if not 1 <= base_port <= 65535:
        return [error("FC743", f"`base_port` {base_port} is out of range", None,
                      hint="choose a port between 1024 and 65000")]
    fixed, given = fixed_ports(plan, base_port), []

    def port_for(name: str) -> int:
        given.append((name, fixed(name)))
        return given[-1][1]

    processes(plan, port_for=port_for, plan_path=PLAN_FILE, base_dir=".", host="127.0.0.1")
    bad = [(name, port) for name, port in given if not 1 <= port <= 65535]
    if not bad:
        return []
    name, port = bad[0]
    return [error("FC743", f"port {port} of `{name}` is out of range ({len(bad)} port(s) past "
                  "65535)", None, hint=f"choose a lower `base_port` (now {base_port}), or run "
                                      "fewer replicas on one host")]


def _procfile_name(name: str) -> str:
    return name.replace("/", "-").replace("_", "-")


def _shell_quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


_README = """\
# `{flow}` — local launch plan

Generated by `flowc build --target local`. Plain processes on {host}, no containers:

    flowc run --plan .          # starts every process, prints the gateway address, Ctrl-C stops all

`launch.json` lists each process (name, port, command); `Procfile` has the same commands for
foreman/honcho-style process managers (run them from this directory). The gateway listens on
{host}:{port}.
{raft}"""

_RAFT_README = """
Stateful (Raft) replicas read their peers from `raft-peers.json` and need the same Raft password
in the environment variable FLOWC_RAFT_PASSWORD (at least 16 characters). `flowc run --plan .`
makes a fresh one for every run; to use the Procfile, export one first, e.g.
`export FLOWC_RAFT_PASSWORD="$(openssl rand -base64 32)"`. It is never written here.
"""
