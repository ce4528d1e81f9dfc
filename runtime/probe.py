"""Endpoint discovery, dry runs and pings of a running Flow, or of one of its nodes: what
`Client.endpoints()`, `Client.dry_run()` (and `AsyncClient`'s), `flowc endpoints` and `flowc ping`
ask.

Nothing new is served for them: a server's `Endpoints` RPC already answers with every endpoint's
input and output document schemas and parameters model (a gateway: the union over its nodes,
which is also what its HTTP OpenAPI and Jina's endpoint discovery are written from), and the
gateway answers Jina's `dry_run` by asking every node it routes to for its health. A server that
speaks only Jina's protocol (a Jina gateway or executor) is asked through Jina's
`endpoint_discovery` instead, as the gateway asks an `external` Jina node.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import empty_pb2

from .health import check, open_channel
from .jina_wire import endpoints_from_jina
from .proto import flowc_pb2, flowc_pb2_grpc, jina_pb2, jina_pb2_grpc

__all__ = ["DryRun", "EndpointSchema", "Ping", "dry_run", "dry_run_async", "endpoints",
           "endpoints_async", "ping"]


@dataclass(frozen=True)
class EndpointSchema:
    """One endpoint: its documents' JSON Schemas and its parameters model (None: any object)."""

    endpoint: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    parameters_schema: dict[str, Any] | None = None
    write: bool = False
    streaming: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "input_schema": self.input_schema,
                "output_schema": self.output_schema, "parameters_schema": self.parameters_schema,
                "write": self.write, "streaming": self.streaming}


@dataclass(frozen=True)
class DryRun:
    """A gateway's dry run: every node it routes to SERVING (`ok`), else which are not."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Ping:
    """`flowc ping`: the server's own health, and (a gateway) its dry run."""

    address: str
    health: str  # SERVING, NOT_SERVING, UNREACHABLE: ...
    dry_run: DryRun | None  # None: the server is not a gateway (a worker or a head)

    @property
    def ok(self) -> bool:
        return self.health == "SERVING" and (self.dry_run is None or self.dry_run.ok)


def endpoints(channel: Any, timeout: float | None = None) -> dict[str, EndpointSchema]:
    """Every endpoint the server at `channel` exposes, sorted by name. grpc.RpcError when it
    cannot answer (a gateway whose node is down: UNAVAILABLE naming the node)."""
    try:
        reply = flowc_pb2_grpc.FlowcStub(channel).Endpoints(flowc_pb2.EndpointsRequest(),
                                                             timeout=timeout)
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
            raise
        jina = jina_pb2_grpc.JinaDiscoverEndpointsRPCStub(channel).endpoint_discovery
        reply = endpoints_from_jina("", jina(empty_pb2.Empty(), timeout=timeout))
    return _by_name(reply)


async def endpoints_async(channel: Any, timeout: float | None = None
                          ) -> dict[str, EndpointSchema]:
    """`endpoints` over a grpc.aio channel (`AsyncClient`)."""
    try:
        reply = await flowc_pb2_grpc.FlowcStub(channel).Endpoints(flowc_pb2.EndpointsRequest(),
                                                                   timeout=timeout)
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
            raise
        jina = jina_pb2_grpc.JinaDiscoverEndpointsRPCStub(channel).endpoint_discovery
        reply = endpoints_from_jina("", await jina(empty_pb2.Empty(), timeout=timeout))
    return _by_name(reply)


def _by_name(reply: flowc_pb2.EndpointsReply) -> dict[str, EndpointSchema]:
    return {info.endpoint: _schema(info) for info in sorted(reply.endpoints,
                                                            key=lambda i: i.endpoint)}


def _schema(info: flowc_pb2.EndpointInfo) -> EndpointSchema:
    return EndpointSchema(
        endpoint=info.endpoint, input_schema=_json(info.input_schema),
        output_schema=_json(info.output_schema),
        parameters_schema=_json(info.parameters_schema) if info.parameters_schema else None,
        write=info.write, streaming=info.streaming)


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def dry_run(channel: Any, timeout: float | None = None) -> DryRun | None:
    """The gateway's dry run (Jina's `dry_run` RPC, which flowc's gateway answers from its nodes'
    health); None when the server has none (a worker or a head). grpc.RpcError otherwise."""
    stub = jina_pb2_grpc.JinaGatewayDryRunRPCStub(channel)
    try:
        status = stub.dry_run(empty_pb2.Empty(), timeout=timeout)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return None
        raise
    return _dry_run_result(status)


async def dry_run_async(channel: Any, timeout: float | None = None) -> DryRun | None:
    """`dry_run` over a grpc.aio channel (`AsyncClient`)."""
    stub = jina_pb2_grpc.JinaGatewayDryRunRPCStub(channel)
    try:
        status = await stub.dry_run(empty_pb2.Empty(), timeout=timeout)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return None
        raise
    return _dry_run_result(status)


def _dry_run_result(status: jina_pb2.StatusProto) -> DryRun:
    if status.code == jina_pb2.StatusProto.SUCCESS:
        return DryRun(True)
    detail = status.description or "; ".join(status.exception.args) or "the dry run failed"
    return DryRun(False, detail)


def ping(address: str, timeout: float = 5.0) -> Ping:
    """Health of `address`, then, when it serves, its dry run (a gateway: every node)."""
    health = check(address, timeout)
    if health != "SERVING":
        return Ping(address, health, None)
    channel = open_channel(address)
    try:
        return Ping(address, health, dry_run(channel, timeout))
    except grpc.RpcError as exc:
        return Ping(address, health, DryRun(False, f"{exc.code().name}: {exc.details()}"))
    finally:
        channel.close()
