"""Limits and bad input on the wire: the one place for gRPC message limits of every server
(gateway, heads, workers) and of the channels between them, and for refusing malformed messages.

Limits (issue 8 §3; docs/decisions.md "The wire"): a server receives and sends messages of at most
`MAX_MESSAGE_BYTES` (64 MiB) unless the Flow's `grpc_server_options` say otherwise; gRPC refuses a
larger message with RESOURCE_EXHAUSTED before it is decoded, and the server goes on serving. A
connection carries at most `MAX_CONCURRENT_STREAMS` calls at once (a client's further calls wait
for a free one), and a server runs at most `MAX_CONCURRENT_RPCS` calls (further calls get
RESOURCE_EXHAUSTED at once); `flowc.maximum_concurrent_rpcs` in `grpc_server_options` changes
that (0 or -1: no cap). A router's channels forward what its server accepts: their send limit is
its receive limit, their receive limit its send limit, then `grpc_channel_options` apply.

Malformed input: every method of a server is registered through `GuardedServer`, whose request
deserializer never raises. A message that does not parse (random bytes, or a `Struct` nested past
protobuf's recursion limit) becomes a `Malformed` value, and the call ends with INVALID_ARGUMENT
and one line on stderr, instead of gRPC's UNKNOWN with a traceback per request. On a stream
(`ProcessStream`), `streams.StreamServer` answers what it read before and then ends the stream
the same way.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any, Callable, Mapping

import grpc

MIB = 1024 * 1024
MAX_MESSAGE_BYTES = 64 * MIB
MAX_CONCURRENT_STREAMS = 100  # per connection (HTTP/2 SETTINGS); clients queue above it
MAX_CONCURRENT_RPCS = 1000  # per server; above it gRPC answers RESOURCE_EXHAUSTED
RPC_CAP_KEY = "flowc.maximum_concurrent_rpcs"  # flowc's own key in `grpc_server_options`
SEND, RECEIVE = "grpc.max_send_message_length", "grpc.max_receive_message_length"

SERVER_DEFAULTS: dict[str, Any] = {
    SEND: MAX_MESSAGE_BYTES,
    RECEIVE: MAX_MESSAGE_BYTES,
    "grpc.max_concurrent_streams": MAX_CONCURRENT_STREAMS,
    # no SO_REUSEPORT: a second server on a taken port fails instead of silently sharing it
    "grpc.so_reuseport": 0,
}
# The Python client talks to a server of the user's choice, which enforces its own limits.
CLIENT_CHANNEL_OPTIONS = ((SEND, -1), (RECEIVE, -1))
# protobuf parses at most 100 levels of nested messages; a `parameters` mapping nested deeper
# than this (each level is a Struct, a map entry and a Value) exceeds it and the message is refused.
MAX_PARAMETERS_DEPTH = 33


class ServerSettings:
    """What `grpc.aio.server(...)` takes, from the defaults and a Flow's `grpc_server_options`."""

    def __init__(self, overrides: Mapping[str, Any] | None = None,
                 fixed: Mapping[str, Any] | None = None) -> None:
        options = {**SERVER_DEFAULTS, **dict(overrides or {}), **dict(fixed or {})}
        cap = options.pop(RPC_CAP_KEY, MAX_CONCURRENT_RPCS)
        self.maximum_concurrent_rpcs: int | None = int(cap) if cap and int(cap) > 0 else None
        self.options: list[tuple[str, Any]] = sorted(options.items())

    def value(self, key: str) -> Any:
        return dict(self.options).get(key)

    def channel_options(self, overrides: Mapping[str, Any] | None = None
                        ) -> list[tuple[str, Any]]:
        """Options of the channels a router with these settings opens to its nodes."""
        options = {SEND: self.value(RECEIVE), RECEIVE: self.value(SEND), **dict(overrides or {})}
        return sorted(options.items())

    def server(self) -> Any:
        return grpc.aio.server(options=self.options,
                               maximum_concurrent_rpcs=self.maximum_concurrent_rpcs)


