"""Limits and bad input on the wire (issue 8 §3): real gateway, head and worker processes on
127.0.0.1. Too-large messages get RESOURCE_EXHAUSTED and the servers keep serving; a Flow's
`grpc_server_options` raise the limit end to end; malformed and too-deeply nested messages get
INVALID_ARGUMENT with one log line and no traceback, on every method and on the stream;
documents that do not fit the endpoint's type get an error naming executor, endpoint and field."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2

from flowc.compiler.driver import compile_flow
from flowc.runtime.proto import flowc_pb2
from flowc.runtime.streams import METHOD as STREAM_METHOD, tagged
from flowc.runtime.wire import MAX_MESSAGE_BYTES, MAX_PARAMETERS_DEPTH, MIB, ServerSettings

sys.path.insert(0, str(Path(__file__).parent))
from flowc_gateway_harness import RunningFlow  # noqa: E402

EXECUTORS = '''
from docarray import BaseDoc, DocList
from flowc.runtime import Executor, requests


class Labelled(BaseDoc):
    label: str
    score: float = 0.0


class Service(Executor):
    @requests(on="/typed")
    def typed(self, docs: DocList[Labelled], **kwargs) -> DocList[Labelled]:
        for doc in docs:
            doc.label = doc.label.upper()

    @requests(on="/echo")
    def echo(self, **kwargs):
        return None
'''

FLOW = '''
jtype: Flow
{with_block}
executors:
  - name: typed
    uses: Service
    py_modules: [execs.py]
    exit_on_exceptions: [ValueError]   # a client's bad documents must not stop the worker
{extra}
'''

SHARDED = '''
  - name: sharded
    uses: Service
    py_modules: [execs.py]
    shards: 2
    needs: gateway
    floating: true
'''

RAISED = '''
with:
  grpc_server_options:
    grpc.max_receive_message_length: {limit}
    grpc.max_send_message_length: {limit}
'''
BIG = 65 * MIB  # over the 64 MiB default
RAW = {"request_serializer": None, "response_deserializer": None}


def start_flow(tmp: Path, *, with_block: str = "", extra: str = "") -> RunningFlow:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "execs.py").write_text(EXECUTORS)
    (tmp / "flow.yml").write_text(FLOW.format(with_block=with_block, extra=extra))
    result = compile_flow(tmp / "flow.yml")
    assert result.ok, [d.message for d in result.diagnostics]
    return RunningFlow(result.plan, tmp, tmp / "run").start()


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    running = start_flow(tmp_path_factory.mktemp("wire"), extra=SHARDED)
    try:
        yield running
    finally:
        running.stop()


def request(endpoint: str = "/echo", docs: bytes = b"", parameters: dict | None = None) -> bytes:
    message = flowc_pb2.DataRequest(docs=docs)
    message.header.endpoint = endpoint
    message.header.request_id = "r"
    if parameters is not None:
        message.parameters.update(parameters)
    return message.SerializeToString()


def raw_call(address: str, method: str = "/flowc.v1.Flowc/Process"):
    channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", -1),
                                                      ("grpc.max_receive_message_length", -1)])
    return channel, channel.unary_unary(method, **RAW)


def log_of(flow: RunningFlow, label: str) -> str:
    return (flow.tmp / f"{label}.log").read_text(errors="replace")


def nested(depth: int) -> dict:
    top = inner = {}
    for _ in range(depth):
        inner["a"] = {}
        inner = inner["a"]
    return top


# -- settings (no processes) -----------------------------------------------------------------
def test_settings_defaults_and_overrides():
    default = ServerSettings()
    assert default.value("grpc.max_receive_message_length") == MAX_MESSAGE_BYTES == 64 * MIB
    assert default.value("grpc.max_send_message_length") == MAX_MESSAGE_BYTES
    assert default.value("grpc.max_concurrent_streams") > 0
    assert default.maximum_concurrent_rpcs and default.maximum_concurrent_rpcs > 0
    raised = ServerSettings({"grpc.max_receive_message_length": 200 * MIB,
                             "flowc.maximum_concurrent_rpcs": -1}, fixed={"grpc.so_reuseport": 1})
    assert raised.maximum_concurrent_rpcs is None
    assert "flowc.maximum_concurrent_rpcs" not in dict(raised.options)  # not a gRPC argument
    assert raised.value("grpc.so_reuseport") == 1
    # a router forwards what its server accepts, and can receive what it may answer
    channel = dict(raised.channel_options({"grpc.max_receive_message_length": 5}))
    assert channel["grpc.max_send_message_length"] == 200 * MIB
    assert channel["grpc.max_receive_message_length"] == 5  # grpc_channel_options win


# -- (a) too large -----------------------------------------------------------------------------
def test_too_large_request_is_refused_and_the_servers_keep_serving(flow):
    targets = {"gateway": f"127.0.0.1:{flow.port}", "worker": flow.addresses["typed"][0],
               "head": flow.addresses["sharded"][0]}
    big = request(docs=b"x" * BIG)
    for label, address in targets.items():
        channel, call = raw_call(address)
        with channel:
            with pytest.raises(grpc.RpcError) as refused:
                call(big, timeout=30)
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, label
            answer = flowc_pb2.DataRequest.FromString(call(request(docs=b""), timeout=10))
            assert answer.header.status.code == flowc_pb2.Status.SUCCESS, label
    flow.check_alive()


# -- (b) a Flow raising the limit --------------------------------------------------------------
def test_grpc_server_options_raise_the_limit_end_to_end(tmp_path):
    raised = start_flow(tmp_path, with_block=RAISED.format(limit=80 * MIB))
    try:
        channel, call = raw_call(f"127.0.0.1:{raised.port}")
        with channel:
            answer = flowc_pb2.DataRequest.FromString(call(request(docs=b"y" * BIG), timeout=60))
        assert answer.header.status.code == flowc_pb2.Status.SUCCESS, answer.header.status
        assert len(answer.docs) == BIG  # through the gateway to the worker and back
    finally:
        raised.stop()


# -- (c) malformed messages --------------------------------------------------------------------
def test_malformed_messages_get_invalid_argument_and_one_log_line(flow):
    garbage = b"\xff\xff\xff\xff" + os.urandom(64)
    servers = {"gateway": (f"127.0.0.1:{flow.port}", "gateway"),
               "worker": (flow.addresses["typed"][0], "typed-executor-0-0"),
               "head": (flow.addresses["sharded"][0], "sharded-head")}
    methods = ("/flowc.v1.Flowc/Process", "/flowc.v1.Flowc/Endpoints",
               "/grpc.health.v1.Health/Check")
    for label, (address, log_label) in servers.items():
        for method in methods:
            channel, call = raw_call(address, method)
            with channel:
                with pytest.raises(grpc.RpcError) as refused:
                    call(garbage, timeout=10)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (label, method)
            assert "not a valid" in refused.value.details()
        text = log_of(flow, log_label)
        assert text.count("refused a malformed") == len(methods), text
        assert "Traceback" not in text, text
    health = raw_call(f"127.0.0.1:{flow.port}", "/grpc.health.v1.Health/Check")
    with health[0]:
        reply = health_pb2.HealthCheckResponse.FromString(
            health[1](health_pb2.HealthCheckRequest().SerializeToString(), timeout=5))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_malformed_message_on_a_stream_ends_it_cleanly_after_answering_what_came_before(flow):
    valid = flowc_pb2.DataRequest.FromString(request(docs=b""))
    before = log_of(flow, "gateway").count("refused a malformed")
    with grpc.insecure_channel(f"127.0.0.1:{flow.port}") as channel:
        stream = channel.stream_stream(STREAM_METHOD, request_serializer=None,
                                       response_deserializer=flowc_pb2.DataRequest.FromString)
        answers = stream(iter([tagged(valid, 1), b"\xff\xff\xff\xff"]), timeout=20)
        got = []
        with pytest.raises(grpc.RpcError) as ended:
            for answer in answers:
                got.append(answer)
    assert [a.hop_id for a in got] == [1]
    assert got[0].header.status.code == flowc_pb2.Status.SUCCESS
    assert ended.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    text = log_of(flow, "gateway")
    assert text.count("refused a malformed") == before + 1
    assert "Traceback" not in text


# -- (d) parameters nested too deeply -----------------------------------------------------------
def test_deeply_nested_parameters_get_invalid_argument(flow):
    channel, call = raw_call(f"127.0.0.1:{flow.port}")
    with channel:
        for depth in (40, 200):
            with pytest.raises(grpc.RpcError) as refused:
                call(request(parameters=nested(depth)), timeout=10)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert f"at most {MAX_PARAMETERS_DEPTH} levels" in refused.value.details()
        fine = flowc_pb2.DataRequest.FromString(
            call(request(parameters=nested(MAX_PARAMETERS_DEPTH)), timeout=10))
        assert fine.header.status.code == flowc_pb2.Status.SUCCESS
    assert "Traceback" not in log_of(flow, "gateway")


# -- (e) documents that do not fit the endpoint's type --------------------------------------------
def _post_typed(flow: RunningFlow, docs: bytes) -> flowc_pb2.DataRequest:
    channel, call = raw_call(f"127.0.0.1:{flow.port}")
    with channel:
        return flowc_pb2.DataRequest.FromString(call(request("/typed", docs), timeout=20))


def _docs(**fields) -> bytes:
    from docarray.proto import DocListProto

    message = DocListProto()
    doc = message.docs.add()
    doc.data["id"].text = "d1"
    for key, value in fields.items():
        setattr(doc.data[key], "text" if isinstance(value, str) else "float", value)
    return message.SerializeToString()


@pytest.mark.parametrize("docs, expected", [
    (_docs(content="another schema"), ["has none of its fields", "content", "label"]),
    (_docs(score=0.5), ["field 'label'", "Field required", "document 0 (id d1)"]),
    (b"\xff\xff\xff garbage", ["not docarray protobuf bytes"]),
], ids=["other-schema", "missing-required-field", "garbage-bytes"])
def test_documents_not_matching_the_endpoint_type_get_a_clear_error(flow, docs, expected):
    answer = _post_typed(flow, docs)
    status = answer.header.status
    assert status.code == flowc_pb2.Status.ERROR
    assert status.exception.name == "DocumentsMismatch"
    assert status.exception.executor == "typed/rep-0"
    assert "endpoint /typed" in status.description and "Labelled" in status.description
    for part in expected:
        assert part in status.description, status.description
    flow.check_alive()  # exit_on_exceptions: [ValueError] did not stop the worker
    good = _post_typed(flow, _docs(label="ok", extra="dropped by name matching"))
    assert good.header.status.code == flowc_pb2.Status.SUCCESS, good.header.status
    from docarray.proto import DocListProto

    (doc,) = DocListProto.FromString(good.docs).docs
    assert doc.data["label"].text == "OK" and "extra" not in doc.data  # docarray's coercion


def test_decoder_refuses_what_does_not_fit_in_process():
    from docarray import BaseDoc

    from flowc.runtime.docs import DocumentsMismatch, decode_docs

    class Scored(BaseDoc):
        score: float

    with pytest.raises(DocumentsMismatch, match=r"document 0 \(id d1\): field 'score'"):
        decode_docs(_docs(score="not a number"), Scored)
    with pytest.raises(DocumentsMismatch, match="not docarray protobuf bytes"):
        decode_docs(b"\xff\xff\xff", None)  # the generic type (its own codec) too
    assert decode_docs(_docs(score=0.25, other="kept out"), Scored)[0].score == 0.25


def test_gateway_filter_meeting_bytes_that_are_no_documents_answers_an_error(capsys):
    import asyncio

    from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
    from flowc.runtime.graph_runner import GraphRunner
    from flowc.runtime.topology import build_topology

    entry = Deployment(name="f", executor=ExecutorRef(kind="class", jtype="X"),
                       needs=("gateway",), when={"tags__n": {"$eq": 1}})
    plan = Plan(flow=FlowInfo(name="t", source="f.yml"), gateway=Gateway(),
                deployments=(entry,), responders=("f",))
    runner = GraphRunner(build_topology(plan, {"f": ["127.0.0.1:1"]}), {})  # never called
    answer = asyncio.run(runner.run(flowc_pb2.DataRequest.FromString(
        request(docs=b"\xff\xff\xff"))))
    status = answer.header.status
    assert status.code == flowc_pb2.Status.ERROR
    assert status.exception.name == "DocumentsMismatch" and "for f" in status.description
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
