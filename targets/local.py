"""The local target: a launch plan (JSON + Procfile) of plain processes on one machine.

`flowc build flow.yml --target local -o DIR` writes it; `flowc run --plan DIR` executes it; and
`flowc run flow.yml` does both in one step (with free ports instead of the fixed ones written
here). Every process runs the shared runtime (`flowc-runtime worker|head|gateway`).

Ports: fixed and deterministic in an artifact — the gateway on the Flow's `port` when set, else
`base_port`; every other server on the next free number from `base_port + 1`, in server order
(`Plan.servers`); a replica of a `stateful: true` entry takes the next number after its own for
its Raft node. The processes, their command lines and the Raft peers file (written once, read by
every stateful replica with `--raft-peers @raft-peers.json`) are compiler/launch.py's. The Raft password is never in the artifact: `flowc run` makes one per run and
hands it to the replicas in their environment (FLOWC_RAFT_PASSWORD).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any, Mapping

from flowc.compiler.diagnostics import Diagnostic, error
from flowc.compiler.launch import (PLAN_FILE, RAFT_PEERS_FILE, launch_document, peers_file,
                                   port_keys, processes)
from flowc.compiler.argv import port_key
from flowc.compiler.plan import Plan
from flowc.targets.layout import gateway_ports
from flowc.targets.locations import span_from_source



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


def fixed_ports(plan: Plan, base_port: int) -> dict[str, int]:
    """Deterministic ports (by `port_keys`): the gateway's own (one per protocol) or counting
    from `base_port`, the others counting up from `base_port + 1`, skipping the gateway's."""
    gateway = plan.server(plan.gateway.name)
    own = {port_key(gateway, purpose): number
           for purpose, number in gateway_ports(plan, default=base_port).items()}
    taken = set(own.values())
    ports, number = {}, base_port
    for key in port_keys(plan):
        if key in own:
            ports[key] = own[key]
            continue
        number += 1
        while number in taken:
            number += 1
        ports[key] = number
    return ports


def render(plan: Plan, options: Options) -> tuple[dict[str, str], list[Diagnostic]]:
    diagnostics = _check(plan) + _port_problems(plan, options.base_port)
    if diagnostics:
        return {}, diagnostics
    ports = fixed_ports(plan, options.base_port)
    procs = processes(plan, ports, plan_path=PLAN_FILE, base_dir=options.context,
                      host=options.host)
    launch = launch_document(plan, procs, base_dir=options.context, host=options.host)
    groups = peers_file(plan, ports, options.host)
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
        if dep.hosted and dep.executor.kind == "docker"
    ]


def _port_problems(plan: Plan, base_port: int) -> list[Diagnostic]:
    """Every port counted up from `base_port` must exist (FC743, as the systemd target says)."""
    if not 1 <= base_port <= 65535:
        return [error("FC743", f"`base_port` {base_port} is out of range", None,
                      hint="choose a port between 1024 and 65000")]
    bad = [(name, port) for name, port in fixed_ports(plan, base_port).items()
           if not 1 <= port <= 65535]
    if not bad:
        return []
    name, port = bad[0]
    return [error("FC743", f"port {port} of `{name}` is out of range ({len(bad)} port(s) past "
                  "65535)", None, hint=f"choose a lower `base_port` (now {base_port}), or run "
                                      "fewer replicas on one host")]


def _procfile_name(name: str) -> str:
    return name.replace("/", "-").replace("_", "-")


def _shell_quote(arg: str) -> str:
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
