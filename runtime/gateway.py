"""The gateway: runs the Flow's graph for every request (`flowc-runtime gateway ...`).

Per request it starts at the gateway, sends the request to each entry once all its `needs` have
answered (branches run concurrently), filters each entry's input with its `when`, reduces fan-in
deterministically (or passes `docs_matrix`), stops downstream hops after an error, and answers with
the responders' output. Everything derivable from the plan is prepared once (`topology.py`,
channels in `channels.py`); documents stay bytes unless a reduce or a filter must read them.

Parameters: every hop receives the client's original parameters; the `__results__` each hop
returns are merged (in graph order) into the response's parameters.

`when` and the response order: a document an entry's filter rejects is not sent to it and does not
travel further along that path (as in Jina), but it is kept: if it never reaches the response, the
version seen where it was filtered out is put back, and the response follows the client's document
order (documents the client did not send come last). If every document of an entry's input is
filtered out, the entry is not called.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence

from google.protobuf.message import DecodeError

from flowc.compiler.plan import GATEWAY, Plan

from . import reduce as docs_reduce
from .channels import HopFailure, ReplicaSet, wait_until_serving
from .proto import flowc_pb2
from .topology import Node, Topology, TopologyError, build_topology, parse_addresses

__all__ = ["GraphRunner", "GatewayServicer", "LocalHop", "build_hops", "main", "run_server",
           "serve", "union_endpoints", "TopologyError"]

log = logging.getLogger("flowc.gateway")
_ERROR = flowc_pb2.Status.ERROR
_RESULTS = "__results__"
EARLY_WAIT = 10.0  # seconds a request sent before SERVING waits for it (see _HoldUntilServing)


class Out:
    """What one node produced for one request."""

    __slots__ = ("docs", "results", "error", "route")

    def __init__(self, docs: bytes, results: Any = None, error: Any = None, route: Any = None):
        self.docs = docs
        self.results = results  # the hop's `__results__` Struct, if any
        self.error = error  # a DataRequest carrying an error status
        self.route = route


class LocalHop:
    """An entry with `placement: gateway`: its executor runs in this process (no network)."""

    def __init__(self, name: str, host: Any):
        self.name = name
        self.host = host

    async def process(self, request: flowc_pb2.DataRequest,
                      timeout_ms: int | None = None) -> flowc_pb2.DataRequest:
        if not timeout_ms:
            return await self.host.process(request)
        try:
            return await asyncio.wait_for(self.host.process(request), timeout_ms / 1000)
        except asyncio.TimeoutError:
            raise HopFailure(self.name, "timeout", f"{self.name} did not answer within "
                             f"{timeout_ms} ms (timeout_send)") from None

    async def endpoints(self) -> flowc_pb2.EndpointsReply:
        return self.host.endpoints()

    async def close(self) -> None:
        self.host.close()


class _State:
    """Per-request bookkeeping: the client's request and documents kept by `when` filters."""

    __slots__ = ("request", "target", "kept", "deadline")

    def __init__(self, request: flowc_pb2.DataRequest):
        self.request = request
        self.target: Any = request.header.target_executor or None  # compiled in run()
        self.kept: dict[str, tuple[int, Any]] | None = None  # doc id → (node index, DocProto)
        timeout_ms = request.header.timeout_ms  # the client's: later hops get what is left
        self.deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None

    def time_left_ms(self) -> int:
        """What is left of the client's deadline (at least 1 ms: 0 would mean none)."""
        return max(1, int((self.deadline - time.monotonic()) * 1000))


