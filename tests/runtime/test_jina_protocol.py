"""Jina's wire protocol on flowc's side (runtime/jina.proto, jina_wire.py, jina_services.py),
without Jina: conversions both ways, the schemas Jina's gateway reads, and a running Flow's
gateway and worker answering Jina's services (method paths, streaming, errors, malformed input,
reflection). tests/jina/ runs the same against real Jina 3.34.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import grpc
from docarray import DocList
from google.protobuf import empty_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from flowc.compiler.api import Flow
from flowc.runtime.channels import ReplicaSet
from flowc.runtime.docs import decode_docs, encode_docs
from flowc.runtime.generic_doc import GenericDoc
from flowc.runtime.jina_services import worker_services
from flowc.runtime.jina_wire import (endpoints_from_jina, endpoints_to_jina, pydantic_v1_schema,
                                     request_from_jina, request_to_jina)
from flowc.runtime.proto import flowc_pb2, jina_pb2, jina_pb2_grpc
from flowc.runtime.wire import GuardedServer
from tests.ports import free_port

EXECUTOR = """
from flowc.runtime import Executor, requests

class Echo(Executor):
    @requests(on='/echo')
    def echo(self, docs, parameters, **kwargs):
        for doc in docs:
            doc.text = (doc.text or '') + parameters.get('suffix', '')

    @requests(on='/boom')
    def boom(self, docs, **kwargs):
        raise RuntimeError('boom here')
