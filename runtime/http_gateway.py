"""The HTTP face of a gateway or a worker: Jina 3.34's HTTP surface (docarray v2) on FastAPI.

`build_app(ctx)` (registered in `web.APPS`) makes one `POST /{endpoint}` per endpoint the
executors publish, taking `{"data": [docs] | doc, "parameters": {...}, "header": {"requestId",
"targetExecutor"}}` and answering `{"data": [...], "parameters": {...}, "header": {...}}`;
`GET /status` and `GET /dry_run` (unless `no_debug_endpoints`), `/docs`, `/redoc` (assets served
from the fastapi-offline package: no CDN) and `/openapi.json`, whose request and response
schemas are the executors' own document and parameters schemas. Options are the gateway's (or
the entry's) keys: `title`, `description`, `cors`, `expose_endpoints`, `no_debug_endpoints`,
`no_crud_endpoints`.

Bodies are read with orjson and validated by the endpoint's document class (rebuilt from its
schema, `web_docs`), not by FastAPI's body models: the OpenAPI document is written from the
published schemas instead, and a request costs one validation instead of two.

Errors: an executor's → 500 `{"detail": "ValueError('boom')", "executor": "enc/rep-0"}` (Jina's
shape plus the executor, as flowc's gRPC errors carry it); a node unreachable → 503, past its
deadline → 504, with Jina's body (the request echoed, `header.status` saying why); a body that
does not fit → 422 in FastAPI's shape.
"""

from __future__ import annotations

import json
import platform
import uuid
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline
from google.protobuf.json_format import MessageToDict

from .channels import HopFailure
from .http_openapi import add_openapi
from .proto import flowc_pb2
from .web import HTTP_EXTENSIONS, WebContext, load
from .web_docs import EndpointModels, docs_from_json, docs_to_json
from .wire import MAX_MESSAGE_BYTES

__all__ = ["CRUD", "build_app"]

CRUD = {"/index": "POST", "/search": "POST", "/delete": "DELETE", "/update": "PUT"}
_JSON = "application/json"


def _json(value: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type=_JSON)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")


def _exposed(value: Any) -> dict[str, dict]:
    """`expose_endpoints`: a mapping (or Jina's JSON text of one) {endpoint: route options}."""
    if isinstance(value, str) and value.strip():
        value = json.loads(value)
    return {str(k): dict(v or {}) for k, v in (value or {}).items()} \
        if isinstance(value, dict) else {}


def build_app(ctx: WebContext) -> FastAPI:
    """The FastAPI app for `ctx` (see the module docstring)."""
    opts = ctx.options
    app = FastAPIOffline(
        title=str(opts.get("title") or "My flowc Flow"),
        description=str(opts.get("description") or "A flowc Flow. Set `title` and `description` "
                        "on the Flow's gateway to change this text."),
        version=_version())
    if _flag(opts.get("cors")):
        app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True,
                           allow_methods=["*"], allow_headers=["*"])
    if not _flag(opts.get("no_debug_endpoints")):
        _debug_routes(app, ctx)
    exposed = _exposed(opts.get("expose_endpoints"))
    hide_crud = _flag(opts.get("no_crud_endpoints"))
    routes: list[tuple[str, EndpointModels, dict]] = []
    for model in ctx.endpoints:
        if model.streaming or model.endpoint.startswith("_jina"):
            continue  # streaming endpoints: the streaming module's routes (HTTP_EXTENSIONS)
        if hide_crud and model.endpoint in CRUD and model.endpoint not in exposed:
            continue
        routes.append((model.endpoint, model, exposed.get(model.endpoint, {})))
    for name, extra in exposed.items():  # endpoints named only in expose_endpoints
        if not any(name == r[0] for r in routes):
            generic = next((m for m in ctx.endpoints if m.endpoint == "/default"), None)
            if generic is not None:
                routes.append((name, generic, extra))
    for endpoint, model, extra in routes:
        _post_route(app, ctx, endpoint, model, extra)
    for target in HTTP_EXTENSIONS:
        load(target)(app, ctx)
    add_openapi(app, [(_path(endpoint, extra), model) for endpoint, model, extra in routes])
    return app


def _post_route(app: FastAPI, ctx: WebContext, endpoint: str, model: EndpointModels,
                extra: dict) -> None:
    path = _path(endpoint, extra)
    exec_endpoint = endpoint  # the executors' endpoint, whatever the HTTP path
    methods = [str(m).upper() for m in extra.get("methods") or [CRUD.get(endpoint, "POST")]]
    doc_class = model.input_doc

    async def post(request: Request) -> Response:
        size = request.headers.get("content-length")
        if size is not None and size.isdigit() and int(size) > MAX_MESSAGE_BYTES:
            return _json({"detail": f"the body is {int(size)} bytes; the limit is "
                                    f"{MAX_MESSAGE_BYTES} (as for gRPC messages)"}, 413)
        body = await request.body()
        if len(body) > MAX_MESSAGE_BYTES:  # sent without a Content-Length (chunked)
            return _json({"detail": f"the body is over {MAX_MESSAGE_BYTES} bytes"}, 413)
        try:
            payload = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError as exc:
            return _invalid(["body"], f"JSON decode error: {exc}", "json_invalid")
        if not isinstance(payload, dict):
            return _invalid(["body"], "Input should be a valid dictionary", "dict_type")
        return await handle(ctx, exec_endpoint, payload, doc_class, request.headers)

    app.add_api_route(
        path, post, methods=methods, name=path,
        summary=str(extra.get("summary") or f"Endpoint {endpoint}"),
        description=extra.get("description"), tags=list(extra.get("tags") or
                                                       (["CRUD"] if endpoint in CRUD else [])))


