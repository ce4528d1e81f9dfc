"""The Python client and `flowc post` (through the CLI) against a real worker process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from docarray import DocList
from docarray.base_doc import AnyDoc
from docarray.documents import TextDoc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.runtime import AsyncClient, Client, FlowcRequestError, GenericDoc
from flowc.compiler.cli import main as flowc_main
from tests.ports import free_port


EXECUTORS = '''
import time
from docarray import DocList
from docarray.documents import TextDoc
from flowc.runtime import Executor, requests


class Counter(Executor):
    @requests(on="/count")
    def count(self, docs: DocList[TextDoc], parameters, **kwargs):
        for doc in docs:
            doc.text = f"{doc.text}:{len(docs)}:{parameters.get('tag', '')}"

    @requests(on="/fail-odd")
    def fail_odd(self, docs: DocList[TextDoc], **kwargs):
        if int(docs[0].text) % 2:
            raise ValueError("odd", docs[0].text)

    @requests(on="/status")
    def status(self, parameters, **kwargs):
        return {"got": parameters}

    @requests(on="/sleep")
    def sleep(self, docs, parameters, **kwargs):
        time.sleep(parameters.get("s", 1))

    @requests(on="/generic")
    def generic(self, docs, **kwargs):
        for doc in docs:
            doc.tags["len"] = len(doc.text or "")
'''


@pytest.fixture(scope="module")
def address(tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("client")
    (folder / "execs.py").write_text(EXECUTORS)
    ref = ExecutorRef(kind="class", jtype="Counter", py_modules=("execs.py",))
    plan = Plan(flow=FlowInfo(name="t", source="flow.yml"), gateway=Gateway(),
                deployments=(Deployment(name="cnt", executor=ref, needs=("gateway",)),),
                responders=("cnt",))
    (folder / "plan.json").write_text(plan.to_json())
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "flowc.runtime", "worker", "--plan",
                             str(folder / "plan.json"), "--deployment", "cnt", "--port", str(port),
                             "--host", "127.0.0.1"], stderr=subprocess.PIPE, text=True)
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}",
                                        options=[("grpc.initial_reconnect_backoff_ms", 20),
                                                 ("grpc.max_reconnect_backoff_ms", 50)])
        stub = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=0.5).status == 1:
                    break
            except grpc.RpcError:
                assert time.monotonic() < deadline, "worker did not start"
                time.sleep(0.02)
        channel.close()
        yield f"127.0.0.1:{port}", port
    finally:
        proc.kill()
        proc.communicate(timeout=10)


def docs(n: int) -> DocList[TextDoc]:
    return DocList[TextDoc]([TextDoc(text=str(i)) for i in range(n)])


def texts(result) -> list:
    """The answer's texts. Without a `return_type` it is `DocList[AnyDoc]`, as Jina's client
    gives, which has no `.text` column: read each document."""
    return [doc.text for doc in result]


def test_batching_by_request_size(address):
    addr, port = address
    with Client(host="127.0.0.1", port=port) as client:
        seen = []
        result = client.post("/count", docs(5), request_size=2, parameters={"tag": "t"},
                             on_done=seen.append)
        assert texts(result) == ["0:2:t", "1:2:t", "2:2:t", "3:2:t", "4:1:t"]
        assert isinstance(result, DocList) and result.doc_type is AnyDoc
        assert len(seen) == 3 and all(r.header.request_id for r in seen)
        assert len({r.header.request_id for r in seen}) == 3


def test_input_forms(address):
    addr, _ = address
    client = Client(address=addr)
    assert texts(client.post("/count", TextDoc(text="one"))) == ["one:1:"]
    assert texts(client.post("/count", [TextDoc(text="a"), TextDoc(text="b")])) == ["a:2:", "b:2:"]
    generated = (TextDoc(text=str(i)) for i in range(3))
    assert texts(client.post("/count", generated, request_size=2)) == ["0:2:", "1:2:", "2:1:"]
    assert len(client.post("/count")) == 0
    client.close()


def test_return_responses_and_results(address):
    addr, _ = address
    client = Client(address=f"grpc://{addr}")
    responses = client.post("/status", parameters={"top_k": 10}, return_responses=True)
    assert len(responses) == 1
    params = responses[0].parameters
    assert params["top_k"] == 10
    assert params["__results__"] == {"cnt/rep-0": {"got": {"top_k": 10}}}
    client.close()


def test_error_raises_with_executor_name(address):
    addr, _ = address
    client = Client(address=addr)
    with pytest.raises(FlowcRequestError) as info:
        client.post("/fail-odd", docs(2), request_size=1)
    error = info.value
    assert "cnt/rep-0" in str(error) and "ValueError" in str(error) and "odd" in str(error)
    assert error.executor == "cnt/rep-0" and error.name == "ValueError"
    assert error.args_text == ["odd", "1"]
    client.close()


def test_on_error_collects_and_continues(address):
    addr, _ = address
    client = Client(address=addr)
    errors, done = [], []
    result = client.post("/fail-odd", docs(4), request_size=1,
                         on_error=lambda resp, exc: errors.append(exc), on_done=done.append)
    assert texts(result) == ["0", "2"]
    assert len(errors) == 2 and len(done) == 2
    assert all(isinstance(e, FlowcRequestError) for e in errors)
    client.close()


def test_timeout(address):
    addr, _ = address
    client = Client(address=addr)
    with pytest.raises(TimeoutError, match="within 0.3 s"):
        client.post("/sleep", parameters={"s": 2}, timeout=0.3)
    client.close()


def test_unreachable_server():
    client = Client(host="127.0.0.1", port=free_port())
    with pytest.raises(ConnectionError, match="cannot reach"):
        client.post("/x", timeout=2)
    assert not client.is_ready(timeout=0.5)
    client.close()


def test_is_ready(address):
    addr, _ = address
    assert Client(address=addr).is_ready()


def test_async_client(address):
    addr, _ = address

    async def main():
        async with AsyncClient(address=addr) as client:
            first = await client.post("/count", docs(3), request_size=2)
            responses = await client.post("/status", parameters={"x": 1}, return_responses=True)
            return first, responses

    first, responses = asyncio.run(main())
    assert texts(first) == ["0:2:", "1:2:", "2:1:"]
    assert responses[0].parameters["__results__"]["cnt/rep-0"] == {"got": {"x": 1}}

    client = AsyncClient(address=addr)  # one client used from two event loops in turn
    for _ in range(2):
        assert texts(asyncio.run(client.post("/count", docs(1)))) == ["0:1:"]


def test_generic_return_type_by_default(address):
    addr, _ = address
    client = Client(address=addr)
    result = client.post("/generic", DocList[GenericDoc]([GenericDoc(text="abc")]))
    assert result[0].tags == {"len": 3}
    as_text = client.post("/generic", [GenericDoc(text="ab")], return_type=DocList[TextDoc])
    assert as_text.doc_type is TextDoc and as_text.text == ["ab"]
    client.close()


def flowc_post(target: str, on: str, *, data: str | None = None, parameters: str | None = None,
               request_size: int = 100) -> int:
    """`flowc post` in-process (its output goes to pytest's captured stdout and stderr)."""
    argv = ["post", target, "--on", on, "--request-size", str(request_size), "--wait", "1"]
    argv += ["--data", data] if data is not None else []
    argv += ["--parameters", parameters] if parameters is not None else []
    return flowc_main(argv)


def test_post_cli_prints_json_lines(address, capsys):
    addr, _ = address
    code = flowc_post(addr, "/generic", data='[{"text": "hey"}, "plain"]', request_size=1)
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(out) == 2
    first = json.loads(out[0])
    assert first["text"] == "hey" and first["tags"] == {"len": 3} and "id" in first


def test_post_cli_results_and_errors(address, capsys, tmp_path):
    addr, _ = address
    assert flowc_post(addr, "/status", parameters='{"k": 2}') == 0
    out = capsys.readouterr().out
    assert json.loads(out.strip()) == {"__results__": {"cnt/rep-0": {"got": {"k": 2}}}}
    lines = tmp_path / "docs.jsonl"
    lines.write_text('{"text": "1"}\n{"text": "2"}\n')
    assert flowc_post(addr, "/fail-odd", data=f"@{lines}", request_size=1) == 1
    captured = capsys.readouterr()
    assert "cnt/rep-0: ValueError" in captured.err
    assert json.loads(captured.out.strip())["text"] == "2"


def test_post_cli_bad_input(capsys):
    assert flowc_post("127.0.0.1:1", "/x", data="{nope", request_size=1) == 1
    assert "--data is not JSON" in capsys.readouterr().err
    assert flowc_post("127.0.0.1:1", "/x", parameters="[1]", request_size=1) == 1
    assert "--parameters must be a JSON object" in capsys.readouterr().err


def test_post_cli_flow_file_reads_the_gateway_port(tmp_path, capsys):
    flow = tmp_path / "flow.yml"
    flow.write_text("jtype: Flow\nwith:\n  port: 1\nexecutors:\n  - name: a\n    uses: Foo\n")
    code = flowc_post(str(flow), "/x", request_size=1)
    err = capsys.readouterr().err
    assert code == 1
    assert "127.0.0.1:1" in err  # it tried the Flow's gateway port


def test_post_cli_a_flow_file_with_errors_or_without_a_port(tmp_path, capsys):
    broken = tmp_path / "broken.yml"
    broken.write_text("jtype: Flow\nexecutors:\n  - name: a\n    replica: 2\n")
    assert flowc_post(str(broken), "/x") == 1
    err = capsys.readouterr().err
    assert "FC201" in err and "cannot compile the Flow" in err
    portless = tmp_path / "flow.yml"
    portless.write_text("jtype: Flow\nexecutors:\n  - name: a\n    uses: Foo\n")
    assert flowc_post(str(portless), "/x") == 1
    err = capsys.readouterr().err
    assert "is not running here" in err and "sets no gRPC port" in err


def test_jina_options(address, capsys):
    addr, _ = address
    client = Client(address=addr, prefetch=10, grpc_channel_options={"grpc.enable_retries": 0})
    always = []
    result = client.post("/fail-odd", docs(3), request_size=1, continue_on_error=True,
                         on_always=always.append, results_in_order=True)
    assert texts(result) == ["0", "2"] and len(always) == 3
    assert "cnt/rep-0: ValueError" in capsys.readouterr().err
    with pytest.raises(TypeError, match="request_sise"):
        client.post("/count", docs(1), request_sise=1)
    with pytest.raises(TypeError, match="hots"):
        Client(hots="x", port=1)
    client.close()
