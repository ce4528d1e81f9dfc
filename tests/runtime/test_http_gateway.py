"""The HTTP gateway (issue 12 §1): Jina 3.34's HTTP surface on a real executor.

Most tests drive the app `build_app` makes with a real executor behind it (`ExecutorHost`, the
worker's own dispatch, in process: no network, milliseconds each), over httpx's ASGI transport.
`test_a_running_flow_speaks_http` starts a real Flow (`protocol: [grpc, http]`) and talks to it
over TCP, gRPC and HTTP on their own ports.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowc.compiler.api import Flow
from flowc.runtime import Client, http_gateway
from flowc.runtime.channels import HopFailure
from flowc.runtime.host import ExecutorHost
from flowc.runtime.http_gateway import build_app
from flowc.runtime.proto import flowc_pb2
from flowc.runtime.web import WebContext
from flowc.runtime.web_docs import endpoint_models
from tests.ports import free_port
from tests.runtime.http_probe import Query, Shout


def context(dispatch: Any = None, **options: Any) -> WebContext:
    host = ExecutorHost(Shout(), runtime_name="shout/rep-0")
    return WebContext(name="gateway", protocol="http", dispatch=dispatch or host.process,
                      endpoints=endpoint_models(host.endpoints()), options=options)


def call(ctx: WebContext, method: str, path: str, **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app(ctx))
        async with httpx.AsyncClient(transport=transport, base_url="http://flow") as client:
            return await client.request(method, path, **kw)
    return asyncio.run(go())


def test_post_answers_in_jinas_shape_with_the_executors_types():
    reply = call(context(), "POST", "/shout", json={
        "data": [{"id": "q1", "text": "ab"}], "parameters": {"factor": 2},
        "header": {"requestId": "r-1"}})
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"data", "parameters", "header"}
    assert body["header"] == {"requestId": "r-1", "targetExecutor": ""}
    assert body["parameters"] == {"factor": 2}
    assert body["data"] == [{"id": "q1", "text": "ABAB", "length": 2,
                             "parts": [{"id": "q1-0", "text": "a"}]}]


def test_one_document_without_a_list_names_the_request():
    body = call(context(), "POST", "/default", json={"data": {"id": "d7", "text": "x"}}).json()
    assert body["header"]["requestId"] == "d7"
    assert body["data"] == [{"id": "d7", "text": "x"}]


def test_documents_without_ids_get_one_and_results_land_in_parameters():
    body = call(context(), "POST", "/stats", json={"data": [{"text": "a"}, {"text": "b"}]}).json()
    assert all(len(doc["id"]) == 32 for doc in body["data"])
    assert body["parameters"] == {"__results__": {"shout/rep-0": {"count": 2}}}
    assert len(body["header"]["requestId"]) == 32


def test_an_executor_error_is_jinas_detail_plus_the_executor():
    reply = call(context(), "POST", "/fail", json={"data": [{"text": "a"}]})
    assert reply.status_code == 500
    assert reply.json() == {"detail": "ValueError('boom')", "executor": "shout/rep-0"}


@pytest.mark.parametrize("body, where", [
    ({"parameters": {}}, ["body", "data"]),
    ({"data": [{"text": {"not": "a string"}}]}, ["body", "data"]),
    ({"data": [3]}, ["body", "data"]),
    ({"data": [], "parameters": [1]}, ["body", "parameters"]),
    ({"data": [], "header": "x"}, ["body", "header"]),
])
def test_a_body_that_does_not_fit_is_422_saying_where(body, where):
    reply = call(context(), "POST", "/shout", json=body)
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == where


def test_a_body_that_is_not_json_is_422():
    reply = call(context(), "POST", "/shout", content=b"{nope")
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("kind, status", [("unavailable", 503), ("timeout", 504)])
def test_network_failures_are_503_and_504_in_jinas_shape(kind, status):
    async def failing(request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        raise HopFailure("enc", kind, f"enc: {kind}")

    reply = call(context(failing), "POST", "/shout", json={"data": [{"text": "a"}]})
    assert reply.status_code == status
    body = reply.json()
    assert body["data"] == [{"text": "a"}]  # the request, echoed (as Jina does)
    assert body["header"]["status"]["code"] == 1
    assert body["header"]["status"]["exception"]["executor"] == "enc"


def test_target_executor_reaches_the_graph():
    seen = []

    async def spy(request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        seen.append((request.header.endpoint, request.header.target_executor))
        return request

    body = call(context(spy), "POST", "/shout", json={
        "data": [], "header": {"targetExecutor": "enc.*"}}).json()
    assert seen == [("/shout", "enc.*")]
    assert body["header"]["targetExecutor"] == "enc.*"


def test_status_and_dry_run_and_their_switch():
    ctx = context()
    assert call(ctx, "GET", "/dry_run").json() == {"code": 0, "description": "",
                                                    "exception": None}
    assert set(call(ctx, "GET", "/status").json()) == {"jina", "envs"}

    async def missing() -> list[str]:
        return ["enc"]

    ctx.not_ready = missing
    assert call(ctx, "GET", "/dry_run").json()["code"] == 1
    hidden = context(no_debug_endpoints=True)
    assert call(hidden, "GET", "/status").status_code == 404
    assert call(hidden, "GET", "/dry_run").status_code == 404


def test_openapi_describes_the_executors_real_schemas():
    doc = call(context(title="Shouter", description="loud"), "GET", "/openapi.json").json()
    assert doc["info"]["title"] == "Shouter" and doc["info"]["description"] == "loud"
    assert {"/shout", "/fail", "/default", "/stats", "/status", "/dry_run"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    body = doc["paths"]["/shout"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/shout_input_model"}
    data = schemas["shout_input_model"]["properties"]["data"]["anyOf"]
    assert data[1] == {"$ref": "#/components/schemas/Query"}
    assert schemas["Query"]["properties"]["text"]["type"] == "string"
    params = schemas["shout_input_model"]["properties"]["parameters"]["anyOf"][0]
    assert params == {"$ref": "#/components/schemas/Knobs"}
    assert schemas["Knobs"]["properties"]["factor"]["type"] == "integer"
    out = schemas["shout_output_model"]["properties"]["data"]["anyOf"][1]["$ref"]
    answer = schemas[out.rsplit("/", 1)[1]]
    assert set(answer["properties"]) >= {"text", "length", "parts"}
    assert "#/$defs/" not in json.dumps(doc)  # every nested reference resolves


def test_options_cors_crud_and_expose_endpoints():
    ctx = context(cors=True, no_crud_endpoints=True,
                  expose_endpoints={"/shout": {"summary": "Make it loud", "tags": ["Loud"]}})
    reply = call(ctx, "OPTIONS", "/shout", headers={
        "Origin": "http://elsewhere", "Access-Control-Request-Method": "POST"})
    assert reply.headers["access-control-allow-origin"] in ("*", "http://elsewhere")
    doc = call(ctx, "GET", "/openapi.json").json()
    assert doc["paths"]["/shout"]["post"]["summary"] == "Make it loud"
    assert doc["paths"]["/shout"]["post"]["tags"] == ["Loud"]


def test_docs_pages_need_no_cdn():
    ctx = context()
    for page in ("/docs", "/redoc"):
        html = call(ctx, "GET", page).text
        assert "cdn" not in html.lower() and "/static-offline-docs/" in html
    bundle = call(ctx, "GET", "/static-offline-docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_a_running_flow_speaks_http():
    grpc_port, http_port = free_port(), free_port()
    flow = Flow(protocol=["grpc", "http"], port=[grpc_port, http_port]).add(name="enc",
                                                                             uses=Shout)
    with flow:
        reply = httpx.post(f"http://127.0.0.1:{http_port}/shout",
                           json={"data": [{"id": "a", "text": "hi"}]}, timeout=10)
        assert reply.status_code == 200, reply.text
        assert reply.json()["data"][0]["text"] == "HI"
        assert httpx.get(f"http://127.0.0.1:{http_port}/dry_run").json()["code"] == 0
        failed = httpx.post(f"http://127.0.0.1:{http_port}/fail", json={"data": [{"text": "a"}]})
        assert failed.json() == {"detail": "ValueError('boom')", "executor": "enc/rep-0"}
        docs = Client(host="127.0.0.1", port=grpc_port).post(
            "/shout", [Query(text="yo")], return_type=None)
        assert docs[0].text == "YO"  # the gRPC port still answers beside it


def test_a_worker_served_alone_speaks_http(tmp_path):
    """`flowc-runtime worker --http-port`: an executor's own HTTP face, without a gateway."""
    here = Path(__file__).resolve().parent
    flow = Flow().add(name="enc", uses=Shout)
    (tmp_path / "plan.json").write_text(flow.plan(base_dir=here).to_json(), encoding="utf-8")
    grpc_port, http_port = free_port(), free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "flowc-runtime"), "worker", "--plan",
         str(tmp_path / "plan.json"), "--deployment", "enc", "--host", "127.0.0.1",
         "--port", str(grpc_port), "--http-port", str(http_port), "--base-dir", str(here)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            try:
                reply = httpx.post(f"http://127.0.0.1:{http_port}/shout",
                                   json={"data": [{"text": "ok"}]}, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert reply.status_code == 200 and reply.json()["data"][0]["text"] == "OK"
        assert reply.json()["parameters"] == {}
    finally:
        proc.terminate()
        assert proc.wait(30) == 0


def test_an_endpoint_named_only_in_expose_endpoints_reaches_the_executors_under_its_name():
    seen = []

    async def spy(request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        seen.append(request.header.endpoint)
        return request

    ctx = context(spy, expose_endpoints=json.dumps({"/extra": {"summary": "more"},
                                                     "/shout": {"http_path": "/loud"}}))
    assert call(ctx, "POST", "/extra", json={"data": []}).status_code == 200
    assert call(ctx, "POST", "/loud", json={"data": []}).status_code == 200
    assert seen == ["/extra", "/shout"]
    paths = call(ctx, "GET", "/openapi.json").json()["paths"]
    assert "/shout" not in paths
    assert paths["/loud"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/loud_input_model"}


def test_a_body_over_the_message_limit_is_413(monkeypatch):
    monkeypatch.setattr(http_gateway, "MAX_MESSAGE_BYTES", 100)
    reply = call(context(), "POST", "/shout", json={"data": [{"text": "x" * 200}]})
    assert reply.status_code == 413


def test_generic_documents_keep_tags_tensors_nested_documents_and_blobs():
    doc = {"id": "g", "text": "t", "tags": {"a": 1, "b": [1, "x"], "c": {"d": None}},
           "embedding": [0.5, 1.5], "blob": "raw", "chunks": [{"id": "c1", "text": "in"}]}
    body = call(context(), "POST", "/default", json={"data": [doc]}).json()
    assert body["data"] == [doc]
