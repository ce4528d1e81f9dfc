"""The WebSocket gateway (`protocol: websocket`) and the HTTP streaming routes, as Jina 3.34 has
them (its `websocket_fastapi_app.py`, `http_fastapi_app_docarrayv2.py` and clients).

WebSocket (`build_app`, served by `web.WebServers` on the websocket port):

- `ws://host:port/` keeps one connection for many requests. The subprotocol decides the
  messages. `bytes` (what Jina's `Client(protocol='websocket')` asks for): each binary message is
  Jina's `DataRequestProto` (runtime/jina.proto), answered by one `DataRequestProto` with the same
  request id, in any order; the single byte `b"\\x00"` (Jina's `bytes(True)`) ends the requests,
  and the server closes the connection once every request it read is answered. `json` (the
  default): each text message is `{"execEndpoint": "/x", "data": [docs], "parameters": {...},
  "targetExecutor": ..., "requestId": ...}` (snake_case keys too), answered by `{"data": [...],
  "parameters": {...}, "header": {"requestId", "execEndpoint", "targetExecutor"[, "status"]}}`;
  `{}` ends. Jina 3.34 refuses JSON with docarray v2; flowc serves it, for browsers. A streaming
  endpoint answers a JSON request with one message per document (`"header": {..., "event":
  "update"}`) then `{"header": {..., "event": "end"}}` (Jina's WebSocket gateway cannot stream).
- A network failure closes the connection with code 1011 and the reason, as Jina does; an
  executor's error is an answer with the ERROR status (the connection stays).
- `GET /` (`{}`), `GET /status`, `GET /dry_run`, and `ws://…/dry_run` (one status message).

HTTP streaming (`add_streaming_routes`, an extension of the HTTP app): a streaming endpoint gets
`GET /{endpoint}` instead of `POST`, taking the document as the JSON body (what Jina's HTTP
client sends) or as query parameters, and answering Server-Sent Events exactly as Jina's gateway
writes them — `event: update` + `data: <document JSON>` per document, then `event: end` — since
Jina's client reads them by byte offset. An executor's error is `event: error` with `{"detail",
"executor"}` (Jina raises inside the stream, which cuts it without a word).
"""

from __future__ import annotations

import asyncio
import json
import platform
import uuid
from typing import Any, AsyncIterator, Callable

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, StreamingResponse
from google.protobuf.message import DecodeError

from .channels import HopFailure
from .host import struct_to_dict
from .jina_wire import request_from_jina, request_to_jina, status_to_jina
from .proto import flowc_pb2, jina_pb2
from .streaming import StreamUnsupported
from .web import WebContext
from .web_docs import docs_from_json, docs_to_json

__all__ = ["add_streaming_routes", "build_app", "stream_of"]

END_OF_REQUESTS = bytes(True)  # b"\x00": what Jina's websocket client sends after its last request
_CLOSE_REASON_MAX = 123  # bytes a WebSocket close reason may hold
IN_FLIGHT = 100  # requests of one connection answered at once
ERROR_LINGER = 1.0  # seconds the close waits for the client's after an ERROR answer (_linger)


def stream_of(ctx: WebContext) -> Callable[[flowc_pb2.DataRequest], AsyncIterator[Any]]:
    """The streaming dispatch of `ctx`: the gateway's StreamRoute or a worker's own host."""
    if ctx.stream is not None:
        return ctx.stream

    async def refused(request: flowc_pb2.DataRequest) -> AsyncIterator[Any]:
        raise StreamUnsupported(f"{ctx.name} does not stream")
        yield  # an async generator

    return refused


def _endpoint_models(ctx: WebContext) -> dict[str, Any]:
    return {m.endpoint: m for m in ctx.endpoints}


def _input_class(ctx: WebContext, endpoint: str) -> type:
    from .docs import generic_doc_type  # loaded already: web_docs imported docarray

    model = _endpoint_models(ctx).get(endpoint) or _endpoint_models(ctx).get("/default")
    return model.input_doc if model is not None else generic_doc_type()