class Malformed:
    """A request message that did not parse; `reason` says why in the user's words."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def malformed_reason(message_type: str, exc: BaseException) -> str:
    detail = str(exc).rpartition("': ")[2] or type(exc).__name__  # after "...type 'X.Y': "
    if "depth" in detail.lower() or isinstance(exc, RecursionError):
        return (f"the {message_type} message is nested too deeply to parse ({detail}): "
                f"`parameters` may nest at most {MAX_PARAMETERS_DEPTH} levels")
    return f"the request is not a valid {message_type} message ({detail})"


def _safe(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserialize is None:
        return None
    owner = getattr(deserialize, "__self__", None)
    message_type = getattr(getattr(owner, "DESCRIPTOR", None), "full_name", "request")

    def parse(data: bytes) -> Any:
        try:
            return deserialize(data)
        except Exception as exc:  # DecodeError, RecursionError: the sender's fault, not ours
            return Malformed(malformed_reason(message_type, exc))

    return parse


async def refuse(context: Any, name: str, method: str, reason: str) -> None:
    """End the call with INVALID_ARGUMENT after one line on stderr (no traceback)."""
    peer = context.peer() if context is not None else "?"
    print(f"{name}: refused a malformed {method} request from {peer}: {reason}",
          file=sys.stderr, flush=True)
    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, reason)


def never_ran(exc: BaseException) -> bool:
    """A call its server cancelled while shutting down, before any handler took it: gRPC core
    ends such calls CANCELLED with the details "CANCELLED" (grpc/grpc#41785; the proposed fix
    makes them UNAVAILABLE). Nothing processed it, so it may be sent again. A handler cut off at
    the end of a grace period ends UNAVAILABLE ("Cancelling all calls"), and a client's own
    cancellation never reads this way, so neither is taken for one."""
    return (isinstance(exc, grpc.RpcError) and callable(getattr(exc, "code", None))
            and exc.code() == grpc.StatusCode.CANCELLED and exc.details() == "CANCELLED")


def guard(handler: Any, name: str, method: str) -> Any:
    """`handler` (a grpc.RpcMethodHandler) whose requests that do not parse are refused."""
    safe = _safe(handler.request_deserializer)
    serialize = handler.response_serializer
    if handler.unary_unary is not None:
        behaviour = handler.unary_unary

        async def unary_unary(request: Any, context: Any) -> Any:
            if type(request) is Malformed:
                await refuse(context, name, method, request.reason)
            return await behaviour(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary_unary, request_deserializer=safe, response_serializer=serialize)
    if handler.unary_stream is not None:
        streaming = handler.unary_stream

        async def unary_stream(request: Any, context: Any) -> Any:
            if type(request) is Malformed:
                await refuse(context, name, method, request.reason)
            result = streaming(request, context)
            if inspect.isasyncgen(result):
                async for item in result:
                    yield item
            else:
                await result

        return grpc.unary_stream_rpc_method_handler(
            unary_stream, request_deserializer=safe, response_serializer=serialize)
    # streamed requests: the handler sees `Malformed` items and must refuse them itself
    if handler.stream_stream is not None:
        return grpc.stream_stream_rpc_method_handler(
            handler.stream_stream, request_deserializer=safe, response_serializer=serialize)
    return grpc.stream_unary_rpc_method_handler(
        handler.stream_unary, request_deserializer=safe, response_serializer=serialize)


class GuardedServer:
    """Stands for a `grpc.aio.Server` while a generated `add_<Service>Servicer_to_server(servicer,
    server)` registers its methods: each handler is `guard`ed, then registered on `server`.

    Generated code (grpcio ≥ 1.63) calls `add_generic_rpc_handlers` with a handler built from the
    same methods, then `add_registered_method_handlers` with the methods themselves: the first is
    left out, the second registered (guarded) both ways."""

    def __init__(self, server: Any, name: str) -> None:
        self.server = server
        self.name = name
        self.services: list[str] = []
        # a router's wait until SERVING (server.HoldUntilServing), for the services registered
        # beside `Flowc` (`server.Hooks.services`); None: not a router
        self.hold: Callable[[float | None], Any] | None = None

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        pass  # the same methods arrive in add_registered_method_handlers, which guards them

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        guarded = {method: guard(handler, self.name, f"{service}/{method}")
                   for method, handler in handlers.items()}
        self.server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(service, guarded),))
        self.server.add_registered_method_handlers(service, guarded)
        self.services.append(service)
