"""The WebSocket gateway (`protocol: websocket`) and HTTP streaming, against a real Flow on
loopback: a `websockets` client in Jina's `bytes` subprotocol (Jina's DataRequestProto messages)
and in JSON, and Server-Sent Events read with httpx. A network failure's close code is checked
in-process (starlette's test client), since it needs a node that fails mid-request."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from docarray import BaseDoc, DocList

from flowc.runtime.channels import HopFailure
from flowc.runtime.docs import decode_docs, encode_docs
from flowc.runtime.proto import jina_pb2
from flowc.runtime.web import WebContext
from flowc.runtime.ws_gateway import build_app
from tests.runtime.streaming_harness import streaming_flow


class Prompt(BaseDoc):
    text: str = ""


def jina_request(request_id: str, endpoint: str, *texts: str) -> bytes:
    message = jina_pb2.DataRequestProto()
    message.header.request_id = request_id
    message.header.exec_endpoint = endpoint
    message.data.docs = encode_docs(DocList[Prompt]([Prompt(text=t) for t in texts]))
    return message.SerializeToString()


def sse_events(text: str) -> list[tuple[str, object]]:
    """(event, data) of each Server-Sent Event, checking Jina's CRLF framing."""
    assert text.endswith("\r\n\r\n")
    events = []
    for block in text.split("\r\n\r\n")[:-1]:
        lines = block.split("\r\n")
        assert lines[0].startswith("event: ")
        data = [line[len("data: "):] for line in lines[1:]]
        events.append((lines[0][len("event: "):], json.loads("".join(data)) if data else None))
    return events


def test_websocket_and_http_streaming(tmp_path):
    with streaming_flow(tmp_path, ["grpc", "websocket", "http"]) as (flow, ports):
        ws_url = f"ws://127.0.0.1:{ports['websocket']}"
        http_url = f"http://127.0.0.1:{ports['http']}"

        async def binary():
            """Jina's client: many requests on one connection, answers by request id."""
            async with websockets.connect(ws_url + "/", subprotocols=["bytes"]) as ws:
                assert ws.subprotocol == "bytes"
                for i in range(5):
                    await ws.send(jina_request(f"r{i}", "/plain", f"doc{i}", "x"))
                await ws.send(jina_request("bad", "/fail", "y"))
                await ws.send(bytes(True))  # Jina's end of the requests
                answers = {}
                async for raw in ws:
                    answer = jina_pb2.DataRequestProto.FromString(raw)
                    answers[answer.header.request_id] = answer
                return answers, ws.close_code

        answers, code = asyncio.run(binary())
        assert code == 1000 and sorted(answers) == ["bad", "r0", "r1", "r2", "r3", "r4"]
        for i in range(5):
            docs = decode_docs(answers[f"r{i}"].data.docs, Prompt)
            assert [d.text for d in docs] == [f"doc{i}!", "x!"]
        status = answers["bad"].header.status
        assert status.code == jina_pb2.StatusProto.ERROR
        assert status.exception.name == "ValueError" and status.exception.executor == "tok/rep-0"
        assert "refused /fail" in status.description

        async def as_json():
            async with websockets.connect(ws_url + "/") as ws:
                await ws.send(json.dumps({"execEndpoint": "/plain", "data": ["hi", {"text": "yo"}],
                                          "requestId": "j1", "parameters": {"k": 1}}))
                plain = json.loads(await ws.recv())
                await ws.send(json.dumps({"exec_endpoint": "/stream", "data": [{"text": "a b"}],
                                          "parameters": {"suffix": "?"}}))
                streamed = [json.loads(await ws.recv()) for _ in range(3)]
                await ws.send("not json")
                bad = json.loads(await ws.recv())
                await ws.send(json.dumps({"execEndpoint": "/plain", "data": [{"text": 5}]}))
                invalid = json.loads(await ws.recv())
                await ws.send("{}")
                with pytest.raises(websockets.ConnectionClosedOK):
                    await ws.recv()
                return plain, streamed, bad, invalid

        plain, streamed, bad, invalid = asyncio.run(as_json())
        assert [d["text"] for d in plain["data"]] == ["hi!", "yo!"]
        assert plain["header"]["requestId"] == "j1" and plain["parameters"] == {"k": 1}
        assert [m["header"]["event"] for m in streamed] == ["update", "update", "end"]
        assert [m["data"][0]["text"] for m in streamed[:2]] == ["A?", "B?"]
        assert len({m["header"]["requestId"] for m in streamed}) == 1
        assert bad["header"]["status"]["code"] == 1 and "not JSON" in \
            bad["header"]["status"]["description"]
        assert invalid["header"]["status"]["exception"]["name"] == "BadRequest"

        async def dry_run():
            async with websockets.connect(ws_url + "/dry_run", subprotocols=["bytes"]) as ws:
                return jina_pb2.StatusProto.FromString(await ws.recv())
        assert asyncio.run(dry_run()).code == jina_pb2.StatusProto.SUCCESS
        assert httpx.get(ws_url.replace("ws", "http") + "/").json() == {}

        # HTTP streaming: GET /stream with the document as the body (Jina's client) or the query
        with httpx.Client(base_url=http_url, timeout=30) as client:
            body = client.request("GET", "/stream", json={"text": "p q"})
            assert body.status_code == 200
            assert body.headers["content-type"].startswith("text/event-stream")
            events = sse_events(body.text)
            assert [e for e, _ in events] == ["update", "update", "end"]
            assert [(d["text"], d["index"]) for _, d in events[:2]] == [("P", 0), ("Q", 1)]
            query = sse_events(client.get("/count", params={"text": "3"}).text)
            assert [d["index"] for e, d in query if e == "update"] == [0, 1, 2]
            failed = sse_events(client.request("GET", "/stream", json={"text": "boom"}).text)
            assert [e for e, _ in failed] == ["update", "error", "end"]
            assert failed[1][1]["executor"] == "tok/rep-0"
            assert "boom after one token" in failed[1][1]["detail"]
            assert client.request("GET", "/stream", json=["not", "a", "doc"]).status_code == 422
            paths = client.get("/openapi.json").json()["paths"]
            assert set(paths["/stream"]) == {"get"} and "post" in paths["/plain"]


