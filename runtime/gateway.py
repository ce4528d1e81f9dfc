"""The gateway (`flowc-runtime gateway ...`): its servicer and its command line.

The routing itself is `graph_runner.GraphRunner`; the server around it (health, limits, the
hold before SERVING, graceful stop) is `server.serve`, shared with heads and workers.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from pathlib import Path
from typing import Any, Sequence

from flowc.compiler.plan import GATEWAY, Plan

from .channels import ReplicaSet
from .endpoints import EndpointsUnion
from .graph_runner import GraphRunner, InProcessStartError, build_hops
from .jina_services import gateway_services
from .jina_stream import call_jina, with_jina_stream
from .loading import (EnvFileError, add_env_from_file_option, apply_env_from_files,
                      print_user_traceback)
from .observe import add_monitoring_option, observer_for
from .proto import flowc_pb2
from .server import Hooks, say, serve
from .streaming import StreamRoute, serve_stream, stream_route
from .topology import Topology, build_topology, parse_addresses
from .web import add_web_port_options, web_port_values, web_ports
from .wire import ServerSettings

__all__ = ["GatewayServicer", "main", "serve_gateway"]


class GatewayServicer:
    """The `Flowc` service of the gateway: only the RPC methods."""

    def __init__(self, runner: GraphRunner, stream_route: StreamRoute | None = None):
        self.runner = runner
        self._endpoints = EndpointsUnion(GATEWAY, [runner.hops[n.name]
                                                   for n in runner.topology.nodes])
        self.stream_route = stream_route or StreamRoute(refusal="this gateway does not stream")

    async def Process(self, request: flowc_pb2.DataRequest, context: Any) -> flowc_pb2.DataRequest:
        if self.runner.observer is not None and context is not None:  # the client's trace
            self.runner.observer.adopt(request, context.invocation_metadata())
        return await self.runner.run(request)

    async def Endpoints(self, request: Any, context: Any) -> flowc_pb2.EndpointsReply:
        return await self._endpoints.answer(context)

    async def StreamDoc(self, request: flowc_pb2.DataRequest, context: Any) -> Any:
        """A streaming endpoint of the Flow's one entry (streaming.py)."""
        async for answer in serve_stream(self.stream_route.stream, request, context):
            yield answer


async def not_serving(hops: dict[str, Any]) -> list[str]:
    """The entries (in Flow order) with a replica that does not report SERVING (Jina's dry run)."""
    remote = [(name, hop) for name, hop in hops.items() if isinstance(hop, ReplicaSet)]
    states = await asyncio.gather(*(hop.serving() for _, hop in remote))
    return [name for (name, _), ok in zip(remote, states) if not ok]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="flowc-runtime gateway",
        description="Serve a Flow's gateway: route every request through the plan's graph.",
        epilog="example: flowc-runtime gateway --plan plan.json --port 8080 "
               "--addresses '{\"enc\": [\"127.0.0.1:9001\"]}'")
    parser.add_argument("--plan", required=True, help="the plan JSON written by flowc build")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--base-dir", default=None, help="default: the plan file's directory")
    parser.add_argument("--addresses", default="{}",
                        help="JSON {entry: [address, ...]} or @FILE holding it")
    parser.add_argument("--grace", type=float, default=10.0,
                        help="seconds to finish requests in flight on SIGTERM")
    parser.add_argument("--reuse-port", action="store_true",
                        help="let a second gateway bind the same port (SO_REUSEPORT), as "
                             "`flowc run` does to replace its gateway without refusing requests")
    add_web_port_options(parser)
    add_monitoring_option(parser)
    add_env_from_file_option(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    try:
        apply_env_from_files(args.env_from_file)
    except EnvFileError as exc:
        print(f"flowc-runtime gateway: {exc}", file=sys.stderr)
        return 2
    try:
        plan_path = Path(args.plan)
        plan = Plan.from_json(plan_path.read_text(encoding="utf-8"))
        topology = build_topology(plan, parse_addresses(args.addresses))
    except (OSError, ValueError, KeyError) as exc:
        print(f"flowc-runtime gateway: {exc}", file=sys.stderr)
        return 2
    base_dir = Path(args.base_dir) if args.base_dir else plan_path.resolve().parent
    return asyncio.run(serve_gateway(plan, topology, base_dir=base_dir, host=args.host,
                                     port=args.port, grace=args.grace,
                                     reuse_port=args.reuse_port,
                                     web=web_port_values(args),
                                     monitoring_port=args.monitoring_port))


async def serve_gateway(plan: Plan, topology: Topology, *, base_dir: Path, host: str, port: int,
                        grace: float = 10.0, reuse_port: bool = False,
                        web: dict[str, int] | None = None,
                        monitoring_port: int | None = None) -> int:
    """Load in-process entries, then serve the gateway until SIGTERM/SIGINT; the exit code.
    `web`: {protocol: port} served beside gRPC (HTTP, WebSocket: web.py); `monitoring_port`:
    Prometheus' `/metrics` (observe.py)."""
    server_options = plan.gateway.options.get("grpc_server_options") or {}
    channel_options = ServerSettings(server_options).channel_options(
        plan.gateway.options.get("grpc_channel_options"))
    try:
        hops = build_hops(plan, topology, base_dir, channel_options)
    except InProcessStartError as exc:  # an in-process executor failed to start: say which
        cause = exc.__cause__
        print_user_traceback(cause)
        say(GATEWAY, f"cannot start {exc.entry}/rep-0 (placement: gateway): "
                     f"{type(cause).__name__}: {cause}")
        return 1
    runner = GraphRunner(topology, hops)
    try:  # monitoring and tracing (observe.py): None, and nothing imported, when off
        runner.observer = observer_for(plan.gateway.observability, name=GATEWAY, kind="gateway",
                                       host=host, monitoring_port=monitoring_port)
    except OSError as exc:
        say(GATEWAY, f"cannot serve metrics on {host}:{monitoring_port}: {exc}")
        await runner.close()
        return 1
    for hop in hops.values():
        if isinstance(hop, ReplicaSet):
            hop.observer = runner.observer

    async def finish_floating(seconds_left: float) -> None:
        """The hops to floating entries still under way: their requests were answered, but
        they must still reach those entries."""
        started = asyncio.get_running_loop().time()
        left = await runner.finish_floating(seconds_left)
        if left:
            waited = grace - seconds_left + asyncio.get_running_loop().time() - started
            say(GATEWAY, f"{left} floating request(s) still running after {waited:.2f} s "
                         f"(grace {grace:g} s): cancelling them")

    hooks = Hooks(dependencies=[h for h in hops.values() if isinstance(h, ReplicaSet)],
                  finish=finish_floating, close=runner.close)
    servicer = GatewayServicer(runner, stream_route(plan, hops, fallback=call_jina))
    hooks.services = with_jina_stream(
        gateway_services(GATEWAY, runner.run, servicer._endpoints.get,
                         functools.partial(not_serving, hops)), servicer.stream_route.stream)
    ports = web_ports(web or {}, name=GATEWAY, dispatch=runner.run,
                      endpoints=servicer._endpoints.get, options=plan.gateway.options,
                      runner=runner, not_ready=functools.partial(not_serving, hops),
                      stream=servicer.stream_route.stream)
    return await serve(servicer, name=GATEWAY, host=host, port=port, grace=grace,
                       options=server_options, reuse_port=reuse_port, hooks=hooks, web=ports,
                       observer=runner.observer)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