def _path(endpoint: str, extra: dict) -> str:
    """The HTTP path of an endpoint's route: its own, or `expose_endpoints`' `http_path`."""
    return "/" + str(extra.get("http_path") or endpoint).strip("/")


async def handle(ctx: WebContext, endpoint: str, payload: dict, doc_class: type,
                 headers: Any = None) -> Response:
    """One POST body through the graph: Jina's answer shape, or its error shapes. A W3C
    `traceparent` among `headers` is the parent of the request's trace (tracing on)."""
    if "data" not in payload:
        return _invalid(["body", "data"], "Field required", "missing")
    data = payload["data"]
    header = payload.get("header") or {}
    if not isinstance(header, dict):
        return _invalid(["body", "header"], "Input should be a valid dictionary", "dict_type")
    request_id = header.get("requestId") or header.get("request_id")
    target = header.get("targetExecutor") or header.get("target_executor") or ""
    items = data if isinstance(data, list) else [data]
    if not isinstance(data, list) and not header and isinstance(data, dict) and data.get("id"):
        request_id = str(data["id"])  # Jina: one document without a header names the request
    parameters = payload.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        return _invalid(["body", "parameters"], "Input should be a valid dictionary",
                        "dict_type")
    request = flowc_pb2.DataRequest()
    request.header.endpoint = endpoint
    request.header.request_id = str(request_id) if request_id else uuid.uuid4().hex
    if target:
        request.header.target_executor = str(target)
    try:
        request.docs = docs_from_json(items, doc_class)
        if parameters:
            request.parameters.update(parameters)
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        return _invalid(["body", "data"], _problem(exc), "value_error")
    observer = getattr(ctx.runner, "observer", None)
    if observer is not None and headers is not None:
        observer.adopt(request, headers.items())
    try:
        answer = await ctx.dispatch(request)
    except HopFailure as failure:
        return _network_error(payload, request, failure)
    status = answer.header.status
    if status.code == flowc_pb2.Status.ERROR:
        return _json({"detail": _detail(status), "executor": status.exception.executor}, 500)
    out_params = MessageToDict(answer.parameters) if answer.HasField("parameters") else {}
    return _json({"data": docs_to_json(answer.docs), "parameters": out_params,
                  "header": {"requestId": answer.header.request_id,
                             "targetExecutor": answer.header.target_executor}})


def _detail(status: Any) -> str:
    """Jina's `detail`: the exception as Python shows it (`ValueError('boom')`)."""
    exc = status.exception
    if not exc.name:
        return status.description
    return f"{exc.name}({', '.join(repr(a) for a in exc.args)})"


def _network_error(payload: dict, request: Any, failure: HopFailure) -> Response:
    """Jina's answer when a node cannot be reached (503) or is too slow (504): the request
    echoed, its header carrying the error status."""
    code = 504 if failure.kind == "timeout" else 503
    status = failure.status()
    body = dict(payload)
    body["header"] = {"requestId": request.header.request_id, "status": {
        "code": 1, "description": status.description,
        "exception": {"name": status.exception.name, "args": list(status.exception.args),
                      "stacks": [], "executor": status.exception.executor}}}
    return _json(body, code)


def _invalid(loc: list[str], message: str, kind: str) -> Response:
    return _json({"detail": [{"type": kind, "loc": loc, "msg": message}]}, 422)


def _problem(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in errors())
        except Exception:  # not pydantic's shape: its text below
            pass
    return str(exc)


def _debug_routes(app: FastAPI, ctx: WebContext) -> None:
    async def status() -> Response:
        return _json({"jina": {"flowc": _version(), "protocol": "jina 3.34 http (docarray v2)",
                               "python": platform.python_version(),
                               "platform": platform.system()},
                      "envs": {}})

    async def dry_run() -> Response:
        """SUCCESS when every node reports SERVING (flowc asks their health: no executor's
        default endpoint runs on a probe, unlike Jina's empty request)."""
        missing = await ctx.not_ready() if ctx.not_ready is not None else []
        if not missing:
            return _json({"code": 0, "description": "", "exception": None})
        detail = f"not SERVING: {', '.join(missing)}"
        return _json({"code": 1, "description": detail, "exception": {
            "name": "ConnectionError", "args": [detail], "stacks": [], "executor": ctx.name}})

    app.add_api_route("/status", status, methods=["GET"], tags=["Debug"],
                      summary="Get the status of the flowc service")
    app.add_api_route("/dry_run", dry_run, methods=["GET"], tags=["Debug"],
                      summary="Get the readiness of the Flow: SUCCESS once every node is SERVING")


def _version() -> str:
    try:
        return version("flowc")
    except PackageNotFoundError:  # not installed as a distribution (a source checkout)
        return "0"