def _status_json(status: flowc_pb2.Status) -> dict[str, Any]:
    exc = status.exception
    return {"code": int(status.code), "description": status.description,
            "exception": {"name": exc.name, "args": list(exc.args), "stacks": list(exc.stacks),
                          "executor": exc.executor}}


def _header_json(request: flowc_pb2.DataRequest) -> dict[str, Any]:
    header = request.header
    out: dict[str, Any] = {"requestId": header.request_id,
                           "execEndpoint": header.endpoint or "/default",
                           "targetExecutor": header.target_executor}
    if header.status.code != flowc_pb2.Status.SUCCESS:
        out["status"] = _status_json(header.status)
    return out


def _answer_json(answer: flowc_pb2.DataRequest) -> dict[str, Any]:
    return {"data": docs_to_json(answer.docs), "parameters": struct_to_dict(answer.parameters),
            "header": _header_json(answer)}


def _request_from_json(ctx: WebContext, message: Any) -> flowc_pb2.DataRequest:
    """A DataRequest from a JSON message; ValueError in the user's words when it is not one."""
    if not isinstance(message, dict):
        raise ValueError("a request is a JSON object: {\"execEndpoint\": \"/x\", \"data\": [...]}")

    def key(camel: str, snake: str) -> Any:
        return message.get(camel, message.get(snake))

    endpoint = key("execEndpoint", "exec_endpoint") or message.get("endpoint") or "/default"
    data = message.get("data") or []
    if isinstance(data, dict):  # Jina 2's {"docs": [...]}, or one document
        data = data.get("docs", [data])
    if not isinstance(data, list):
        raise ValueError("`data` is a list of documents")
    items = [{"text": d} if isinstance(d, str) else d for d in data]
    request = flowc_pb2.DataRequest(docs=docs_from_json(items, _input_class(ctx, endpoint))
                                    if items else b"")
    request.header.endpoint = str(endpoint)
    request.header.request_id = str(key("requestId", "request_id") or uuid.uuid4().hex)
    target = key("targetExecutor", "target_executor")
    if target:
        request.header.target_executor = str(target)
    parameters = message.get("parameters")
    if parameters:
        if not isinstance(parameters, dict):
            raise ValueError("`parameters` is a JSON object")
        request.parameters.update(parameters)
    return request