"""


def _docs(*texts: str) -> bytes:
    return encode_docs(DocList[GenericDoc]([GenericDoc(id=t, text=t) for t in texts]))


def test_request_round_trip_keeps_every_field():
    request = flowc_pb2.DataRequest(docs=_docs("a", "b"))
    request.header.request_id = "r1"
    request.header.endpoint = "/search"
    request.header.target_executor = "enc.*"
    request.header.timeout_ms = 1500
    request.header.status.code = flowc_pb2.Status.ERROR
    request.header.status.description = "enc/rep-0: ValueError('x')"
    request.header.status.exception.name = "ValueError"
    request.header.status.exception.args.append("x")
    request.header.status.exception.executor = "enc/rep-0"
    request.parameters.update({"k": 1, "nested": {"a": [1, "two"]}})
    request.routes.add(executor="gateway", start_ns=1_000_000_000, end_ns=2_000_000_000)

    wire = request_to_jina(request).SerializeToString()
    jina = jina_pb2.DataRequestProto.FromString(wire)
    assert jina.header.exec_endpoint == "/search" and jina.header.timeout == 1500
    assert jina.routes[0].start_time.seconds == 1 and jina.routes[0].end_time.seconds == 2
    back = request_from_jina(jina)
    assert back.header == request.header
    assert back.parameters == request.parameters
    assert [d.text for d in decode_docs(back.docs)] == ["a", "b"]


def test_docs_bytes_and_default_endpoint_from_jina():
    jina = jina_pb2.DataRequestProto()
    jina.header.request_id = "r2"
    jina.header.exec_endpoint = "/default"
    jina.data.docs_bytes = _docs("z")
    back = request_from_jina(jina)
    assert back.header.endpoint == ""  # flowc's default endpoint
    assert [d.text for d in decode_docs(back.docs)] == ["z"]
    assert not back.header.HasField("status")


def test_schemas_are_written_as_jina_reads_them():
    schema = {"type": "object", "title": "D", "$defs": {"Inner": {"type": "object"}},
              "properties": {"id": {"anyOf": [{"type": "string"}, {"type": "null"}],
                                    "title": "Id"},
                             "tags": {"type": "object", "additionalProperties": True},
                             "inner": {"$ref": "#/$defs/Inner"}}}
    v1 = pydantic_v1_schema(schema)
    assert v1["definitions"] == {"Inner": {"type": "object"}} and "$defs" not in v1
    assert v1["properties"]["id"] == {"type": "string", "title": "Id"}
    assert v1["properties"]["tags"]["additionalProperties"] == {}
    assert v1["properties"]["inner"] == {"$ref": "#/definitions/Inner"}

    reply = flowc_pb2.EndpointsReply(executor="x")
    reply.endpoints.add(endpoint="/a", input_schema=json.dumps(schema), output_schema="",
                        write=True)
    jina = endpoints_to_jina(reply)
    assert list(jina.endpoints) == ["/a"] and list(jina.write_endpoints) == ["/a"]
    back = endpoints_from_jina("x", jina)
    assert back.endpoints[0].endpoint == "/a" and back.endpoints[0].write
    assert json.loads(back.endpoints[0].input_schema)["title"] == "D"


def _call(stub, requests, **kw):
    return list(stub.Call(iter(requests), timeout=20, **kw))


def _jina_request(request_id: str, endpoint: str, *texts: str) -> jina_pb2.DataRequestProto:
    request = jina_pb2.DataRequestProto()
    request.header.request_id = request_id
    request.header.exec_endpoint = endpoint
    request.parameters.update({"suffix": "!"})
    request.data.docs = _docs(*texts)
    return request


def _services(channel) -> set[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(
        list_services="")]), timeout=10)
    return {s.name for a in answers for s in a.list_services_response.service}


def test_gateway_and_worker_serve_jina_services(tmp_path: Path):
    (tmp_path / "echo.py").write_text(EXECUTOR)
    port = free_port()
    flow = Flow(port=port).add(name="echo", uses="Echo", py_modules=["echo.py"])
    with flow.start(base_dir=tmp_path), grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = jina_pb2_grpc.JinaRPCStub(channel)
        answers = _call(call, [_jina_request(f"r{i}", "/echo", f"d{i}") for i in range(5)],
                        metadata=(("__results_in_order__", "true"),))
        single = jina_pb2_grpc.JinaSingleDataRequestRPCStub(channel).process_single_data(
            _jina_request("e", "/boom", "x"), timeout=20)
        dry = jina_pb2_grpc.JinaGatewayDryRunRPCStub(channel).dry_run(empty_pb2.Empty(),
                                                                       timeout=10)
        services = _services(channel)
        malformed = channel.stream_stream("/jina.JinaRPC/Call")
        try:
            list(malformed(iter([b"\xff\xff\xff"]), timeout=10))
            raise AssertionError("a malformed request was accepted")
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [a.header.request_id for a in answers] == [f"r{i}" for i in range(5)]
    texts = [[d.text for d in decode_docs(a.data.docs)] for a in answers]
    assert texts == [[f"d{i}!"] for i in range(5)]
    assert all(a.header.status.code == jina_pb2.StatusProto.SUCCESS for a in answers)
    assert single.header.status.code == jina_pb2.StatusProto.ERROR
    assert single.header.status.exception.name == "RuntimeError"
    assert single.header.status.exception.executor == "echo/rep-0"
    assert "boom here" in single.header.status.exception.args[0]
    assert dry.code == jina_pb2.StatusProto.SUCCESS
    assert {"jina.JinaRPC", "jina.JinaSingleDataRequestRPC", "jina.JinaDiscoverEndpointsRPC",
            "jina.JinaGatewayDryRunRPC", "jina.JinaInfoRPC", "flowc.v1.Flowc",
            "grpc.health.v1.Health"} <= services


def test_a_server_without_flowc_is_called_over_jinas_protocol():
    """channels.Connection: UNIMPLEMENTED to flowc's methods → Jina's, from then on."""
    seen: list[str] = []

    async def process(request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        seen.append(request.header.endpoint)
        answer = flowc_pb2.DataRequest()
        answer.CopyFrom(request)
        answer.parameters.update({"__results__": {"jina/rep-0": {"ok": True}}})
        return answer

    async def endpoints() -> flowc_pb2.EndpointsReply:
        reply = flowc_pb2.EndpointsReply(executor="jina")
        reply.endpoints.add(endpoint="/x", input_schema="", output_schema="")
        return reply

    async def scenario() -> tuple:
        server = grpc.aio.server()
        worker_services("jina", process, endpoints)(GuardedServer(server, "jina"))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        replicas = ReplicaSet("jx", [f"127.0.0.1:{port}"], retries=0)
        try:
            request = flowc_pb2.DataRequest(docs=_docs("q"))
            request.header.request_id = "r"
            request.header.endpoint = "/x"
            first = await replicas.process(request, 5000)
            second = await replicas.process(request, 5000)
            reply = await replicas.endpoints()
            return first, second, reply, replicas.connections[0].jina is not None
        finally:
            await replicas.close()
            await server.stop(None)

    first, second, reply, uses_jina = asyncio.run(scenario())
    assert uses_jina and seen == ["/x", "/x"]
    for answer in (first, second):
        assert answer.header.request_id == "r"
        assert [d.text for d in decode_docs(answer.docs)] == ["q"]
        assert answer.parameters["__results__"]["jina/rep-0"]["ok"] is True
    assert [e.endpoint for e in reply.endpoints] == ["/x"]
