"""`flowc endpoints` and `flowc ping`: asking a running Flow (or one node) what it serves and
whether all of it answers; and where a Flow file runs (`flow_address`, shared with `flowc post`).

The commands' work is the runtime's (`flowc.runtime.probe`, imported only when one of them
runs: grpc and protobuf cost 84 ms that no other command pays); this module only parses, finds
the address and prints.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, Callable, TextIO

__all__ = ["add_parsers", "cmd_endpoints", "cmd_ping", "flow_address", "run"]

EXAMPLES = {  # `flowc COMMAND --help`'s epilog, as cli.EXAMPLES
    "endpoints": "example:\n  flowc endpoints examples/chain/flow.yml\n"
                 "  flowc endpoints 127.0.0.1:54321 --json",
    "ping": "example:\n  flowc ping examples/chain/flow.yml\n  flowc ping grpc://127.0.0.1:54321",
}
TARGET_HELP = ("HOST:PORT (or grpc://HOST:PORT) of a gateway, head or worker, or a Flow file: "
               "the address `flowc run` serves it at")


def add_parsers(command: Callable[[str, str], argparse.ArgumentParser],
                input_options: Callable[[argparse.ArgumentParser], None]) -> None:
    p = command("endpoints", "list a running Flow's endpoints: document schemas, parameters")
    p.add_argument("target", metavar="ADDRESS_OR_FLOWFILE", help=TARGET_HELP)
    p.add_argument("--json", action="store_true", help="print every endpoint's full JSON "
                   "Schemas as one JSON object (endpoint → schemas)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help="seconds to wait for the answer (default 10)")
    input_options(p)
    p = command("ping", "check a running Flow: the gateway's health and every node's (as "
                        "`jina ping` and a dry run)")
    p.add_argument("target", metavar="ADDRESS_OR_FLOWFILE", help=TARGET_HELP)
    p.add_argument("--timeout", type=float, default=5.0, metavar="S",
                   help="seconds to wait for each answer (default 5)")
    input_options(p)


def is_flow_file(target: str) -> bool:
    """A Flow file rather than an address (`HOST:PORT`, `grpc://HOST:PORT`)."""
    return target.endswith((".yml", ".yaml")) or os.path.isfile(target)


def flow_address(args: argparse.Namespace, command: str, err: TextIO,
                 compile_file: Callable[[argparse.Namespace, str, TextIO], Any]) -> str | None:
    """`args.target` as an address, or where the Flow file `args.target` runs: recorded by
    `flowc run`, else its gateway port on this machine. None (said on `err`) when neither."""
    target = args.target
    if not is_flow_file(target):
        return target
    result = compile_file(args, target, err)  # a Flow file: where `flowc run` serves it
    if result is None:
        err.write(f"flowc {command}: cannot compile the Flow (above)\n")
        return None
    from .runstate import lookup  # a Flow file only

    address = lookup(target)
    gateway = result.plan.gateway
    grpc_port = dict(zip(gateway.protocols, gateway.ports)).get("grpc")  # one port per protocol
    if address is None and grpc_port is None:
        err.write(f"flowc {command}: {target} is not running here (start it with `flowc run "
                  f"{target}`) and sets no gRPC port for its gateway (`with: port:`); or pass "
                  "the address `flowc run` printed\n")
        return None
    return address or f"127.0.0.1:{grpc_port}"


def run(args: argparse.Namespace, out: TextIO, err: TextIO,
        compile_file: Callable[[argparse.Namespace, str, TextIO], Any]) -> int:
    """`flowc endpoints` or `flowc ping` (`args.command`)."""
    address = flow_address(args, args.command, err, compile_file)
    if address is None:
        return 1
    command = cmd_endpoints if args.command == "endpoints" else cmd_ping
    return command(args, address, out, err)


def cmd_endpoints(args: argparse.Namespace, address: str, out: TextIO, err: TextIO) -> int:
    """Exit 0 with the list; 1 when the server or one of its nodes does not answer."""
    from flowc.runtime.client import Client  # grpc: see the module's docstring

    with Client(address=address) as client:
        try:
            found = client.endpoints(timeout=args.timeout)
        except (ConnectionError, TimeoutError, RuntimeError) as exc:
            err.write(f"flowc endpoints: {exc}\n")
            return 1
    if args.json:
        out.write(json.dumps({name: e.to_json() for name, e in found.items()}, indent=2,
                             sort_keys=True) + "\n")
        return 0
    for name, endpoint in found.items():
        marks = [m for m, on in (("write", endpoint.write), ("streaming", endpoint.streaming)) if on]
        out.write(f"{name}{'  (' + ', '.join(marks) + ')' if marks else ''}\n")
        out.write(f"  input:      {describe(endpoint.input_schema)}\n")
        out.write(f"  output:     {describe(endpoint.output_schema)}\n")
        params = describe(endpoint.parameters_schema) if endpoint.parameters_schema else \
            "any object"
        out.write(f"  parameters: {params}\n")
    if not found:
        out.write(f"{address} serves no endpoints\n")
    return 0


def describe(schema: dict[str, Any]) -> str:
    """`Title {field: type, ...}` from a JSON Schema, on one line (`--json` gives it whole)."""
    if not schema:
        return "any document"
    fields = []
    for key, prop in (schema.get("properties") or {}).items():
        fields.append(f"{key}: {_type(prop)}")
    return f"{schema.get('title', 'object')} {{{', '.join(fields)}}}"


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " | ".join(_type(p) for p in prop["anyOf"])
    kind = prop.get("type", "any")
    if kind == "array" and isinstance(prop.get("items"), dict):
        return f"array[{_type(prop['items'])}]"
    return str(kind)


def cmd_ping(args: argparse.Namespace, address: str, out: TextIO, err: TextIO) -> int:
    """Exit 0 when the server is SERVING and (a gateway) every node it routes to is; else 1."""
    from flowc.runtime.probe import ping  # grpc: see the module's docstring

    result = ping(address, args.timeout)
    if result.health != "SERVING":
        err.write(f"flowc ping: {address}: {result.health}\n")
        return 1
    if result.dry_run is None:
        out.write(f"{address}: SERVING (a worker or head: no nodes behind it to check)\n")
        return 0
    if not result.dry_run.ok:
        err.write(f"flowc ping: {address}: the gateway is SERVING, but {result.dry_run.detail}\n")
        return 1
    out.write(f"{address}: SERVING; every node it routes to is SERVING\n")
    return 0