class GraphRunner:
    """Executes the topology for one request at a time (many requests run concurrently)."""

    def __init__(self, topology: Topology, hops: dict[str, Any]):
        self.topology = topology
        self.hops = hops
        self._index = {n.name: i for i, n in enumerate(topology.nodes)}
        self._awaited = frozenset(topology.awaited)
        self._background: set[asyncio.Task] = set()

    async def run(self, request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        started = time.time_ns()
        if not request.header.request_id:
            request.header.request_id = uuid.uuid4().hex
        state = _State(request)
        if state.target is not None:
            try:
                state.target = re.compile(state.target)
            except re.error as exc:
                status = flowc_pb2.Status(
                    code=_ERROR, description=f"target_executor {state.target!r} is not a valid "
                                             f"regular expression: {exc}",
                    exception=flowc_pb2.ExceptionInfo(name="ValueError", args=[str(exc)],
                                                      executor=GATEWAY))
                return self._error(state, status)
        if self.topology.chain:
            outs = await self._run_chain(state)
        else:
            outs = await self._run_graph(state)
        return self._respond(state, outs, started)

    async def _run_chain(self, state: _State) -> dict[str, Out]:
        out = Out(state.request.docs)
        outs: dict[str, Out] = {}
        for node in self.topology.nodes:
            out = await self._guarded(node, (out,), state)
            outs[node.name] = out
            if out.error is not None:
                break
        return outs

    async def _run_graph(self, state: _State) -> dict[str, Out]:
        loop = asyncio.get_running_loop()
        start = loop.create_future()
        start.set_result(Out(state.request.docs))
        futures: dict[str, asyncio.Future] = {GATEWAY: start}
        for node in self.topology.nodes:
            needs = [futures[n] for n in node.needs]
            futures[node.name] = loop.create_task(self._node_task(node, needs, state))
        for node in self.topology.nodes:
            if node.name not in self.topology.awaited:
                task = futures[node.name]
                self._background.add(task)
                task.add_done_callback(self._floating_done)
        awaited = self.topology.awaited
        results = await asyncio.gather(*(futures[n] for n in awaited))
        return dict(zip(awaited, results))

    async def _node_task(self, node: Node, needs: list[asyncio.Future], state: _State) -> Out:
        parts = []
        for future in needs:
            part = await future
            if part.error is not None:
                return part
            parts.append(part)
        return await self._guarded(node, parts, state)

    def _floating_done(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if task.cancelled():
            return
        out = task.result()
        if out.error is not None:
            status = out.error.header.status
            log.error("floating entry failed: %s (%s)", status.description,
                      status.exception.executor or "?")

    async def _guarded(self, node: Node, parts: Sequence[Out], state: _State) -> Out:
        try:
            return await self._step(node, parts, state)
        except HopFailure as failure:
            return Out(b"", error=self._error(state, failure.status()))
        except DecodeError as exc:  # a `when` filter or a reduce met bytes that are no documents
            detail = (f"the documents for {node.name} are not docarray protobuf bytes: {exc}")
            _say(GATEWAY, f"refused request {state.request.header.request_id}: {detail}")
            status = flowc_pb2.Status(
                code=_ERROR, description=detail,
                exception=flowc_pb2.ExceptionInfo(name="DocumentsMismatch", args=[detail],
                                                  executor=GATEWAY))
            return Out(b"", error=self._error(state, status))
        except Exception as exc:  # a bug here must not hang the request: report it
            log.exception("internal error while routing to %s", node.name)
            status = flowc_pb2.Status(
                code=_ERROR, description=f"gateway error routing to {node.name}: {exc!r}",
                exception=flowc_pb2.ExceptionInfo(name=type(exc).__name__, args=[str(exc)],
                                                  executor=GATEWAY))
            return Out(b"", error=self._error(state, status))

    async def _step(self, node: Node, parts: Sequence[Out], state: _State) -> Out:
        for part in parts:
            if part.error is not None:
                return part
        docs = [p.docs for p in parts]
        if state.target is not None and not state.target.match(node.name):
            return Out(docs[0] if len(docs) == 1 else docs_reduce.reduce_bytes(docs))
        if node.when is not None:
            filtered = [self._filter(node, d, state) for d in docs]
            if any(docs) and not any(filtered):
                return Out(b"")
            docs = filtered
        request = flowc_pb2.DataRequest()
        client = state.request
        request.header.CopyFrom(client.header)
        request.parameters.CopyFrom(client.parameters)
        if len(docs) == 1:
            request.docs = docs[0]
        elif node.disable_reduce:
            request.docs_matrix.extend(docs)
            request.docs = docs_reduce.concat_bytes(docs)
        else:
            request.docs = docs_reduce.reduce_bytes(docs)
        timeout = node.timeout_ms or client.header.timeout_ms or None
        if state.deadline is not None and node.name in self._awaited:
            # an executor must not start what its client stopped waiting for (a floating
            # entry's copy is not waited for: its hop keeps the whole timeout)
            timeout = min(timeout or state.time_left_ms(), state.time_left_ms())
        if timeout:
            request.header.timeout_ms = timeout
        begin = time.time_ns()
        response = await self.hops[node.name].process(request, timeout)
        route = flowc_pb2.RouteEntry(executor=node.name, start_ns=begin, end_ns=time.time_ns(),
                                     status=response.header.status)
        if response.header.status.code == _ERROR:
            error = self._error(state, response.header.status, response.docs)
            return Out(response.docs, error=error, route=route)
        fields = response.parameters.fields
        results = fields[_RESULTS].struct_value if _RESULTS in fields else None
        return Out(response.docs, results=results, route=route)

    def _filter(self, node: Node, data: bytes, state: _State) -> bytes:
        if not data:
            return data
        docs = docs_reduce.parse_docs(data)
        keep = node.when
        matching = [d for d in docs.docs if keep(d)]
        if len(matching) == len(docs.docs):
            return data
        if state.kept is None:
            state.kept = {}
        index = self._index[node.name]
        for doc in docs.docs:
            if not keep(doc):
                key = docs_reduce.doc_id(doc)
                if key is not None and state.kept.get(key, (-1,))[0] < index:
                    state.kept[key] = (index, doc)
        result = docs_reduce.doc_pb().DocListProto()
        result.docs.extend(matching)
        return docs_reduce.serialize_docs(result)

    def _error(self, state: _State, status: Any, docs: bytes = b"") -> flowc_pb2.DataRequest:
        response = flowc_pb2.DataRequest(docs=docs)
        response.header.CopyFrom(state.request.header)
        response.header.status.CopyFrom(status)
        response.parameters.CopyFrom(state.request.parameters)
        return response

    def _respond(self, state: _State, outs: dict[str, Out], started: int) -> flowc_pb2.DataRequest:
        routes = [flowc_pb2.RouteEntry(executor=GATEWAY, start_ns=started)]
        for name in self.topology.awaited:
            out = outs.get(name)
            if out is not None and out.route is not None:
                routes.append(out.route)
        for name in self.topology.awaited:
            out = outs.get(name)
            if out is not None and out.error is not None:
                response = out.error
                del response.routes[:]
                response.routes.extend(routes)
                routes[0].end_ns = time.time_ns()
                return response
        client = state.request
        responders = [outs[n].docs for n in self.topology.responders if n in outs]
        if not self.topology.responders:
            docs = client.docs
        elif len(responders) == 1:
            docs = responders[0]
        else:
            docs = docs_reduce.reduce_bytes(responders)
        if state.kept:
            docs = self._restore_order(client.docs, docs, state)
        response = flowc_pb2.DataRequest(docs=docs)
        response.header.CopyFrom(client.header)
        response.parameters.CopyFrom(client.parameters)
        merged = None
        for name in self.topology.awaited:
            out = outs.get(name)
            if out is not None and out.results is not None:
                if merged is None:
                    merged = response.parameters.fields[_RESULTS].struct_value
                for key, value in out.results.fields.items():
                    merged.fields[key].CopyFrom(value)
        notes = [f"{r.executor}: {r.status.description}" for r in routes if r.status.description]
        if notes:  # e.g. a head that answered without some failed shards says so
            response.header.status.description = "; ".join(notes)
        routes[0].end_ns = time.time_ns()
        response.routes.extend(routes)
        return response

    @staticmethod
    def _restore_order(client_docs: bytes, docs: bytes, state: _State) -> bytes:
        reference = [docs_reduce.doc_id(d) for d in docs_reduce.parse_docs(client_docs).docs]
        kept = [doc for _, doc in sorted(state.kept.values(), key=lambda item: item[0])]
        ordered = docs_reduce.order_like(docs_reduce.parse_docs(docs), reference, kept)
        return docs_reduce.serialize_docs(ordered)

    async def finish_floating(self, timeout: float) -> int:
        """Wait at most `timeout` s for the hops to floating entries still under way (their
        requests were accepted and answered: they must still reach those entries); the number
        left unfinished, which `close()` cancels."""
        if not self._background:
            return 0
        _, pending = await asyncio.wait(set(self._background), timeout=timeout)
        return len(pending)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        for hop in self.hops.values():
            await hop.close()


class GatewayServicer:
    """The `Flowc` service of the gateway: only the RPC methods."""

    def __init__(self, runner: GraphRunner):
        self.runner = runner
        self._endpoints = EndpointsUnion(GATEWAY, [runner.hops[n.name]
                                                   for n in runner.topology.nodes])

    async def Process(self, request: flowc_pb2.DataRequest, context: Any) -> flowc_pb2.DataRequest:
        return await self.runner.run(request)

    async def Endpoints(self, request: Any, context: Any) -> flowc_pb2.EndpointsReply:
        try:
            return await self._endpoints.get()
        except HopFailure as failure:
            import grpc

            await context.abort(grpc.StatusCode.UNAVAILABLE, str(failure))


class InProcessStartError(Exception):
    """A `placement: gateway` executor failed to load or construct (its entry is named)."""

    def __init__(self, entry: str, cause: BaseException):
        self.entry = entry
        super().__init__(f"{entry}: {type(cause).__name__}: {cause}")


def build_hops(plan: Plan, topology: Topology, base_dir: Path,
               channel_options: Sequence[tuple[str, Any]] = ()) -> dict[str, Any]:
    """A ReplicaSet per remote entry (its channels with `channel_options`), an in-process
    executor per `placement: gateway` entry."""
    hops: dict[str, Any] = {}
    for node in topology.nodes:
        if node.in_gateway:
            from .host import ExecutorHost
            from .loading import deployment_env, load_executor

            try:
                # the entry's `env:` is the environment its code sees, as in its own worker
                # (entries sharing the gateway share one environment: the later entry wins)
                os.environ.update(deployment_env(plan.deployment(node.name), os.environ))
                executor = load_executor(plan, node.name, role="executor", shard_id=0,
                                         replica_id=0, base_dir=base_dir, env=dict(os.environ))
            except Exception as exc:
                raise InProcessStartError(node.name, exc) from exc
            hops[node.name] = LocalHop(node.name, ExecutorHost(executor,
                                                               runtime_name=f"{node.name}/rep-0"))
        else:
            hops[node.name] = ReplicaSet(node.name, node.addresses, retries=node.retries,
                                         timeout_ms=node.timeout_ms, options=channel_options)
    return hops


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
    from .loading import EnvFileError, add_env_from_file_option, apply_env_from_files

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
    return asyncio.run(serve(plan, topology, base_dir=base_dir, host=args.host, port=args.port,
                             grace=args.grace, reuse_port=args.reuse_port))


async def serve(plan: Plan, topology: Topology, *, base_dir: Path, host: str, port: int,
                grace: float = 10.0, reuse_port: bool = False) -> int:
    """Load in-process entries, then serve the gateway until SIGTERM/SIGINT; the exit code."""
    from .wire import ServerSettings

    server_options = plan.gateway.options.get("grpc_server_options") or {}
    channel_options = ServerSettings(server_options).channel_options(
        plan.gateway.options.get("grpc_channel_options"))
    try:
        hops = build_hops(plan, topology, base_dir, channel_options)
    except InProcessStartError as exc:  # an in-process executor failed to start: say which
        from .worker import print_user_traceback

        cause = exc.__cause__
        print_user_traceback(cause)
        _say(GATEWAY, f"cannot start {exc.entry}/rep-0 (placement: gateway): "
                      f"{type(cause).__name__}: {cause}")
        return 1
    runner = GraphRunner(topology, hops)
    remote = [h for h in hops.values() if isinstance(h, ReplicaSet)]
    return await run_server(
        name=GATEWAY, servicer=GatewayServicer(runner), host=host, port=port,
        grace=grace, dependencies=remote, on_close=runner.close, reuse_port=reuse_port,
        finish=runner.finish_floating, server_options=server_options)


class EndpointsUnion:
    """Endpoint discovery of a router: the union of what its nodes expose, asked once."""

    def __init__(self, name: str, hops: Sequence[Any]):
        self.name = name
        self.hops = list(hops)
        self._reply: flowc_pb2.EndpointsReply | None = None

    async def get(self) -> flowc_pb2.EndpointsReply:
        if self._reply is None:
            replies = await asyncio.gather(*(h.endpoints() for h in self.hops))
            self._reply = union_endpoints(self.name, replies)
        return self._reply


def union_endpoints(name: str, replies: Sequence[flowc_pb2.EndpointsReply]
                    ) -> flowc_pb2.EndpointsReply:
    """One entry per endpoint, sorted: the input schema of the first node (in graph order) that
    binds it, the output schema of the last, `write` if any node marks it."""
    merged: dict[str, flowc_pb2.EndpointInfo] = {}
    for reply in replies:
        for info in reply.endpoints:
            seen = merged.get(info.endpoint)
            if seen is None:
                merged[info.endpoint] = flowc_pb2.EndpointInfo(
                    endpoint=info.endpoint, input_schema=info.input_schema,
                    output_schema=info.output_schema, write=info.write)
            else:
                if info.output_schema:
                    seen.output_schema = info.output_schema
                seen.write = seen.write or info.write
    return flowc_pb2.EndpointsReply(executor=name,
                                    endpoints=[merged[k] for k in sorted(merged)])


async def run_server(*, name: str, servicer: Any, host: str, port: int, grace: float,
                     dependencies: Sequence[ReplicaSet], on_close: Any,
                     reuse_port: bool = False,
                     finish: Callable[[float], Awaitable[int]] | None = None,
                     server_options: dict | None = None) -> int:
    """Serve `servicer` with health until SIGTERM/SIGINT; SERVING once every dependency is.

    Shared by the gateway and the head: NOT_SERVING until all the nodes routed to answer their
    health checks, then SERVING (and READY=1 to systemd); on a signal NOT_SERVING, stop accepting,
    finish in-flight requests for at most `grace` seconds, close the connections, return 0.
    `finish(seconds left)` then waits for work the answers did not wait for (the gateway's
    floating hops) and returns how much of it is still running.
    """
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_health.v1.health import aio as health_aio

    from .proto import flowc_pb2_grpc
    from .wire import GuardedServer, ServerSettings

    # Without SO_REUSEPORT a port already taken is an error, never silently shared with
    # another server (gRPC's default would let two Flows split one port's requests).
    # Message limits: `server_options` over wire.py's defaults; malformed requests are refused.
    server = ServerSettings(server_options,
                            fixed={"grpc.so_reuseport": int(reuse_port)}).server()
    guarded = GuardedServer(server, name)
    serving = asyncio.Event()
    held = _HoldUntilServing(servicer, serving, name)
    flowc_pb2_grpc.add_FlowcServicer_to_server(held, guarded)
    health = health_aio.HealthServicer()
    services = ("", "flowc.v1.Flowc")
    for service in services:
        await health.set(service, health_pb2.HealthCheckResponse.NOT_SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health, guarded)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as exc:
        bound, reason = 0, str(exc)
    else:
        reason = "address in use or not available"
    if not bound:
        _say(name, f"cannot listen on {host}:{port} ({reason})")
        await on_close()
        return 1
    await server.start()
    _say(name, f"listening on {host}:{bound}; NOT_SERVING until its nodes are SERVING")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def become_ready() -> None:
        await wait_until_serving(dependencies)
        for service in services:
            await health.set(service, health_pb2.HealthCheckResponse.SERVING)
        serving.set()
        _say(name, f"SERVING on {host}:{bound}")
        _notify_ready()

    ready = loop.create_task(become_ready())
    await stop.wait()
    started = time.monotonic()
    _say(name, f"stopping (finishing requests in flight, at most {grace:g} s)")
    ready.cancel()
    await health.enter_graceful_shutdown()
    held.streams.drain()
    await server.stop(grace)
    if finish is not None:
        left = await finish(max(0.0, grace - (time.monotonic() - started)))
        if left:
            _say(name, f"{left} floating request(s) still running after "
                       f"{time.monotonic() - started:.2f} s (grace {grace:g} s): cancelling them")
    await on_close()
    _say(name, f"stopped in {time.monotonic() - started:.2f} s")
    return 0


class _HoldUntilServing:
    """A request that arrives while the router is still NOT_SERVING (its port opens before its
    nodes are up) waits until it is SERVING, at most EARLY_WAIT s (or its deadline), instead of
    failing at once, and instead of dialling nodes that do not listen yet (whose connections
    would then back off for seconds)."""

    def __init__(self, servicer: Any, serving: asyncio.Event, name: str = GATEWAY):
        from .streams import StreamServer

        self.servicer = servicer
        self.serving = serving
        self.streams = StreamServer(self._streamed, name=name)

    async def _wait(self, remaining: float | None) -> None:
        if self.serving.is_set():
            return
        limit = EARLY_WAIT if remaining is None else max(0.0, min(EARLY_WAIT, remaining))
        try:
            await asyncio.wait_for(self.serving.wait(), limit)
        except asyncio.TimeoutError:
            pass  # go on: the hop's own error names what is not up

    async def Process(self, request: Any, context: Any) -> Any:
        await self._wait(context.time_remaining() if context is not None else None)
        return await self.servicer.Process(request, context)

    async def _streamed(self, request: Any) -> Any:
        timeout_ms = request.header.timeout_ms
        await self._wait(timeout_ms / 1000 if timeout_ms else None)
        return await self.servicer.Process(request, None)

    async def ProcessStream(self, requests: Any, context: Any) -> None:
        await self.streams.serve(requests, context)

    async def Endpoints(self, request: Any, context: Any) -> Any:
        await self._wait(context.time_remaining() if context is not None else None)
        return await self.servicer.Endpoints(request, context)


def _say(name: str, message: str) -> None:
    """One plain line per event on stderr, like the worker's (the launcher prefixes it)."""
    print(f"{name}: {message}", file=sys.stderr, flush=True)


def _notify_ready() -> None:
    """READY=1 to $NOTIFY_SOCKET when systemd asked for it (Type=notify); no-op otherwise."""
    from .notify import notify

    notify("READY=1")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
