"""The Python client (mirrors Jina's): `Client(host=, port=).post(on, inputs, ...)`.

One gRPC channel per client, reused across calls. Inputs (a DocList, a list of documents, one
document, a generator, or None) are sent in batches of `request_size`; the answers are
concatenated into one DocList (or returned as `Response` objects with `return_responses=True`):
of `return_type`, else as the Flow returned them, every field kept (`DocList[AnyDoc]`, as Jina).
An ERROR status raises `FlowcRequestError` naming the executor and its exception, or goes to
`on_error(response, error)` when given. `AsyncClient` is the same over grpc.aio.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from typing import Any, AsyncIterator, Callable, Iterator

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from .docs import _doc_class, as_doclist, decode_docs, encode_docs
from .health import check, open_channel
from . import probe
from .host import struct_to_dict
from .probe import EndpointSchema
from .proto import flowc_pb2, flowc_pb2_grpc
from .streams import BlockingStream, StreamError, StreamHop
from .wire import CLIENT_CHANNEL_OPTIONS as CHANNEL_OPTIONS  # the server enforces its limits
from .wire import never_ran


class FlowcRequestError(Exception):
    """An executor failed a request: `.executor`, `.name` and `.args_text` say who and how."""

    def __init__(self, message: str, response: "Response | None" = None) -> None:
        super().__init__(message)
        self.response = response
        exc = response.proto.header.status.exception if response is not None else None
        self.executor = exc.executor if exc is not None else ""
        self.name = exc.name if exc is not None else ""
        self.args_text = list(exc.args) if exc is not None else []
        self.stacks = list(exc.stacks) if exc is not None else []

    @classmethod
    def from_response(cls, response: "Response") -> "FlowcRequestError":
        status = response.proto.header.status
        exc = status.exception
        if status.description:
            message = status.description
        elif exc.name:
            message = f"{exc.executor or 'an executor'}: {exc.name}: {', '.join(exc.args)}"
        else:
            message = "the request failed"
        return cls(message, response)


class AsReturned:
    """`post` without a `return_type`: answers are decoded as the Flow returned them, every
    field kept (`DocList[AnyDoc]`, as Jina; `answer_docs.py`). `fill_from` is the request's
    document type, whose defaults fill the fields flowc's wire leaves out (None: unknown)."""

    __slots__ = ("fill_from",)

    def __init__(self, fill_from: type | None) -> None:
        self.fill_from = fill_from


class Response:
    """One answer: `.docs` (decoded on first use), `.parameters`, `.header`, `.status`."""

    def __init__(self, proto: Any, return_type: "type | AsReturned | None" = None) -> None:
        self.proto = proto
        self._return_type = return_type
        self._docs: Any = None

    @property
    def docs(self) -> Any:
        if self._docs is None:
            self._docs = self._decode(self.proto.docs)
        return self._docs

    @property
    def docs_matrix(self) -> list[Any]:
        return [self._decode(part) for part in self.proto.docs_matrix]

    def _decode(self, data: bytes) -> Any:
        if isinstance(self._return_type, AsReturned):
            # docarray: 300 ms that an answer whose documents nobody reads never pays
            from .answer_docs import decode_as_returned

            return decode_as_returned(data, self._return_type.fill_from)
        return decode_docs(data, self._return_type)

    @property
    def parameters(self) -> dict[str, Any]:
        return struct_to_dict(self.proto.parameters)

    @property
    def header(self) -> Any:
        return self.proto.header

    @property
    def status(self) -> Any:
        return self.proto.header.status

    @property
    def routes(self) -> Any:
        return self.proto.routes

    @property
    def is_error(self) -> bool:
        return self.proto.header.status.code != 0


def _split_address(host: str | None, port: int | None, address: str | None,
                   tls: bool) -> str:
    """One address string from Jina-style arguments (`host` may carry a scheme and a port)."""
    if address:
        return address
    host = (host or "127.0.0.1").rstrip("/")
    scheme = ""
    if "://" in host:
        scheme, host = host.split("://", 1)
        scheme += "://"
    elif tls:
        scheme = "grpcs://"
    if port is None and ":" not in host:
        raise ValueError("the client needs a port: Client(host=..., port=...) or address=...")
    return f"{scheme}{host}" if port is None else f"{scheme}{host}:{port}"


# Jina `Client(...)` arguments about its own logging, tracing and streaming: accepted, no effect.
_ACCEPTED_CLIENT_OPTIONS = frozenset({
    "asyncio", "prefetch", "compression", "metadata", "log_config", "suppress_root_logging",
    "tracing", "traces_exporter_host", "traces_exporter_port", "metrics",
    "metrics_exporter_host", "metrics_exporter_port", "proxy",
})


