"""Endpoint discovery and dry runs of a running Flow (issue 13 §4): `Client.endpoints()`,
`Client.dry_run()`, `flowc endpoints FLOW|ADDRESS` and `flowc ping FLOW|ADDRESS`, against real
processes: typed documents and a parameters model come back as JSON Schemas; a gateway whose
node stops answering fails its dry run, naming the node; a worker is pinged on its own."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from flowc.compiler.api import Flow
from flowc.runtime import AsyncClient, Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ports import free_port  # noqa: E402

FLOWC = str(Path(sys.executable).parent / "flowc")

EXECUTORS = '''
from typing import Optional

from docarray import BaseDoc, DocList
from pydantic import BaseModel

from flowc.runtime import Executor, requests, write


class Query(BaseDoc):
    text: str = ""


class Answer(BaseDoc):
    text: str = ""
    length: int = 0


class Knobs(BaseModel):
    factor: int = 1


class Shout(Executor):
    @requests(on="/shout")
    def shout(self, docs: DocList[Query], parameters: Knobs, **kwargs) -> DocList[Answer]:
        return DocList[Answer]([Answer(id=d.id, text=d.text.upper() * parameters.factor,
                                       length=len(d.text)) for d in docs])

    @write
    @requests(on="/index")
    def index(self, docs: DocList[Query], **kwargs) -> DocList[Query]:
        return docs


class Tag(Executor):
    @requests
    def tag(self, docs, **kwargs):
        return None
'''

FLOW = '''jtype: Flow
version: '1'
with:
  port: {port}
executors:
  - name: shout
    uses: Shout
    py_modules: [executors.py]
  - name: tag
    uses: Tag
    py_modules: [executors.py]
'''


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    port = free_port()
    (folder / "executors.py").write_text(EXECUTORS)
    (folder / "flow.yml").write_text(FLOW.format(port=port))
    flow = Flow.load(str(folder / "flow.yml"))
    flow.start()
    try:
        yield folder, port, flow
    finally:
        flow.stop()


def _flowc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([FLOWC, *args], capture_output=True, text=True, timeout=60)


def _worker(flow: Flow, name: str):
    (child,) = [c for c in flow._handle.supervisor.children if c.name.startswith(name)]
    return child


def test_client_endpoints_gives_every_endpoint_with_its_schemas(running):
    _, port, _ = running
    with Client(host="127.0.0.1", port=port) as client:
        found = client.endpoints()
        assert client.dry_run() is True
    assert list(found) == sorted(found) and {"/shout", "/index", "/default"} <= set(found)
    shout = found["/shout"]
    assert shout.input_schema["title"] == "Query"
    assert shout.output_schema["title"] == "Answer"
    assert set(shout.output_schema["properties"]) >= {"id", "text", "length"}
    assert shout.parameters_schema["properties"]["factor"]["type"] == "integer"
    assert found["/index"].write is True and shout.write is False
    assert found["/default"].parameters_schema is None  # any object


def test_flowc_endpoints_prints_them_from_the_flow_file_and_as_json(running):
    folder, port, _ = running
    listed = _flowc("endpoints", str(folder / "flow.yml"))
    assert listed.returncode == 0, listed.stderr
    assert "/index  (write)\n" in listed.stdout
    assert "/shout\n  input:      Query {id: string | null, text: string}\n" in listed.stdout
    assert "  output:     Answer {id: string | null, length: integer, text: string}\n" \
        in listed.stdout
    assert "  parameters: Knobs {factor: integer}\n" in listed.stdout
    as_json = _flowc("endpoints", f"grpc://127.0.0.1:{port}", "--json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["/shout"]["output_schema"]["title"] == "Answer"
    assert data["/shout"]["parameters_schema"]["title"] == "Knobs"


def test_flowc_ping_a_gateway_and_a_worker(running):
    folder, port, flow = running
    pinged = _flowc("ping", str(folder / "flow.yml"))
    assert pinged.returncode == 0, pinged.stderr
    assert pinged.stdout == f"127.0.0.1:{port}: SERVING; every node it routes to is SERVING\n"
    worker = _worker(flow, "tag")
    alone = _flowc("ping", f"127.0.0.1:{worker.port}")
    assert alone.returncode == 0, alone.stderr
    assert "a worker or head" in alone.stdout
    with Client(host="127.0.0.1", port=worker.port) as client:
        assert client.dry_run() is True
        assert list(client.endpoints()) == ["/default"]


def test_a_node_that_does_not_answer_fails_the_ping_and_the_dry_run(running):
    folder, port, flow = running
    worker = _worker(flow, "tag")
    os.kill(worker.popen.pid, signal.SIGSTOP)  # alive, so not restarted, but silent
    try:
        pinged = _flowc("ping", f"127.0.0.1:{port}")  # the gateway gives a node 1 s
        with Client(host="127.0.0.1", port=port) as client:
            assert client.dry_run(timeout=5) is False
    finally:
        os.kill(worker.popen.pid, signal.SIGCONT)
    assert pinged.returncode == 1
    assert "the gateway is SERVING, but not SERVING: tag" in pinged.stderr
    again = _flowc("ping", f"127.0.0.1:{port}")
    assert again.returncode == 0, again.stderr


def test_nothing_listening_is_a_one_line_error():
    port = free_port()
    for command in ("endpoints", "ping"):
        result = _flowc(command, f"127.0.0.1:{port}", "--timeout", "1")
        assert result.returncode == 1
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
        assert f"127.0.0.1:{port}" in result.stderr
    with Client(host="127.0.0.1", port=port) as client:
        assert client.dry_run(timeout=1) is False
        with pytest.raises(ConnectionError, match="cannot reach"):
            client.endpoints(timeout=1)


def test_the_async_client_discovers_dry_runs_and_fails_as_the_blocking_one(running):
    _, port, flow = running
    worker = _worker(flow, "tag")
    silent = free_port()

    async def main():
        async with AsyncClient(host="127.0.0.1", port=port) as client:
            found = await client.endpoints()
            gateway = await client.dry_run(), await client.is_ready()
        async with AsyncClient(host="127.0.0.1", port=worker.port) as client:
            alone = await client.dry_run(), list(await client.endpoints())
        async with AsyncClient(host="127.0.0.1", port=silent) as client:
            nothing = await client.dry_run(timeout=1), await client.is_ready(timeout=1)
            with pytest.raises(ConnectionError, match="cannot reach"):
                await client.endpoints(timeout=1)
        return found, gateway, alone, nothing

    found, gateway, alone, nothing = asyncio.run(main())
    with Client(host="127.0.0.1", port=port) as client:
        assert found == client.endpoints()  # the same schemas, whichever client asks
    assert gateway == (True, True)
    assert alone == (True, ["/default"])
    assert nothing == (False, False)
