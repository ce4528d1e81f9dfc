"""Jina 3.34's gRPC services on flowc's servers, so Jina's own software can call them.

- The gateway (`gateway_services`): `JinaRPC.Call` (what `jina.Client(...).post` streams over),
  `JinaSingleDataRequestRPC.process_single_data` (`Client(...).post(..., stream=False)`),
  `JinaDiscoverEndpointsRPC.endpoint_discovery`, `JinaGatewayDryRunRPC.dry_run` and
  `JinaInfoRPC._status`. Every request runs through the same `GraphRunner` as a flowc request.
- A worker (`worker_services`): `process_single_data`, `endpoint_discovery` and `_status`, which
  is what a Jina Flow's gateway calls on an executor added with `.add(host=, port=,
  external=True)`. Jina's gateway finds those services by gRPC server reflection, so a server
  with Jina's services also serves reflection (`server.serve` does it: `Hooks.services`).

The servicers only convert (jina_wire.py) and delegate: limits, malformed messages, health and
the graceful stop are `server.serve`'s, as for the `Flowc` service.
"""

from __future__ import annotations

import asyncio
import os
import platform
from importlib import metadata
from typing import Any, AsyncIterator, Awaitable, Callable

import grpc

from .channels import HopFailure
from .jina_wire import endpoints_to_jina, request_from_jina, request_to_jina, status_to_jina
from .proto import flowc_pb2, jina_pb2, jina_pb2_grpc
from .wire import Malformed, refuse

__all__ = ["JinaServicer", "gateway_services", "worker_services"]

Process = Callable[[flowc_pb2.DataRequest], Awaitable[flowc_pb2.DataRequest]]
Endpoints = Callable[[], Awaitable[flowc_pb2.EndpointsReply]]
Ready = Callable[[], Awaitable[list[str]]]
Hold = Callable[[float | None], Awaitable[None]]
IN_ORDER = "__results_in_order__"  # Jina's client metadata: answer in request order
_END = object()


class JinaServicer:
    """Jina's services over one flowc server's request processing."""

    def __init__(self, name: str, process: Process, endpoints: Endpoints,
                 not_ready: Ready | None = None):
        self.name = name
        self._process = process
        self._endpoints = endpoints
        self._not_ready = not_ready
        self.hold: Hold | None = None  # a router's wait until SERVING (server.HoldUntilServing)

    async def _one(self, request: jina_pb2.DataRequestProto) -> jina_pb2.DataRequestProto:
        converted = request_from_jina(request)
        if self.hold is not None:
            timeout_ms = converted.header.timeout_ms
            await self.hold(timeout_ms / 1000 if timeout_ms else None)
        return request_to_jina(await self._process(converted))

    async def process_single_data(self, request: jina_pb2.DataRequestProto,
                                  context: Any) -> jina_pb2.DataRequestProto:
        return await self._one(request)

    async def Call(self, requests: AsyncIterator[Any],
                   context: Any) -> AsyncIterator[jina_pb2.DataRequestProto]:
        """Every request read is processed at once, concurrently (as Jina's gateway does); the
        answers go back as they finish, or in request order when the client asks for it."""
        in_order = any(k == IN_ORDER and v == "true"
                       for k, v in (context.invocation_metadata() or ()))
        answers: asyncio.Queue = asyncio.Queue()
        tasks: set[asyncio.Task] = set()
        problem: list[str] = []

        async def answer(request: Any) -> Any:
            result = await self._one(request)
            if not in_order:
                await answers.put(result)
            return result

        async def read() -> None:
            try:
                async for request in requests:
                    if type(request) is Malformed:
                        problem.append(request.reason)
                        break
                    task = asyncio.ensure_future(answer(request))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    if in_order:
                        await answers.put(task)
                if tasks:
                    await asyncio.wait(set(tasks))
            finally:
                await answers.put(_END)

        reader = asyncio.ensure_future(read())
        try:
            while (item := await answers.get()) is not _END:
                yield (await item) if in_order else item
            await reader  # its exception, if any (a broken stream), ends the call
            if problem:
                await refuse(context, self.name, "jina.JinaRPC/Call", problem[0])
        finally:
            reader.cancel()
            for task in list(tasks):
                task.cancel()

    async def endpoint_discovery(self, request: Any, context: Any) -> jina_pb2.EndpointsProto:
        if self.hold is not None:
            await self.hold(context.time_remaining())
        try:
            return endpoints_to_jina(await self._endpoints())
        except HopFailure as failure:  # a node did not answer: say which, as `Endpoints` does
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(failure))
            raise  # abort() raises; this only tells type checkers

    async def dry_run(self, request: Any, context: Any) -> jina_pb2.StatusProto:
        """SUCCESS when every node the gateway routes to reports SERVING, else ERROR naming them
        (Jina sends an empty request through the Flow; flowc asks the nodes' health, so that no
        executor's default endpoint runs on a probe)."""
        missing = await self._not_ready() if self._not_ready is not None else []
        if not missing:
            return jina_pb2.StatusProto(code=jina_pb2.StatusProto.SUCCESS)
        detail = f"not SERVING: {', '.join(missing)}"
        status = flowc_pb2.Status(code=flowc_pb2.Status.ERROR, description=detail)
        status.exception.name = "ConnectionError"
        status.exception.args.append(detail)
        status.exception.executor = self.name
        return status_to_jina(status)

    async def _status(self, request: Any, context: Any) -> jina_pb2.JinaInfoProto:
        info = jina_pb2.JinaInfoProto()
        info.jina["flowc"] = _version()
        info.jina["protocol"] = "jina 3.34 (docarray v2)"
        info.jina["python"] = platform.python_version()
        info.jina["platform"] = platform.system()
        info.envs["JINA_OPTOUT_TELEMETRY"] = os.environ.get("JINA_OPTOUT_TELEMETRY", "(unset)")
        return info


