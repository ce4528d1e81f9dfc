"""The shard head of a deployment with `shards > 1` (`flowc-runtime head ...`): its servicer and
its command line. The routing (polling, uses_before/uses_after, reduce) is
`shard_router.ShardRouter`; the server around it is `server.serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, Sequence

from flowc.compiler.plan import Plan

from .endpoints import EndpointsUnion
from .loading import EnvFileError, add_env_from_file_option, apply_env_from_files
from .observe import add_monitoring_option, observer_for
from .proto import flowc_pb2
from .server import Hooks, serve
from .shard_router import ShardRouter, build_router

__all__ = ["HeadServicer", "main", "parse_shards"]


class HeadServicer:
    """The `Flowc` service of a head: only the RPC methods."""

    def __init__(self, router: ShardRouter, observer: Any = None):
        self.router = router
        self.observer = observer  # observe.py: None when monitoring and tracing are off
        self._endpoints = EndpointsUnion(router.deployment.name, [router.shards[0]])

    async def Process(self, request: flowc_pb2.DataRequest, context: Any) -> flowc_pb2.DataRequest:
        if self.observer is None:
            return await self.router.process(request)
        return await self.observer.served(request, self.router.process)

    async def Endpoints(self, request: Any, context: Any) -> flowc_pb2.EndpointsReply:
        return await self._endpoints.answer(context)


def parse_shards(text: str) -> list[list[str]]:
    """`--shards`: JSON `[[addr, ...] per shard]` (a string per shard means one replica)."""
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, list) or not data:
        raise ValueError("--shards must be a non-empty JSON list: [[address, ...] per shard]")
    shards = []
    for i, item in enumerate(data):
        addrs = [item] if isinstance(item, str) else item
        if not isinstance(addrs, list) or not addrs or not all(isinstance(a, str) for a in addrs):
            raise ValueError(f"--shards[{i}] must be a non-empty list of address strings")
        shards.append(addrs)
    return shards


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="flowc-runtime head",
        description="Serve the head of a sharded deployment: polling, uses_before/after, reduce.",
        epilog="example: flowc-runtime head --plan plan.json --deployment idx --port 8081 "
               "--shards '[[\"127.0.0.1:9001\"], [\"127.0.0.1:9002\"]]'")
    parser.add_argument("--plan", required=True)
    parser.add_argument("--deployment", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--shards", required=True, help="JSON [[addr, ...] per shard] or @FILE")
    parser.add_argument("--uses-before", default=None)
    parser.add_argument("--uses-after", default=None)
    parser.add_argument("--grace", type=float, default=10.0)
    add_monitoring_option(parser)
    add_env_from_file_option(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    try:
        apply_env_from_files(args.env_from_file)
    except EnvFileError as exc:
        print(f"flowc-runtime head: {exc}", file=sys.stderr)
        return 2
    try:
        plan = Plan.from_json(Path(args.plan).read_text(encoding="utf-8"))
        router = build_router(plan, args.deployment, parse_shards(args.shards),
                              args.uses_before, args.uses_after)
    except KeyError:
        print(f"flowc-runtime head: the plan has no entry {args.deployment!r}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"flowc-runtime head: {exc}", file=sys.stderr)
        return 2
    name = f"{args.deployment}/head"
    try:
        observer = observer_for(plan.deployment(args.deployment).observability, name=name,
                                kind="head", host=args.host, monitoring_port=args.monitoring_port)
    except OSError as exc:
        print(f"flowc-runtime head: cannot serve metrics on {args.host}:{args.monitoring_port}: "
              f"{exc}", file=sys.stderr)
        return 2
    for replicas in router.dependencies:  # the hops to shards and uses_before/after
        replicas.observer = observer
    hooks = Hooks(dependencies=router.dependencies, close=router.close)
    return asyncio.run(serve(
        HeadServicer(router, observer), name=name, host=args.host, port=args.port,
        grace=args.grace, options=plan.deployment(args.deployment).grpc_server_options,
        hooks=hooks, observer=observer))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
