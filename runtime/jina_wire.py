"""Jina 3.34's wire protocol (runtime/jina.proto) in flowc's terms: converting requests and
endpoint lists both ways, and calling an `external: true` entry that is a Jina Executor.

A Jina `DataRequestProto` and a flowc `DataRequest` carry the same things under other field
numbers: header (request id, endpoint, target executor, timeout, status with the exception),
`parameters` (the same `google.protobuf.Struct`), routes, and the documents as a serialised
docarray `DocListProto`. The documents are moved as bytes, never decoded here (jina.proto says
why that is byte-identical). Routes travel back to Jina's client as Jina's `RouteProto`s (its
`--profiling` table reads them); flowc does not take them from a Jina request.

How flowc knows the far side of an entry speaks Jina (docs/decisions.md, "Jina wire
compatibility"): a `Connection` (channels.py) calls `Flowc.ProcessStream`, then `Flowc.Process`;
a server answering UNIMPLEMENTED to both is no flowc server, and the connection calls Jina's
`process_single_data` from then on (`JinaCaller`).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from google.protobuf import empty_pb2, json_format

from .proto import flowc_pb2, jina_pb2, jina_pb2_grpc

__all__ = ["JinaCaller", "endpoints_from_jina", "endpoints_to_jina", "pydantic_v1_schema",
           "request_from_jina", "request_to_jina", "status_to_jina"]

DEFAULT_ENDPOINT = "/default"


def request_from_jina(request: jina_pb2.DataRequestProto) -> flowc_pb2.DataRequest:
    """A flowc request (or answer) carrying what a Jina one carries."""
    header = request.header
    out = flowc_pb2.DataRequest()
    out.header.request_id = header.request_id
    if header.HasField("exec_endpoint") and header.exec_endpoint not in ("", DEFAULT_ENDPOINT):
        out.header.endpoint = header.exec_endpoint
    if header.HasField("target_executor"):
        out.header.target_executor = header.target_executor
    if header.HasField("timeout"):
        out.header.timeout_ms = header.timeout
    if header.HasField("status"):
        _status_from_jina(header.status, out.header.status)
    if request.HasField("parameters"):
        out.parameters.CopyFrom(request.parameters)
    which = request.data.WhichOneof("documents")
    if which is not None:
        out.docs = getattr(request.data, which)
    return out


def request_to_jina(request: flowc_pb2.DataRequest) -> jina_pb2.DataRequestProto:
    """A Jina request (or answer) carrying what a flowc one carries (routes included)."""
    header = request.header
    out = jina_pb2.DataRequestProto()
    out.header.request_id = header.request_id
    out.header.exec_endpoint = header.endpoint or DEFAULT_ENDPOINT
    if header.target_executor:
        out.header.target_executor = header.target_executor
    if header.timeout_ms:
        out.header.timeout = header.timeout_ms
    if header.HasField("status"):
        out.header.status.CopyFrom(status_to_jina(header.status))
    out.parameters.CopyFrom(request.parameters)
    out.data.docs = request.docs
    for route in request.routes:
        added = out.routes.add(executor=route.executor)
        if route.start_ns:
            added.start_time.FromNanoseconds(route.start_ns)
        if route.end_ns:
            added.end_time.FromNanoseconds(route.end_ns)
        if route.HasField("status"):
            added.status.CopyFrom(status_to_jina(route.status))
    return out


def status_to_jina(status: flowc_pb2.Status) -> jina_pb2.StatusProto:
    out = jina_pb2.StatusProto()
    _copy_status(status, out)
    return out


def _status_from_jina(status: jina_pb2.StatusProto, out: flowc_pb2.Status) -> None:
    _copy_status(status, out)


def _copy_status(status: Any, out: Any) -> None:
    """The two protocols' status messages have the same fields (code, description, exception)."""
    out.code = int(status.code)
    out.description = status.description
    if status.HasField("exception"):
        exc = status.exception
        out.exception.name = exc.name
        out.exception.args.extend(exc.args)
        out.exception.stacks.extend(exc.stacks)
        out.exception.executor = exc.executor


# --- endpoint discovery --------------------------------------------------------------------------

