"""Streaming endpoints (Jina's `stream_doc`) over gRPC: `Client.stream_doc`,
`AsyncClient.stream_doc`, Jina's `stream_doc` method and `flowc post --stream` against real
processes on loopback; where a Flow cannot stream; the executor side in-process (async and plain
generators, errors, wrong inputs)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import grpc
import pytest
from docarray import BaseDoc
from docarray.proto import DocListProto, DocProto

from flowc.compiler import load
from flowc.runtime import AsyncClient, Client, FlowcRequestError
from flowc.runtime.executor import endpoint_types, is_streaming
from flowc.runtime.host import ExecutorHost
from flowc.runtime.jina_stream import doc_bytes, doclist_bytes
from flowc.runtime.proto import flowc_pb2, jina_pb2, jina_stream_pb2, jina_stream_pb2_grpc
from flowc.runtime.streaming import StreamUnsupported, host_stream, stream_route
from tests.runtime.streaming_harness import EXECUTOR, streaming_flow, token_types

FLOWC = str(Path(sys.executable).parent / "flowc")


def collect(client, on, doc, **kw):
    async def run():
        return [d async for d in client.stream_doc(on=on, inputs=doc, **kw)]
    return asyncio.run(run())


def test_grpc_stream_doc_against_a_running_flow(tmp_path):
    Prompt, Token = token_types()
    with streaming_flow(tmp_path, ["grpc"]) as (flow, ports):
        client = Client(port=ports["grpc"])
        got = collect(client, "/stream", Prompt(text="a b c"), return_type=Token,
                      parameters={"suffix": "?"})
        assert [(d.text, d.index) for d in got] == [("A?", 0), ("B?", 1), ("C?", 2)]
        assert all(isinstance(d, Token) for d in got)
        # the Python Flow streams as Jina's does (`flow.stream_doc`)
        assert [d.text for d in collect(flow, "/stream", Prompt(text="f"))] == ["F"]
        # a plain (sync) generator streams too, each step in the executor's thread
        assert [d.index for d in collect(client, "/count", Prompt(text="4"),
                                         return_type=Token)] == [0, 1, 2, 3]
        # an error after one document: that document arrives, then the error names the replica
        seen = []

        async def failing():
            async for doc in client.stream_doc(on="/stream", inputs=Prompt(text="boom"),
                                               return_type=Token):
                seen.append(doc.text)
        with pytest.raises(FlowcRequestError) as info:
            asyncio.run(failing())
        assert seen == ["first"]
        assert info.value.executor == "tok/rep-0" and info.value.name == "ValueError"
        assert "boom after one token" in str(info.value)
        # a plain request to a streaming endpoint says how to call it; a stream to a plain
        # endpoint says the opposite
        with pytest.raises(FlowcRequestError, match="streams its results: call it with "
                                                     "Client.stream_doc"):
            client.post("/stream", Prompt(text="x"))
        with pytest.raises(FlowcRequestError, match="/plain is not a streaming endpoint"):
            collect(client, "/plain", Prompt(text="x"))
        assert [d.text for d in client.post("/plain", Prompt(text="x"))] == ["x!"]
        client.close()

        async def with_async_client():
            async with AsyncClient(port=ports["grpc"]) as aclient:
                first = [d.text async for d in aclient.stream_doc(
                    on="/stream", inputs=Prompt(text="p q"), return_type=Token)]
                posted = await aclient.post("/plain", Prompt(text="y"))  # the same channel
                return first, [d.text for d in posted]
        assert asyncio.run(with_async_client()) == (["P", "Q"], ["y!"])

        # Jina's stream_doc on the same port (what Jina's gRPC client calls)
        assert jina_stream_doc(ports["grpc"], Prompt(text="j k"), Token) == [
            ("J", 0), ("K", 1)]
        with pytest.raises(grpc.RpcError) as refused:
            jina_stream_doc(ports["grpc"], Prompt(text="x"), Token, header=b"\xff\xff")
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "not a jina.HeaderProto" in refused.value.details()

        # flowc post --stream: one JSON line per streamed document, as it comes
        out = subprocess.run([FLOWC, "post", f"127.0.0.1:{ports['grpc']}", "--stream", "--on",
                              "/stream", "--data", '{"text": "x y"}', "--parameters",
                              '{"suffix": 1}'], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        lines = [json.loads(line) for line in out.stdout.splitlines()]
        assert [(d["text"], d["index"]) for d in lines] == [("X1", 0), ("Y1", 1)]
        out = subprocess.run([FLOWC, "post", f"127.0.0.1:{ports['grpc']}", "--stream", "--on",
                              "/stream", "--data", '["boom"]'], capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 1 and json.loads(out.stdout)["text"] == "first"
        assert "flowc post: error: tok/rep-0: ValueError: boom after one token" in out.stderr
        out = subprocess.run([FLOWC, "post", f"127.0.0.1:{ports['grpc']}", "--stream", "--on",
                              "/stream", "--data", '["a", "b"]'], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 1
        assert out.stderr == "flowc post: --stream sends one document; --data holds 2\n"


def jina_stream_doc(port, doc, doc_type, header=None):
    """Jina's `stream_doc` call as Jina's client makes it: (text, index) of each answer."""
    head = jina_pb2.HeaderProto(request_id="j1", exec_endpoint="/stream")
    request = jina_stream_pb2.SingleDocumentRequestProto(
        header=head.SerializeToString() if header is None else header,
        document=doc.to_protobuf().SerializeToString())
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = jina_stream_pb2_grpc.JinaSingleDocumentRequestRPCStub(channel)
        out = []
        for answer in stub.stream_doc(request, timeout=30):
            assert jina_pb2.HeaderProto.FromString(answer.header).request_id == "j1"
            got = doc_type.from_protobuf(DocProto.FromString(answer.document))
            out.append((got.text, got.index))
        return out


def test_doclist_bytes_wrap_and_unwrap_documents():
    from docarray import DocList
    Prompt, _ = token_types()
    docs = DocList[Prompt]([Prompt(text="x" * 300), Prompt(text="")])  # a 2-byte length too
    # one protobuf object for both sides: a DocProto's `data` is a map, and two separately built
    # copies may serialise its keys in different orders
    proto = docs.to_protobuf()
    singles = [d.SerializeToString() for d in proto.docs]
    assert doc_bytes(proto.SerializeToString()) == singles
    assert DocListProto.FromString(doclist_bytes(singles[0])).docs[0] == proto.docs[0]
    for broken in (b"\x12\x00", b"\x0a\x05ab", b"\x0a\x80"):
        with pytest.raises(ValueError):
            doc_bytes(broken)


def test_a_flow_of_two_entries_refuses_to_stream(tmp_path):
    Prompt, Token = token_types()
    with streaming_flow(tmp_path, ["grpc"], entries=2) as (flow, ports):
        with Client(port=ports["grpc"]) as client:
            with pytest.raises(FlowcRequestError, match=r"streaming endpoints need a Flow of "
                                                        r"one executor entry \(as in Jina\); "
                                                        r"this Flow has 2: pass1 \(flow.yml:9:5\), "
                                                        r"tok \(flow.yml:6:5\)"):
                collect(client, "/stream", Prompt(text="a"))
            # plain requests still flow through both entries
            assert [d.text for d in client.post("/plain", Prompt(text="x"))] == ["x!"]


def test_an_entry_placed_in_the_gateway_streams_there(tmp_path):
    Prompt, Token = token_types()
    with streaming_flow(tmp_path, ["grpc"], entry_keys="    placement: gateway\n") as (
            flow, ports):
        with Client(port=ports["grpc"]) as client:
            got = collect(client, "/count", Prompt(text="3"), return_type=Token)
            assert [d.index for d in got] == [0, 1, 2]
            with pytest.raises(FlowcRequestError, match="boom after one token"):
                collect(client, "/stream", Prompt(text="boom"))


def test_where_the_gateway_streams_to(tmp_path):
    (tmp_path / "flow.yml").write_text(textwrap.dedent("""\
        jtype: Flow
        executors:
          - name: one
          - name: sharded
            shards: 2
            needs: gateway
    """))
    plan = load(tmp_path / "flow.yml")
    assert "one executor entry" in stream_route(plan, {"one": 1, "sharded": 2}).refusal
    route = stream_route(plan, {"sharded": 2})
    assert route.hop is None
    assert route.refusal.startswith("entry sharded (flow.yml:4:5) is reached through its head")
    assert stream_route(plan, {"one": "hop"}).hop == "hop"

    async def refused():
        async for _ in route.stream(flowc_pb2.DataRequest()):
            pass
    with pytest.raises(StreamUnsupported, match="head"):
        asyncio.run(refused())


def _executor(tmp_path):
    (tmp_path / "tokens_mod.py").write_text(EXECUTOR)
    sys.path.insert(0, str(tmp_path))
    try:
        import tokens_mod
    finally:
        sys.path.remove(str(tmp_path))
    return tokens_mod


def test_the_executor_side_in_process(tmp_path):
    mod = _executor(tmp_path)
    executor = mod.Tokens()
    assert is_streaming(executor.stream) and is_streaming(executor.count)
    assert not is_streaming(executor.plain)
    # the document types come from `doc` and from AsyncIterator[T] / Iterator[T]
    assert endpoint_types(executor.stream)[:2] == (mod.Prompt, mod.Token)
    assert endpoint_types(executor.count)[:2] == (mod.Prompt, mod.Token)
    host = ExecutorHost(executor, runtime_name="tok/rep-0")
    info = {e.endpoint: e.streaming for e in host.endpoints().endpoints}
    assert info == {"/count": True, "/fail": False, "/plain": False, "/stream": True}

    def request(endpoint, *texts, parameters=None):
        from flowc.runtime.docs import encode_docs
        from docarray import DocList
        message = flowc_pb2.DataRequest(docs=encode_docs(DocList[mod.Prompt](
            [mod.Prompt(text=t) for t in texts])) if texts else b"")
        message.header.endpoint = endpoint
        if parameters:
            message.parameters.update(parameters)
        return message

    async def answers(message):
        return [a async for a in host_stream(host, message)]

    out = asyncio.run(answers(request("/stream", "a b", parameters={"suffix": "!"})))
    from flowc.runtime.docs import decode_docs
    assert [decode_docs(a.docs, mod.Token)[0].text for a in out] == ["A!", "B!"]
    assert all(a.header.endpoint == "/stream" for a in out)
    # two documents, or none: one ERROR answer saying so
    for texts in (("a", "b"), ()):
        (error,) = asyncio.run(answers(request("/stream", *texts)))
        assert error.header.status.code == flowc_pb2.Status.ERROR
        assert error.header.status.exception.name == "NotStreamed"
        assert f"the request carries {len(texts)}" in error.header.status.description
    # a document that does not fit the endpoint's type is the request's fault, named
    bad = flowc_pb2.DataRequest(docs=b"\x0a\x03not")
    bad.header.endpoint = "/stream"
    (error,) = asyncio.run(answers(bad))
    assert error.header.status.exception.name == "DocumentsMismatch"
    assert host.inflight == 0
    host.close()


def test_stream_doc_takes_one_document():
    class Doc(BaseDoc):
        text: str = ""

    from docarray import DocList
    client = Client(port=1)
    with pytest.raises(TypeError, match="one document"):
        collect(client, "/x", DocList[Doc]([Doc()]))