class _Common:
    def __init__(self, host: str | None = None, port: int | None = None, *,
                 address: str | None = None, tls: bool = False, protocol: str = "grpc",
                 grpc_channel_options: dict | None = None, **jina_options: Any) -> None:
        if str(protocol).lower() != "grpc":
            raise ValueError(f"protocol {protocol!r} is not supported by flowc's client (grpc)")
        unknown = sorted(set(jina_options) - _ACCEPTED_CLIENT_OPTIONS)
        if unknown:
            raise TypeError(f"Client() got unexpected keyword argument(s): {', '.join(unknown)}")
        self.address = _split_address(host, port, address, tls)
        extra = tuple(sorted((grpc_channel_options or {}).items()))
        self._options = tuple(CHANNEL_OPTIONS) + extra
        self._channel: Any = None
        self._process: Any = None
        self._stream: Any = None  # streams.BlockingStream / StreamHop once connected
        self._loop: Any = None

    @staticmethod
    def _requests(on: str, inputs: Any, parameters: dict | None, request_size: int,
                  target_executor: str | None, timeout: float | None) -> Iterator[Any]:
        if request_size < 1:
            raise ValueError("request_size must be at least 1")
        for batch in _batches(inputs, request_size):
            request = flowc_pb2.DataRequest(docs=batch)
            header = request.header
            header.request_id = uuid.uuid4().hex
            header.endpoint = on
            if target_executor:
                header.target_executor = target_executor
            if timeout:
                header.timeout_ms = int(timeout * 1000)
            if parameters:
                request.parameters.update(parameters)
            yield request

    @staticmethod
    def _collect(responses: list[Response], return_type: "type | AsReturned | None") -> Any:
        # docarray: 300 ms that a client which decodes no documents never pays
        # (`is_ready`, a refused connection, `flowc post` answered by an error)
        from docarray import DocList
        from docarray.base_doc import AnyDoc

        if len(responses) == 1:
            return responses[0].docs
        cls = AnyDoc if isinstance(return_type, AsReturned) else _doc_class(return_type)
        return DocList[cls](itertools.chain.from_iterable(r.docs for r in responses))

    def _handle(self, proto: Any, return_type: "type | AsReturned | None",
                on_done: Callable | None, on_error: Callable | None,
                options: dict[str, Any]) -> Response | None:
        response = Response(proto, return_type)
        on_always = options.get("on_always")
        try:
            if response.is_error:
                error = FlowcRequestError.from_response(response)
                if on_error is not None:
                    on_error(response, error)
                elif options.get("continue_on_error"):
                    print(f"flowc client: {error}", file=sys.stderr)
                else:
                    raise error
                return None
            if on_done is not None:
                on_done(response)
            return response
        finally:
            if on_always is not None:
                on_always(response)

    async def stream_doc(self, on: str, inputs: Any, parameters: dict | None = None,
                         return_type: Any = None, timeout: float | None = None,
                         target_executor: str | None = None) -> AsyncIterator[Any]:
        """Send one document to a streaming endpoint (a generator, see streaming.py) and yield
        each document it streams back as it comes: an async iterator, as Jina's `stream_doc`.
        The documents are `return_type` (default: the input's type). An executor's error
        raises FlowcRequestError; a Flow that cannot stream raises it with the reason."""
        if not hasattr(inputs, "to_protobuf") or hasattr(inputs, "doc_type"):
            raise TypeError("stream_doc sends one document (a docarray BaseDoc) as `inputs`")
        doc_type = _return_doc_type(return_type, inputs)
        request = next(self._requests(on, inputs, parameters, 1, target_executor, timeout))
        channel, owned = self._stream_channel()
        call = flowc_pb2_grpc.FlowcStreamStub(channel).StreamDoc(request, timeout=timeout)
        try:
            async for answer in call:
                response = Response(answer, doc_type)
                if response.is_error:
                    raise FlowcRequestError.from_response(response)
                for doc in response.docs:
                    yield doc
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                raise FlowcRequestError(f"{self.address}: {exc.details()}") from None
            raise self._rpc_error(exc, timeout) from None
        finally:
            call.cancel()
            if owned:
                await channel.close()

    def _stream_channel(self) -> tuple[Any, bool]:
        """(a grpc.aio channel for stream_doc, whether stream_doc must close it)."""
        return open_channel(self.address, aio=True, options=self._options), True

    def _rpc_error(self, exc: Any, timeout: float | None) -> Exception:
        code = exc.code() if hasattr(exc, "code") else None
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return TimeoutError(f"no answer from {self.address} within {timeout} s")
        if code == grpc.StatusCode.UNAVAILABLE:
            return ConnectionError(f"cannot reach {self.address}: {exc.details()}")
        return ConnectionError(f"{self.address}: {code.name if code else '?'}: "
                               f"{exc.details() if hasattr(exc, 'details') else exc}")