def endpoints_to_jina(reply: flowc_pb2.EndpointsReply) -> jina_pb2.EndpointsProto:
    """Jina's endpoint list, with the per-endpoint schemas its docarray v2 gateway builds its
    document models from (`{"input": {"name", "model"}, "output": ..., "parameters": ...}`)."""
    out = jina_pb2.EndpointsProto()
    schemas: dict[str, Any] = {}
    for info in reply.endpoints:
        out.endpoints.append(info.endpoint)
        if info.write:
            out.write_endpoints.append(info.endpoint)
        schemas[info.endpoint] = {
            "input": _model(info.input_schema),
            "output": _model(info.output_schema),
            "parameters": {"name": None, "model": None},
            "is_generator": bool(getattr(info, "streaming", False)),
            "is_singleton_doc": bool(getattr(info, "streaming", False)),
        }
    json_format.ParseDict(schemas, out.schemas)
    return out


def endpoints_from_jina(name: str, reply: jina_pb2.EndpointsProto) -> flowc_pb2.EndpointsReply:
    """flowc's endpoint list from a Jina executor's (its schemas as JSON text, when it sent any)."""
    schemas = json_format.MessageToDict(reply.schemas) if reply.HasField("schemas") else {}
    writes = set(reply.write_endpoints)
    out = flowc_pb2.EndpointsReply(executor=name)
    for endpoint in sorted(set(reply.endpoints)):
        if endpoint.startswith("_jina"):  # Jina's own (`_jina_dry_run_`): not the user's
            continue
        inner = schemas.get(endpoint) or {}
        out.endpoints.add(endpoint=endpoint, write=endpoint in writes,
                          input_schema=_schema_text(inner.get("input")),
                          output_schema=_schema_text(inner.get("output")),
                          streaming=bool(inner.get("is_generator")))
    return out


def _schema_text(part: Any) -> str:
    model = part.get("model") if isinstance(part, Mapping) else None
    return json.dumps(model, sort_keys=True) if model else ""


def _model(schema_text: str) -> dict[str, Any]:
    schema = json.loads(schema_text) if schema_text else {"type": "object", "properties": {}}
    schema = pydantic_v1_schema(schema)
    return {"name": schema.get("title") or "Document", "model": schema}


def pydantic_v1_schema(node: Any) -> Any:
    """A JSON Schema as pydantic 1 writes it, which is what Jina 3.34's gateway reads back into
    a document class: `definitions` for `$defs`; `Optional[X]` as X (not `anyOf [X, null]`);
    `additionalProperties: {}` for `true` (its reader calls `.get` on that value)."""
    if isinstance(node, list):
        return [pydantic_v1_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$defs":
            out["definitions"] = pydantic_v1_schema(value)
        elif key == "$ref" and isinstance(value, str):
            out["$ref"] = value.replace("#/$defs/", "#/definitions/")
        elif key == "additionalProperties" and value is True:
            out[key] = {}
        else:
            out[key] = pydantic_v1_schema(value)
    variants = out.get("anyOf")
    if isinstance(variants, list):
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) == 1 and isinstance(kept[0], dict):
            del out["anyOf"]
            out = {**kept[0], **out}
        else:
            out["anyOf"] = kept
    return out


# --- calling a Jina Executor -------------------------------------------------------------------

class JinaCaller:
    """The stubs of Jina's executor services on one channel (an `external: true` Jina entry)."""

    __slots__ = ("_process", "_discover")

    def __init__(self, channel: Any):
        self._process = jina_pb2_grpc.JinaSingleDataRequestRPCStub(channel).process_single_data
        self._discover = jina_pb2_grpc.JinaDiscoverEndpointsRPCStub(channel).endpoint_discovery

    async def process(self, request: flowc_pb2.DataRequest,
                      timeout: float | None = None) -> flowc_pb2.DataRequest:
        """Jina's answer as a flowc answer; a gRPC failure raises as for a flowc node."""
        answer = request_from_jina(await self._process(request_to_jina(request), timeout=timeout))
        if not answer.header.request_id:
            answer.header.request_id = request.header.request_id
        return answer

    async def endpoints(self, name: str, timeout: float | None = None) -> flowc_pb2.EndpointsReply:
        return endpoints_from_jina(name, await self._discover(empty_pb2.Empty(), timeout=timeout))
