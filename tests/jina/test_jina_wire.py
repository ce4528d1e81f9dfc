"""Differential tests: flowc and real Jina 3.34 talking to each other over Jina's gRPC protocol.

Three directions (issue 12 §3), each with documents whose typed fields must survive the trip,
parameters, and an executor error that must come back with its message:

1. Jina's own `Client` against a flowc Flow's gateway (`JinaRPC.Call`, and `stream=False`:
   `process_single_data`), plus `dry_run` and `_status`;
2. a flowc Flow whose `external: true` entry is a Jina Executor served by Jina's `Deployment`;
3. a Jina Flow whose gateway calls a flowc worker added with `.add(..., external=True)`.

Jina runs in subprocesses of the reference environment (tests/jina_ref.py) with telemetry off and
its public-IP lookup (a Flow's start) replaced, so it calls nothing outside; `make test` runs this
folder inside a loopback-only network namespace as well (tests/jina/netns_run.sh).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Optional

import grpc
import pytest
from docarray import BaseDoc, DocList
from docarray.typing import NdArray
from google.protobuf import empty_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from flowc.compiler.api import Flow
from flowc.runtime import Client, FlowcRequestError
from flowc.runtime.reduce import doc_pb as docarray_proto
from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc, jina_pb2, jina_pb2_grpc
from tests.jina_ref import jina_env, jina_python, requires_jina
from tests.ports import free_port

pytestmark = requires_jina

BIN = Path(sys.executable).parent
DOCS = [{"id": "a", "text": "hello", "score": 0.5, "tags": {"n": 1}, "embedding": [1.0, 2.0]},
        {"id": "b", "text": "world", "score": 1.5, "tags": {"n": 2}, "embedding": [3.0, 4.0]}]

# The same document type on both sides: docarray's protobuf carries each field by name.
DOC_TYPE = """
from typing import Optional
from docarray.typing import NdArray

class WireDoc(BaseDoc):
    text: str = ''
    score: float = 0.0
    tags: dict = {}
    embedding: Optional[NdArray] = None


def as_json(doc):
    return {**doc.dict(), 'embedding': None if doc.embedding is None else doc.embedding.tolist()}
"""

EXECUTOR = """
class Shout{side}(Executor):
    @requests(on='/search')
    def search(self, docs: DocList[WireDoc], parameters: dict, **kwargs) -> DocList[WireDoc]:
        for doc in docs:
            doc.text = doc.text.upper() + parameters.get('suffix', '')
            doc.score = doc.score + 1
            doc.tags['by'] = '{side}'
            doc.embedding = doc.embedding * 2
        return docs

    @requests(on='/count')
    def count(self, docs: DocList[WireDoc], **kwargs):
        return {{'seen': len(docs)}}

    @requests(on='/fail')
    def fail(self, docs: DocList[WireDoc], **kwargs) -> DocList[WireDoc]:
        raise ValueError('{side} refuses /fail')
"""

FLOWC_EXECUTOR = ("from flowc.runtime import BaseDoc, DocList, Executor, requests\n" + DOC_TYPE
                  + EXECUTOR.format(side="Flowc"))
JINA_EXECUTOR = ("from docarray import BaseDoc, DocList\nfrom jina import Executor, requests\n"
                 + DOC_TYPE + EXECUTOR.format(side="Jina"))

# Jina's side: a client posting DOCS, printing one JSON line per call (docs, results, or error).
JINA_PRELUDE = """
import json, sys
import jina.orchestrate.orchestrator as _orchestrator
_orchestrator.get_public_ip = lambda *a, **k: None  # no call to the internet on a Flow's start
from docarray import BaseDoc, DocList
from jina import Client, Deployment, Flow
""" + DOC_TYPE + """
def post(client, on, stream=True, **kw):
    docs = DocList[WireDoc]([WireDoc(**d) for d in json.loads(sys.argv[1])])
    try:
        responses = client.post(on, inputs=docs, parameters={'suffix': '!'}, stream=stream,
                                return_responses=True, **kw)
    except Exception as exc:
        print(json.dumps({'on': on, 'error': f'{type(exc).__name__}: {exc}'}), flush=True)
        return
    out, params = [], {}
    for response in responses:
        response.document_array_cls = DocList[WireDoc]
        out += [as_json(d) for d in response.docs]
        params.update(response.parameters)
    print(json.dumps({'on': on, 'docs': out, 'parameters': params}), flush=True)


def post_plainly(client, on):
    # as a user writes it: `Client(port=...).post(on, docs)`, nothing else
    docs = DocList[WireDoc]([WireDoc(**d) for d in json.loads(sys.argv[1])])
    answer = client.post(on, docs)
    print(json.dumps({'on': on, 'texts': [d.text for d in answer]}), flush=True)