def _version() -> str:
    try:
        return metadata.version("flowc")
    except metadata.PackageNotFoundError:
        return "unknown"


def gateway_services(name: str, process: Process, endpoints: Endpoints,
                     not_ready: Ready) -> Callable[[Any], list[str]]:
    """What `Hooks.services` takes for a gateway: registers Jina's gateway services."""
    servicer = JinaServicer(name, process, endpoints, not_ready)

    def register(server: Any) -> list[str]:
        servicer.hold = server.hold  # (wire.GuardedServer)
        jina_pb2_grpc.add_JinaRPCServicer_to_server(servicer, server)
        jina_pb2_grpc.add_JinaSingleDataRequestRPCServicer_to_server(servicer, server)
        jina_pb2_grpc.add_JinaDiscoverEndpointsRPCServicer_to_server(servicer, server)
        jina_pb2_grpc.add_JinaGatewayDryRunRPCServicer_to_server(servicer, server)
        jina_pb2_grpc.add_JinaInfoRPCServicer_to_server(servicer, server)
        return [_full_name(s) for s in ("JinaRPC", "JinaSingleDataRequestRPC",
                                        "JinaDiscoverEndpointsRPC", "JinaGatewayDryRunRPC",
                                        "JinaInfoRPC")]
    return register


def worker_services(name: str, process: Process, endpoints: Endpoints
                    ) -> Callable[[Any], list[str]]:
    """What `Hooks.services` takes for a worker: Jina's executor services."""
    servicer = JinaServicer(name, process, endpoints)

    def register(server: Any) -> list[str]:
        servicer.hold = server.hold  # (wire.GuardedServer)
        jina_pb2_grpc.add_JinaSingleDataRequestRPCServicer_to_server(servicer, server)
        jina_pb2_grpc.add_JinaDiscoverEndpointsRPCServicer_to_server(servicer, server)
        jina_pb2_grpc.add_JinaInfoRPCServicer_to_server(servicer, server)
        return [_full_name(s) for s in ("JinaSingleDataRequestRPC", "JinaDiscoverEndpointsRPC",
                                        "JinaInfoRPC")]
    return register


def _full_name(service: str) -> str:
    return jina_pb2.DESCRIPTOR.services_by_name[service].full_name