class _Session:
    """One WebSocket connection: reads requests, answers each as it finishes (any order)."""

    def __init__(self, ctx: WebContext, ws: WebSocket, binary: bool):
        self.ctx, self.ws, self.binary = ctx, ws, binary
        self.stream = stream_of(ctx)
        self.streaming = {m.endpoint for m in ctx.endpoints if m.streaming}
        self.send_lock = asyncio.Lock()
        self.tasks: set[asyncio.Task] = set()
        self.failure: HopFailure | None = None
        # requests answered at once per connection; the next message is read when one ends
        # (as gRPC's 100 concurrent calls per connection, wire.py)
        self.slots = asyncio.Semaphore(IN_FLIGHT)
        self.errors_sent = False  # an ERROR answer went out (see _linger)

    async def run(self) -> None:
        try:
            while self.failure is None:
                await self.slots.acquire()
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    return self._cancel()
                if not self._take(message):
                    break
            if self.tasks:
                await asyncio.wait(set(self.tasks))
            if self.failure is None:
                await self._linger()
                await self.ws.close(code=1000)
        except WebSocketDisconnect:
            self._cancel()
        except RuntimeError:  # starlette: "receive" after the close _fail sent
            self._cancel()

    async def _linger(self) -> None:
        """After an ERROR answer, let the client close first (for at most ERROR_LINGER s).
        Jina's websocket client loses the error it is about to raise when the server's close
        arrives before it has read the answer (its receive task has then ended, so the
        exception it saved is never re-raised); it closes at once after raising."""
        if not self.errors_sent:
            return
        try:
            await asyncio.wait_for(self.ws.receive(), ERROR_LINGER)
        except asyncio.TimeoutError:
            pass

    def _cancel(self) -> None:
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()

    def _take(self, message: dict) -> bool:
        """Start answering one message; False at the end of the requests."""
        data = message.get("bytes")
        text = message.get("text")
        if self.binary:
            payload = data if data is not None else (text or "").encode()
            if payload == END_OF_REQUESTS:
                return False
            self._start(self._binary(payload))
            return True
        try:
            value = json.loads(text if text is not None else (data or b"").decode())
        except ValueError as exc:
            self._start(self._send_json({"header": {"status": {
                "code": 1, "description": f"the message is not JSON: {exc}"}}}))
            return True
        if value == {}:
            return False
        self._start(self._json(value))
        return True

    def _start(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        self.slots.release()

    async def _binary(self, payload: bytes) -> None:
        try:
            request = request_from_jina(jina_pb2.DataRequestProto.FromString(payload))
        except (DecodeError, ValueError) as exc:
            answer = jina_pb2.DataRequestProto()
            answer.header.status.CopyFrom(status_to_jina(_bad_input(
                f"the message is not a Jina DataRequestProto ({exc})")))
            return await self._send(answer.SerializeToString(), error=True)
        try:
            answer = await self.ctx.dispatch(request)
        except HopFailure as failure:
            return await self._fail(failure)
        await self._send(request_to_jina(answer).SerializeToString(),
                         error=answer.header.status.code != flowc_pb2.Status.SUCCESS)

    async def _json(self, value: Any) -> None:
        request_id = value.get("requestId", value.get("request_id", "")) if isinstance(
            value, dict) else ""
        try:
            request = _request_from_json(self.ctx, value)
        except ValueError as exc:
            return await self._send_json({"header": {"requestId": request_id,
                                                     "status": _status_json(_bad_input(exc))}})
        try:
            if request.header.endpoint in self.streaming:
                async for answer in self.stream(request):
                    message = _answer_json(answer)
                    message["header"]["event"] = "update"
                    await self._send_json(message)
                await self._send_json({"header": {**_header_json(request), "event": "end"}})
            else:
                await self._send_json(_answer_json(await self.ctx.dispatch(request)))
        except StreamUnsupported as exc:
            await self._send_json({"header": {**_header_json(request),
                                              "status": _status_json(_bad_input(exc))}})
        except HopFailure as failure:
            await self._fail(failure)

    async def _fail(self, failure: HopFailure) -> None:
        """A network failure ends the connection: code 1011 and the reason, as Jina does."""
        if self.failure is not None:
            return
        self.failure = failure
        self._cancel()
        reason = str(failure).encode()[:_CLOSE_REASON_MAX].decode("utf-8", "ignore")
        async with self.send_lock:
            await self.ws.close(code=1011, reason=reason)

    async def _send(self, data: bytes, error: bool = False) -> None:
        self.errors_sent = self.errors_sent or error
        async with self.send_lock:
            await self.ws.send_bytes(data)

    async def _send_json(self, value: Any) -> None:
        async with self.send_lock:
            await self.ws.send_text(json.dumps(value, default=str))


def _bad_input(exc: Any) -> flowc_pb2.Status:
    text = str(exc)
    return flowc_pb2.Status(code=flowc_pb2.Status.ERROR, description=text,
                            exception=flowc_pb2.ExceptionInfo(name="BadRequest", args=[text]))


def _subprotocols(ws: WebSocket) -> list[str]:
    raw = dict(ws.scope.get("headers") or []).get(b"sec-websocket-protocol", b"")
    return [p.strip() for p in raw.decode("latin-1").split(",") if p.strip()]


async def _accept(ws: WebSocket) -> bool:
    """Accept, echoing the subprotocol the client asked for; True for Jina's `bytes`."""
    asked = _subprotocols(ws)
    binary = "bytes" in asked
    chosen = "bytes" if binary else ("json" if "json" in asked else None)
    await ws.accept(subprotocol=chosen)
    return binary


async def _dry_run(ctx: WebContext) -> flowc_pb2.Status:
    """SUCCESS when every node reports SERVING, else ERROR naming them: flowc asks their health
    (as its gRPC and HTTP dry runs do), so no executor's default endpoint runs on a probe, where
    Jina sends an empty request through the Flow."""
    missing = await ctx.not_ready() if ctx.not_ready is not None else []
    if not missing:
        return flowc_pb2.Status(code=flowc_pb2.Status.SUCCESS)
    detail = f"not SERVING: {', '.join(missing)}"
    return flowc_pb2.Status(code=flowc_pb2.Status.ERROR, description=detail,
                            exception=flowc_pb2.ExceptionInfo(name="ConnectionError",
                                                              args=[detail], executor=ctx.name))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # /status only

    try:
        return version("flowc")
    except PackageNotFoundError:
        return "unknown"


def build_app(ctx: WebContext) -> FastAPI:
    """The WebSocket gateway's app (no /docs: Jina's has none worth having offline)."""
    app = FastAPI(title=str(ctx.options.get("title") or "flowc WebSocket gateway"),
                  docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/")
    async def health() -> dict:
        return {}

    @app.get("/status")
    async def status() -> dict:
        # Jina's shape, saying what answers (as the HTTP gateway's /status and gRPC's _status)
        return {"jina": {"flowc": _version(), "protocol": "jina 3.34 websocket (docarray v2)",
                         "python": platform.python_version(), "platform": platform.system()},
                "envs": {}}

    @app.get("/dry_run")
    async def dry_run() -> dict:
        return _status_json(await _dry_run(ctx))

    @app.websocket("/")
    async def session(ws: WebSocket) -> None:
        binary = await _accept(ws)
        await _Session(ctx, ws, binary).run()

    @app.websocket("/dry_run")
    async def dry_run_ws(ws: WebSocket) -> None:
        binary = await _accept(ws)
        result = await _dry_run(ctx)
        if binary:
            await ws.send_bytes(status_to_jina(result).SerializeToString())
        else:
            await ws.send_text(json.dumps(_status_json(result)))
        await ws.close(code=1000)

    return app


def _sse(event: str, data: Any = None) -> bytes:
    """One Server-Sent Event exactly as Jina's gateway writes it (CRLF lines)."""
    text = f"event: {event}\r\n"
    if data is not None:
        for line in json.dumps(data).splitlines():
            text += f"data: {line}\r\n"
    return (text + "\r\n").encode()


def add_streaming_routes(app: FastAPI, ctx: WebContext) -> None:
    """`GET /{endpoint}` (Server-Sent Events) for every streaming endpoint (HTTP_EXTENSIONS)."""
    stream = stream_of(ctx)
    for model in ctx.endpoints:
        if model.streaming:
            _add_route(app, model, stream)


def _add_route(app: FastAPI, model: Any, stream: Callable[..., AsyncIterator[Any]]) -> None:
    endpoint = model.endpoint

    async def streaming_get(request: Request) -> Any:
        body = await request.body()
        try:
            doc = json.loads(body) if body.strip() else dict(request.query_params)
            if not isinstance(doc, dict):
                raise ValueError("the body is one document, a JSON object")
            data = docs_from_json([doc], model.input_doc)
        except ValueError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        message = flowc_pb2.DataRequest(docs=data)
        message.header.endpoint = endpoint
        return StreamingResponse(_events(stream, message), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    app.add_api_route(f"/{endpoint.strip('/')}", streaming_get, methods=["GET"],
                      summary=f"Streaming Endpoint {endpoint}", response_class=StreamingResponse)


async def _events(stream: Callable[..., AsyncIterator[Any]],
                  request: flowc_pb2.DataRequest) -> AsyncIterator[bytes]:
    try:
        async for answer in stream(request):
            status = answer.header.status
            if status.code != flowc_pb2.Status.SUCCESS:
                yield _sse("error", {"detail": status.description,
                                     "executor": status.exception.executor})
                break
            for doc in docs_to_json(answer.docs):
                yield _sse("update", doc)
    except (StreamUnsupported, HopFailure) as exc:
        yield _sse("error", {"detail": str(exc), "executor": getattr(exc, "entry", "")})
    yield _sse("end")