"""


class WireDoc(BaseDoc):  # DOC_TYPE, on flowc's side of the tests
    text: str = ''
    score: float = 0.0
    tags: dict = {}
    embedding: Optional[NdArray] = None


def as_json(doc: WireDoc) -> dict:
    return {**doc.dict(), "embedding": None if doc.embedding is None else doc.embedding.tolist()}


def _wire_docs() -> DocList[WireDoc]:
    return DocList[WireDoc]([WireDoc(**d) for d in DOCS])


def _jina(script: str, *args: str, timeout: float = 90) -> list[dict]:
    done = subprocess.run([jina_python(), "-c", JINA_PRELUDE + textwrap.dedent(script),
                           json.dumps(DOCS), *args], capture_output=True, text=True,
                          timeout=timeout, env=jina_env())
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return lines


def _by_id(docs: list[dict]) -> dict[str, dict]:
    return {d["id"]: d for d in docs}


def _check_shouted(docs: list[dict], side: str) -> None:
    got = _by_id(docs)
    assert set(got) == {"a", "b"}
    assert got["a"]["text"] == "HELLO!" and got["b"]["text"] == "WORLD!"
    assert got["a"]["score"] == 1.5 and got["b"]["score"] == 2.5
    assert got["a"]["tags"] == {"n": 1, "by": side} and got["b"]["tags"] == {"n": 2, "by": side}
    assert got["a"]["embedding"] == [2.0, 4.0] and got["b"]["embedding"] == [6.0, 8.0]


def _flowc_flow(tmp_path: Path, gateway_port: int, **entry) -> Flow:
    (tmp_path / "shout.py").write_text(FLOWC_EXECUTOR)
    flow = Flow(port=gateway_port)
    if entry:
        flow.add(**entry)
    else:
        flow.add(name="shout", uses="ShoutFlowc", py_modules=["shout.py"])
    return flow


def _wait_serving(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = proc.stderr.read()[-3000:] if proc.stderr else ""
                raise AssertionError(f"the server exited during start-up:\n{tail}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise AssertionError(f"nothing SERVING on port {port} after {timeout} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# --- 0. the bytes ---------------------------------------------------------------------------------

def test_jina_proto_bytes_are_jinas():
    """A request Jina's own classes serialise parses with runtime/jina.proto and serialises back to
    the same bytes; one flowc serialises, Jina's classes read with every field in place."""
    flowc_side = jina_pb2.DataRequestProto()
    flowc_side.header.request_id = "from-flowc"
    flowc_side.header.exec_endpoint = "/search"
    flowc_side.header.timeout = 1234
    flowc_side.parameters.update({"k": [1, "x"]})
    flowc_side.data.docs = _wire_docs().to_protobuf().SerializeToString()
    flowc_side.routes.add(executor="gateway").status.exception.name = "E"
    ours_b64 = base64.b64encode(flowc_side.SerializeToString()).decode()
    [line] = _jina(f"""
        import base64
        from jina.proto import jina_pb2
        from jina.types.request.data import DataRequest
        request = DataRequest()
        request.header.request_id = 'from-jina'
        request.header.exec_endpoint = '/index'
        request.header.target_executor = 'enc.*'
        request.header.timeout = 99
        request.parameters = {{'p': {{'q': True}}}}
        request.document_array_cls = DocList[WireDoc]
        request.data.docs = DocList[WireDoc]([WireDoc(**d) for d in json.loads(sys.argv[1])])
        request.routes.add(executor='x').status.code = 1
        theirs = request.proto.SerializeToString(deterministic=True)
        from google.protobuf.json_format import MessageToDict
        ours = jina_pb2.DataRequestProto.FromString(base64.b64decode({ours_b64!r}))
        got = DocList[WireDoc].from_protobuf(ours.data.docs)
        print(json.dumps({{'bytes': base64.b64encode(theirs).decode(),
                          'ours': [ours.header.request_id, ours.header.exec_endpoint,
                                   ours.header.timeout, MessageToDict(ours.parameters),
                                   ours.routes[0].status.exception.name],
                          'docs': [as_json(d) for d in got]}}))
    """)
    theirs = base64.b64decode(line["bytes"])
    parsed = jina_pb2.DataRequestProto.FromString(theirs)
    assert parsed.SerializeToString(deterministic=True) == theirs
    assert parsed.header.exec_endpoint == "/index" and parsed.header.target_executor == "enc.*"
    assert parsed.header.timeout == 99 and parsed.routes[0].status.code == 1
    assert [d.text for d in DocList[WireDoc].from_protobuf(
        docarray_proto().DocListProto.FromString(parsed.data.docs))] == ["hello", "world"]
    assert line["ours"] == ["from-flowc", "/search", 1234, {"k": [1, "x"]}, "E"]
    assert [d["embedding"] for d in line["docs"]] == [[1.0, 2.0], [3.0, 4.0]]


# --- 1. Jina's Client → flowc gateway ---------------------------------------------------------

