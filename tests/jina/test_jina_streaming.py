"""Differential: Jina 3.34's own clients against a flowc Flow over WebSocket and streaming.

- `Client(protocol='websocket').post(...)`: Jina's DataRequestProto over one connection (the
  `bytes` subprotocol), answers matched by request id, an executor's error raised by Jina;
- `Client(protocol='grpc').stream_doc(...)` (`/jina.JinaSingleDocumentRequestRPC/stream_doc`) and
  `Client(protocol='http').stream_doc(...)` (`GET /stream`, Server-Sent Events): every streamed
  document, in order, with its typed fields; an error mid-stream raised by Jina's gRPC client.

Jina runs in a subprocess of the reference environment (tests/jina_ref.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import textwrap
import time

from tests.jina_ref import jina_env, jina_python, requires_jina
from tests.runtime.streaming_harness import streaming_flow

pytestmark = requires_jina

JINA_SIDE = textwrap.dedent('''
    import asyncio, json, sys
    from docarray import BaseDoc, DocList
    from jina import Client


    class Prompt(BaseDoc):
        text: str = ""


    class Token(BaseDoc):
        text: str = ""
        index: int = 0


    grpc_port, ws_port, http_port = map(int, sys.argv[1:4])


    def say(**kw):
        print(json.dumps(kw), flush=True)


    ws = Client(port=ws_port, protocol="websocket")
    docs = DocList[Prompt]([Prompt(text=f"d{i}") for i in range(7)])
    out = ws.post("/plain", docs, request_size=2, return_type=DocList[Prompt])
    say(ws=[d.text for d in out])
    try:
        ws.post("/fail", DocList[Prompt]([Prompt(text="x")]))
        say(ws_error=None)
    except Exception as exc:
        say(ws_error=f"{type(exc).__name__}: {exc}")


    async def streams():
        for protocol, port in (("grpc", grpc_port), ("http", http_port)):
            client = Client(port=port, protocol=protocol, asyncio=True)
            got = [(d.text, d.index) async for d in client.stream_doc(
                on="/stream", inputs=Prompt(text="a b c"), return_type=Token)]
            say(protocol=protocol, tokens=got)
        client = Client(port=grpc_port, protocol="grpc", asyncio=True)
        seen = []
        try:
            async for d in client.stream_doc(on="/stream", inputs=Prompt(text="boom"),
                                             return_type=Token):
                seen.append(d.text)
            say(stream_error=None, seen=seen)
        except Exception as exc:
            say(stream_error=f"{type(exc).__name__}: {exc}", seen=seen)


    asyncio.run(streams())
''')


def test_jina_clients_over_websocket_and_streaming(tmp_path):
    with streaming_flow(tmp_path, ["grpc", "websocket", "http"]) as (flow, ports):
        done = subprocess.run(
            [jina_python(), "-c", JINA_SIDE, str(ports["grpc"]), str(ports["websocket"]),
             str(ports["http"])], capture_output=True, text=True, timeout=120, env=jina_env())
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    ws, ws_error, grpc_tokens, http_tokens, stream_error = lines
    assert ws == {"ws": [f"d{i}!" for i in range(7)]}
    assert "refused /fail" in ws_error["ws_error"] and "tok/rep-0" in ws_error["ws_error"]
    expected = [["A", 0], ["B", 1], ["C", 2]]
    assert grpc_tokens == {"protocol": "grpc", "tokens": expected}
    assert http_tokens == {"protocol": "http", "tokens": expected}
    assert stream_error["seen"] == ["first"]
    assert "boom after one token" in (stream_error["stream_error"] or "")


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to a Jina process started in a session of its own and to everything it forked,
    then SIGKILL what is left: a Deployment leaves its forked executor running after a plain
    SIGTERM to its parent."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


JINA_STREAMER = textwrap.dedent('''
    from docarray import BaseDoc
    from jina import Executor, requests


    class Prompt(BaseDoc):
        text: str = ""


    class Token(BaseDoc):
        text: str = ""
        index: int = 0


    class TokensJina(Executor):
        @requests(on="/stream")
        async def stream(self, doc: Prompt, **kwargs) -> Token:  # Jina's documented spelling
            for i, word in enumerate(doc.text.split()):
                yield Token(text=word + "-jina", index=i)
''')


def test_a_flowc_flow_streams_from_an_external_jina_executor(tmp_path):
    """flowc's gateway asks a Jina executor (no FlowcStream) through Jina's `stream_doc`."""
    import asyncio

    import httpx

    from flowc.compiler.api import Flow
    from flowc.runtime import Client
    from tests.jina.test_jina_wire import _wait_serving
    from tests.ports import free_port
    from tests.runtime.streaming_harness import token_types

    (tmp_path / "jina_tokens.py").write_text(JINA_STREAMER)
    jina_port, port, http_port = free_port(), free_port(), free_port()
    server = subprocess.Popen(
        [jina_python(), "-c", textwrap.dedent(f"""
            import sys
            sys.path.insert(0, {str(tmp_path)!r})
            from jina import Deployment
            from jina_tokens import TokensJina
            with Deployment(uses=TokensJina, port={jina_port}, host='127.0.0.1',
                            include_gateway=False) as dep:
                dep.block()
        """)], env=jina_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)  # its forked executor too is stopped with the group
    Prompt, Token = token_types()
    try:
        _wait_serving(jina_port, server)
        flow = Flow(protocol=["grpc", "http"], port=[port, http_port]).add(
            name="jx", external=True, host="127.0.0.1", port=jina_port)
        with flow.start(base_dir=tmp_path):
            with Client(port=port) as client:
                async def tokens():
                    return [(d.text, d.index) async for d in client.stream_doc(
                        on="/stream", inputs=Prompt(text="a b"), return_type=Token)]
                got = asyncio.run(tokens())
            events = httpx.request("GET", f"http://127.0.0.1:{http_port}/stream",
                                   json={"text": "c"}, timeout=30).text
    finally:
        stop_group(server)
    assert got == [("a-jina", 0), ("b-jina", 1)]
    assert events.startswith("event: update\r\ndata: ") and '"c-jina"' in events
    assert events.endswith("event: end\r\n\r\n")