# Jina's `post` options that flowc accepts: two change behaviour here, the rest are about
# Jina's streaming client and change nothing for flowc's sequential one. Any other keyword is
# a TypeError (a typo must not pass silently).
_ACCEPTED_OPTIONS = frozenset({
    "on_always", "continue_on_error", "results_in_order", "prefetch", "stream", "max_attempts",
    "initial_backoff", "max_backoff", "backoff_multiplier", "compression", "show_progress",
})


def _check_options(options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - _ACCEPTED_OPTIONS)
    if unknown:
        raise TypeError(f"post() got unexpected keyword argument(s): {', '.join(unknown)}")


def _batches(inputs: Any, request_size: int) -> Iterator[bytes]:
    """Encoded document batches of at most `request_size` (one empty batch for no inputs)."""
    if inputs is None:
        yield b""
        return
    if callable(inputs):
        inputs = inputs()
    if hasattr(inputs, "to_protobuf") and hasattr(inputs, "__len__") and hasattr(
            inputs, "doc_type"):  # a DocList: slice it
        if len(inputs) == 0:
            yield b""
            return
        for start in range(0, len(inputs), request_size):
            yield encode_docs(inputs[start:start + request_size])
        return
    if hasattr(inputs, "to_protobuf"):  # one document
        yield encode_docs(as_doclist(inputs))
        return
    iterator = iter(inputs)
    sent = False
    while True:
        chunk = list(itertools.islice(iterator, request_size))
        if not chunk:
            break
        sent = True
        yield encode_docs(as_doclist(chunk))
    if not sent:
        yield b""


def _input_type(inputs: Any) -> type | None:
    """The document type of the inputs, used for the answer when no return_type is given."""
    doc_type = getattr(inputs, "doc_type", None)
    if isinstance(doc_type, type):
        return doc_type
    if isinstance(inputs, (list, tuple)) and inputs and hasattr(inputs[0], "to_protobuf"):
        return type(inputs[0])
    if hasattr(inputs, "to_protobuf") and not hasattr(inputs, "__len__"):
        return type(inputs)
    return None


def _return_doc_type(return_type: Any, inputs: Any) -> type | None:
    if return_type is None:
        return _input_type(inputs)
    return getattr(return_type, "doc_type", None) or return_type


def _answer_type(return_type: Any, inputs: Any) -> "type | AsReturned":
    """How `post` decodes answers: as `return_type`, else as the Flow returned them (Jina's
    client, whose default `return_type` is `DocList`, i.e. `DocList[AnyDoc]`)."""
    if return_type is None:
        return AsReturned(_input_type(inputs))
    return getattr(return_type, "doc_type", None) or return_type