def test_jina_client_against_flowc_gateway(tmp_path):
    port = free_port()
    with _flowc_flow(tmp_path, port).start(base_dir=tmp_path):
        lines = _jina(f"""
            client = Client(host='127.0.0.1', port={port})
            post(client, '/search')
            post(client, '/search', stream=False)
            post(client, '/count')
            post(client, '/fail')
            post(client, '/search', stream=False, target_executor='nobody')
            post_plainly(Client(port={port}), '/search')
        """)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            status = jina_pb2_grpc.JinaGatewayDryRunRPCStub(channel).dry_run(
                empty_pb2.Empty(), timeout=10)
            info = jina_pb2_grpc.JinaInfoRPCStub(channel)._status(empty_pb2.Empty(), timeout=10)
            endpoints = jina_pb2_grpc.JinaDiscoverEndpointsRPCStub(channel).endpoint_discovery(
                empty_pb2.Empty(), timeout=10)
    streamed, unary, count, fail, untargeted, plain = lines
    _check_shouted(streamed["docs"], "Flowc")
    _check_shouted(unary["docs"], "Flowc")
    assert count["parameters"]["__results__"] == {"shout/rep-0": {"seen": 2.0}}
    assert count["parameters"]["suffix"] == "!"
    assert "error" in fail and "Flowc refuses /fail" in fail["error"]
    assert "ValueError" in fail["error"]
    assert [d["text"] for d in untargeted["docs"]] == ["hello", "world"]  # no entry matched
    assert plain["texts"] == ["HELLO", "WORLD"]
    assert status.code == jina_pb2.StatusProto.SUCCESS
    assert info.jina["protocol"].startswith("jina 3.34")
    assert {"/search", "/count", "/fail"} <= set(endpoints.endpoints)


# --- 2. flowc Flow → Jina Executor (external: true) ---------------------------------------------

def test_flowc_flow_calls_jina_executor(tmp_path):
    (tmp_path / "jina_shout.py").write_text(JINA_EXECUTOR)
    jina_port, port = free_port(), free_port()
    server = subprocess.Popen(
        [jina_python(), "-c", JINA_PRELUDE + textwrap.dedent(f"""
            sys.path.insert(0, {str(tmp_path)!r})
            from jina_shout import ShoutJina
            # the Executor itself on the port, no Jina gateway in front of it
            with Deployment(uses=ShoutJina, port={jina_port}, host='127.0.0.1',
                            include_gateway=False) as dep:
                dep.block()
        """), "[]"], env=jina_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True)
    try:
        _wait_serving(jina_port, server)
        flow = _flowc_flow(tmp_path, port, name="jx", external=True, host="127.0.0.1",
                           port=jina_port)
        with flow.start(base_dir=tmp_path):
            client = Client(port=port)
            answer = client.post("/search", _wire_docs(), parameters={"suffix": "!"},
                                 return_type=DocList[WireDoc])
            counted = client.post("/count", _wire_docs(), return_responses=True)
            with pytest.raises(FlowcRequestError) as failed:
                client.post("/fail", _wire_docs())
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                endpoints = flowc_pb2_grpc.FlowcStub(channel).Endpoints(
                    flowc_pb2.EndpointsRequest(), timeout=10)
    finally:
        _stop(server)
    _check_shouted([as_json(d) for d in answer], "Jina")
    assert "Jina refuses /fail" in str(failed.value)
    assert "ValueError" in str(failed.value)
    results = counted[0].parameters["__results__"]
    assert list(results.values()) == [{"seen": 2.0}]
    found = {e.endpoint: e for e in endpoints.endpoints}
    assert {"/search", "/count", "/fail"} <= set(found)  # Jina's endpoint discovery, converted
    assert "score" in json.loads(found["/search"].input_schema)["properties"]


# --- 3. Jina Flow → flowc worker (.add(external=True)) -----------------------------------------

def test_jina_flow_calls_flowc_worker(tmp_path):
    worker_port, gateway_port = free_port(), free_port()
    plan = _flowc_flow(tmp_path, free_port()).plan(base_dir=tmp_path)
    (tmp_path / "plan.json").write_text(plan.to_json())
    worker = subprocess.Popen(
        [str(BIN / "flowc-runtime"), "worker", "--plan", str(tmp_path / "plan.json"),
         "--deployment", "shout", "--port", str(worker_port), "--host", "127.0.0.1",
         "--grace", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_serving(worker_port, worker)
        lines = _jina(f"""
            flow = Flow(port={gateway_port}).add(name='fx', host='127.0.0.1',
                                                 port={worker_port}, external=True)
            with flow:
                client = Client(host='127.0.0.1', port={gateway_port})
                post(client, '/search')
                post(client, '/count')
                post(client, '/fail')
        """)
    finally:
        _stop(worker)
    search, count, fail = lines
    _check_shouted(search["docs"], "Flowc")
    assert list(count["parameters"]["__results__"].values()) == [{"seen": 2.0}]
    assert "error" in fail and "Flowc refuses /fail" in fail["error"]