def test_a_network_failure_closes_with_1011():
    from starlette.testclient import TestClient

    async def dispatch(request):
        raise HopFailure("enc", "unavailable", "enc is unreachable after 4 attempt(s)")

    ctx = WebContext(name="gateway", protocol="websocket", dispatch=dispatch, endpoints=[])
    with TestClient(build_app(ctx)) as client:
        with client.websocket_connect("/", subprotocols=["bytes"]) as ws:
            ws.send_bytes(jina_request("r", "/x", "a"))
            message = ws.receive()
    assert message["type"] == "websocket.close" and message["code"] == 1011
    assert message["reason"] == "enc is unreachable after 4 attempt(s)"


def test_dry_run_names_the_nodes_not_serving():
    from starlette.testclient import TestClient

    async def not_ready():
        return ["enc"]

    ctx = WebContext(name="gateway", protocol="websocket", dispatch=None, endpoints=[],
                     not_ready=not_ready)
    with TestClient(build_app(ctx)) as client:
        assert client.get("/dry_run").json()["description"] == "not SERVING: enc"
        with client.websocket_connect("/dry_run", subprotocols=["bytes"]) as ws:
            status = jina_pb2.StatusProto.FromString(ws.receive_bytes())
    assert status.code == jina_pb2.StatusProto.ERROR
    assert status.exception.name == "ConnectionError" and "enc" in status.description


def test_a_message_that_is_not_jinas_is_answered_with_an_error():
    from starlette.testclient import TestClient

    async def dispatch(request):
        return request

    ctx = WebContext(name="gateway", protocol="websocket", dispatch=dispatch, endpoints=[])
    with TestClient(build_app(ctx)) as client:
        with client.websocket_connect("/", subprotocols=["bytes"]) as ws:
            ws.send_bytes(b"\xff\xff\xff")
            answer = jina_pb2.DataRequestProto.FromString(ws.receive_bytes())
            ws.send_bytes(jina_request("ok", "/x", "a"))
            echoed = jina_pb2.DataRequestProto.FromString(ws.receive_bytes())
    assert answer.header.status.code == jina_pb2.StatusProto.ERROR
    assert "not a Jina DataRequestProto" in answer.header.status.description
    assert echoed.header.request_id == "ok"


def test_a_worker_served_alone_streams_over_websocket_and_http(tmp_path):
    """`flowc-runtime worker --websocket-port --http-port`: an executor without a gateway."""
    import subprocess
    import sys
    import time

    from flowc.compiler import load
    from tests.ports import free_port
    from tests.runtime.streaming_harness import write_flow

    write_flow(tmp_path, ["grpc"])
    (tmp_path / "plan.json").write_text(load(tmp_path / "flow.yml").to_json())
    grpc_port, ws_port, http_port = free_port(), free_port(), free_port()
    worker = subprocess.Popen(
        [sys.executable, "-m", "flowc.runtime", "worker", "--plan", tmp_path / "plan.json",
         "--deployment", "tok", "--host", "127.0.0.1", "--port", str(grpc_port),
         "--websocket-port", str(ws_port), "--http-port", str(http_port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert worker.poll() is None, worker.stderr.read()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{ws_port}/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the worker's websocket port never answered"
                time.sleep(0.1)

        async def stream():
            async with websockets.connect(f"ws://127.0.0.1:{ws_port}/") as ws:
                await ws.send(json.dumps({"execEndpoint": "/stream", "data": ["x y"]}))
                return [json.loads(await ws.recv()) for _ in range(3)]
        messages = asyncio.run(stream())
        events = sse_events(httpx.request("GET", f"http://127.0.0.1:{http_port}/count",
                                          json={"text": "2"}, timeout=30).text)
    finally:
        worker.terminate()
        worker.wait(30)
    assert [m["header"]["event"] for m in messages] == ["update", "update", "end"]
    assert [m["data"][0]["text"] for m in messages[:2]] == ["X", "Y"]
    assert [e for e, _ in events] == ["update", "update", "end"]