class Client(_Common):
    """Blocking client: `Client(host='127.0.0.1', port=8080)` or `Client(address='grpc://h:p')`."""

    def _stub(self) -> Any:
        if self._process is None:
            self._channel = open_channel(self.address, options=self._options)
            self._process = flowc_pb2_grpc.FlowcStub(self._channel).Process
            self._stream = BlockingStream(self._channel)
        return self._send

    def _send(self, request: Any, timeout: float | None = None) -> Any:
        """Over the stream (far cheaper per request), or a unary call: with a timeout (a gRPC
        deadline), from a second thread while the stream is busy, or to a server without it. A
        unary call a stopping server never took (`wire.never_ran`) is sent once more."""
        if timeout is None and self._stream is not None:
            try:
                answer = self._stream.try_process(request)
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                    raise
                self._stream = None
            else:
                if answer is not None:
                    return answer
        try:
            return self._process(request, timeout=timeout)
        except grpc.RpcError as exc:
            if not never_ran(exc):
                raise
        return self._process(request, timeout=timeout)  # the stopping server never took it

    def post(self, on: str, inputs: Any = None, parameters: dict | None = None,
             request_size: int = 100, return_type: Any = None, return_responses: bool = False,
             on_done: Callable | None = None, on_error: Callable | None = None,
             target_executor: str | None = None, timeout: float | None = None,
             **options: Any) -> Any:
        """Send `inputs` to endpoint `on`; the answers' documents (or `Response` objects)."""
        _check_options(options)
        doc_type = _answer_type(return_type, inputs)
        process = self._stub()
        responses: list[Response] = []
        for request in self._requests(on, inputs, parameters, request_size, target_executor,
                                      timeout):
            try:
                proto = process(request, timeout=timeout)
            except grpc.RpcError as exc:
                raise self._rpc_error(exc, timeout) from None
            response = self._handle(proto, doc_type, on_done, on_error, options)
            if response is not None:
                responses.append(response)
        return responses if return_responses else self._collect(responses, doc_type)

    def is_ready(self, timeout: float = 2.0) -> bool:
        """True when the server reports SERVING."""
        return check(self.address, timeout) == "SERVING"

    def endpoints(self, timeout: float | None = 10.0) -> dict[str, EndpointSchema]:
        """Every endpoint of the Flow (or node), sorted: its input and output document JSON
        Schemas and its parameters model (`probe.EndpointSchema`). ConnectionError when a
        node does not answer."""
        self._stub()
        try:
            return probe.endpoints(self._channel, timeout)
        except grpc.RpcError as exc:
            raise self._rpc_error(exc, timeout) from None

    def dry_run(self, timeout: float | None = 10.0) -> bool:
        """True when the gateway and every node it routes to are SERVING (Jina's `dry_run`; no
        endpoint runs). A worker or head: True when it is SERVING."""
        self._stub()
        try:
            result = probe.dry_run(self._channel, timeout)
        except grpc.RpcError:
            return False
        return self.is_ready(timeout or 2.0) if result is None else result.ok

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        if self._channel is not None:
            self._channel.close()
            self._channel = self._process = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncClient(_Common):
    """The asyncio variant: `await AsyncClient(port=...).post('/x', docs)`."""

    def _stub(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._process is None or self._loop is not loop:
            # a grpc.aio channel belongs to one event loop: make a new one for a new loop
            self._channel = open_channel(self.address, aio=True, options=self._options)
            self._process = flowc_pb2_grpc.FlowcStub(self._channel).Process
            self._stream = StreamHop(self._channel)
            self._loop = loop
        return self._send

    def _stream_channel(self) -> tuple[Any, bool]:
        self._stub()  # this loop's channel, shared with post()
        return self._channel, False

    async def _send(self, request: Any, timeout: float | None = None) -> Any:
        """As `Client._send`: the stream unless a timeout asks for a gRPC deadline; a request
        the stream did not carry (the server was stopping) goes as a unary call."""
        if timeout is None and self._stream is not None:
            try:
                return await self._stream.process(request)
            except StreamError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                    self._stream = None
                elif not exc.unsent:
                    raise
        try:
            return await self._process(request, timeout=timeout)
        except grpc.RpcError as exc:
            if not never_ran(exc):
                raise
        return await self._process(request, timeout=timeout)  # as Client._send

    async def post(self, on: str, inputs: Any = None, parameters: dict | None = None,
                   request_size: int = 100, return_type: Any = None,
                   return_responses: bool = False, on_done: Callable | None = None,
                   on_error: Callable | None = None, target_executor: str | None = None,
                   timeout: float | None = None, **options: Any) -> Any:
        _check_options(options)
        doc_type = _answer_type(return_type, inputs)
        process = self._stub()
        responses: list[Response] = []
        for request in self._requests(on, inputs, parameters, request_size, target_executor,
                                      timeout):
            try:
                proto = await process(request, timeout=timeout)
            except (grpc.RpcError, StreamError) as exc:
                raise self._rpc_error(exc, timeout) from None
            response = self._handle(proto, doc_type, on_done, on_error, options)
            if response is not None:
                responses.append(response)
        return responses if return_responses else self._collect(responses, doc_type)

    async def is_ready(self, timeout: float = 2.0) -> bool:
        """True when the server reports SERVING."""
        self._stub()
        try:
            reply = await health_pb2_grpc.HealthStub(self._channel).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.RpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    async def endpoints(self, timeout: float | None = 10.0) -> dict[str, EndpointSchema]:
        """As `Client.endpoints`."""
        self._stub()
        try:
            return await probe.endpoints_async(self._channel, timeout)
        except grpc.RpcError as exc:
            raise self._rpc_error(exc, timeout) from None

    async def dry_run(self, timeout: float | None = 10.0) -> bool:
        """As `Client.dry_run`."""
        self._stub()
        try:
            result = await probe.dry_run_async(self._channel, timeout)
        except grpc.RpcError:
            return False
        return await self.is_ready(timeout or 2.0) if result is None else result.ok

    async def close(self) -> None:
        if self._stream is not None:
            await self._stream.close()
            self._stream = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = self._process = None

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
