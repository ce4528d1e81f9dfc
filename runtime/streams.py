"""`ProcessStream`: many data requests over one long-lived gRPC stream (runtime/flowc.proto).

Routers (the gateway, heads) reach each node over one such stream instead of one unary call per
request, and so do the Python clients: on this 2-core machine a message on an open stream costs
about a third of a new call, and hops are most of a request's time. Requests are tagged with a
`hop_id` (1, 2, ...) unique on their stream; the server answers each with the same `hop_id`, in
whatever order they finish. An answer with `hop_id` 0 is the server's drain notice (below).

Server side, `StreamServer.serve` reads requests and processes each in its own task, so requests on
one stream run concurrently exactly as separate `Process` calls would (an executor that serialises
its requests still does). `drain()` (a graceful stop) sends every open stream the drain notice and
reads on until the client half-closes (at most `DRAIN_READ_SECONDS`), answers everything it read,
then ends the stream with status OK — so a stop neither waits out its grace period on idle
streams nor drops a request that was already on its way. A message that does not parse (see
`wire.py`) has no `hop_id` to answer: the server reads nothing more, answers what it read before,
then ends the stream with INVALID_ARGUMENT and one log line.

Client side, `StreamHop.process` (asyncio; routers and `AsyncClient`) sends one request and
awaits its answer; `BlockingStream` is the same for the blocking `Client`. On the drain notice a
client sends nothing more on that stream and half-closes it; later requests open a new stream.
When a stream breaks (the server died) every request waiting on it fails with `StreamError`
carrying the gRPC code, and the caller may retry elsewhere as it would a failed unary call. A
request that certainly never reached the server (its write failed, or the server ended the stream
without reading it) is marked `unsent`: it was not processed, and callers send it again as a unary
call, which gRPC itself retries transparently across a restarting server's GOAWAY.

Joined messages: gRPC's cost is per message (about 0.15 ms of CPU on each side here, more than a
small request's own work), so both ends write through an `Outbox`: a message offered while a write
is under way waits for the next write, and that write carries every message that waited, in one
`DataRequest` whose `joined` field holds them (at most `JOIN_BYTES` and `JOIN_COUNT` together; a
server refuses a message joining more, as it does a malformed one). A lone request is
written at once, as before; under concurrency a stream carries a few messages for many requests.
Joining is agreed per stream: the client asks in its call's metadata (`JOIN_METADATA`), the
server says yes in its initial metadata and from then on joins its answers; the client joins its
requests once it has read that yes. A peer that does not ask (a raw client, an older flowc) gets
one message per answer, and a server that does not answer yes gets one message per request.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
import weakref
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator

import grpc

from .proto import flowc_pb2
from .wire import Malformed, never_ran, refuse

log = logging.getLogger("flowc.streams")
METHOD = "/flowc.v1.Flowc/ProcessStream"
DRAIN_READ_SECONDS = 2.0  # how long a draining server waits for the client to half-close
_DRAIN_NOTICE = flowc_pb2.DataRequest()  # hop_id 0: "send nothing more on this stream"
_HOP_ID_TAG = b"\x30"  # field 6 (hop_id), wire type 0 (varint)
_JOINED_TAG = b"\x3a"  # field 7 (joined), wire type 2 (length-delimited)
JOIN_METADATA = ("flowc-join", "1")  # asked by the client, answered by the server (see above)
JOIN_BYTES = 64 * 1024  # a joined message holds at most this much (bigger messages go alone)
JOIN_COUNT = 1024  # and at most this many; a server refuses a message joining more


class StreamError(Exception):
    """A request on a stream got no answer; `code()` is the gRPC status code saying why.

    `unsent` is True when the server certainly never read the request (the write failed, or the
    server ended the stream without reading it): it was not processed, so it may be sent again
    at once, e.g. as a unary call, which gRPC itself retries across a server's restart."""

    def __init__(self, code: grpc.StatusCode, details: str, *, unsent: bool = False):
        super().__init__(details)
        self._code, self._details = code, details
        self.unsent = unsent

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


def tagged(request: flowc_pb2.DataRequest, hop_id: int) -> bytes:
    """`request`'s bytes with `hop_id` set, without touching `request` (which the caller may be
    sending to other nodes at the same time): a field appended to a serialised message overrides
    the same field earlier in it."""
    return request.SerializeToString() + _HOP_ID_TAG + _varint(hop_id)


def joined(messages: list[bytes]) -> bytes:
    """Serialised requests as one serialised `DataRequest` carrying them in `joined`."""
    return b"".join(_JOINED_TAG + _varint(len(message)) + message for message in messages)


def _varint(value: int) -> bytes:
    varint = bytearray()
    while value > 0x7F:
        varint.append((value & 0x7F) | 0x80)
        value >>= 7
    varint.append(value)
    return bytes(varint)


def _says_join(metadata: Any) -> bool:
    """Whether gRPC metadata (a server's `invocation_metadata()`, a call's `initial_metadata()`:
    pairs either way) holds `JOIN_METADATA`."""
    return any(tuple(pair) == JOIN_METADATA for pair in metadata or ())


def _carrier(answers: list[flowc_pb2.DataRequest]) -> flowc_pb2.DataRequest:
    carrier = flowc_pb2.DataRequest()
    carrier.joined.extend(answers)
    return carrier


class Outbox:
    """Writes the messages of one stream in order, joining those that queue behind a write.

    `send` writes at once when no write is under way; otherwise the message waits, `send`
    returns at once, and the next write (by a task of the outbox's own) carries every message
    that waited: joined by `join` when `joins` is set and they are small, else one by one. A
    write of waiting messages that fails hands their keys and the error to `failed`."""

    def __init__(self, write: Callable[[Any], Awaitable[None]],
                 join: Callable[[list[Any]], Any], size: Callable[[Any], int],
                 failed: Callable[[list[Any], BaseException], None] | None = None) -> None:
        self.joins = False
        self._write, self._join, self._size, self._failed = write, join, size, failed
        self._busy = False
        self._waiting: list[tuple[Any, Any]] = []
        self._then: Callable[[], Awaitable[None]] | None = None
        self._flushing: asyncio.Task | None = None

    async def send(self, message: Any, key: Any = None) -> None:
        """Write `message` (raising what the write raises), or queue it behind a write."""
        if self._busy:
            self._waiting.append((message, key))
            return
        self._busy = True
        try:
            await self._write(message)
        finally:
            self._next()

    async def finish(self, last: Callable[[], Awaitable[None]]) -> None:
        """`last()` (e.g. a half-close) after every message already offered is written."""
        if self._busy:
            self._then = last
            return
        self._busy = True
        try:
            await last()
        finally:
            self._next()

    async def flushed(self) -> None:
        """Returns when every message offered so far has been written (or has failed)."""
        while self._flushing is not None:
            await asyncio.shield(self._flushing)

    def _next(self) -> None:
        if self._waiting or self._then is not None:
            self._flushing = asyncio.ensure_future(self._flush())
        else:
            self._busy = False

    async def _flush(self) -> None:
        try:
            while self._waiting:
                waiting, self._waiting = self._waiting, []
                for message, keys in self._batches(waiting):
                    try:
                        await self._write(message)
                    except Exception as exc:
                        if self._failed is not None:
                            self._failed(keys, exc)
            if self._then is not None:
                last, self._then = self._then, None
                try:
                    await last()
                except Exception:
                    pass  # the stream is over already
        finally:
            self._busy = False
            self._flushing = None

    def _batches(self, waiting: list[tuple[Any, Any]]) -> Iterator[tuple[Any, list[Any]]]:
        if not self.joins:
            for message, key in waiting:
                yield message, [key]
            return
        group: list[Any] = []
        keys: list[Any] = []
        total = 0
        for message, key in waiting:
            size = self._size(message)
            if group and (total + size > JOIN_BYTES or len(group) >= JOIN_COUNT):
                yield (group[0] if len(group) == 1 else self._join(group)), keys
                group, keys, total = [], [], 0
            group.append(message)
            keys.append(key)
            total += size
        if group:
            yield (group[0] if len(group) == 1 else self._join(group)), keys


class StreamServer:
    """The server end of `ProcessStream` for a `process(request) -> answer` coroutine."""

    def __init__(self, process: Callable[[flowc_pb2.DataRequest],
                                         Awaitable[flowc_pb2.DataRequest]],
                 name: str = "server"):
        self._process = process
        self._draining = asyncio.Event()
        self.name = name  # who refuses a malformed message, in its log line

    def drain(self) -> None:
        """Every open stream stops reading, answers what it read, then ends (status OK)."""
        self._draining.set()

    async def serve(self, requests: AsyncIterator[flowc_pb2.DataRequest], context: Any) -> None:
        """The `ProcessStream` handler: until the client half-closes, `drain()`, or a malformed
        message."""
        if self._draining.is_set():
            return
        outbox = Outbox(context.write, _carrier, flowc_pb2.DataRequest.ByteSize)
        if _says_join(context.invocation_metadata()):
            await context.send_initial_metadata((JOIN_METADATA,))
            outbox.joins = True
        inflight: set[asyncio.Task] = set()
        malformed: list[Malformed] = []

        async def answer(request: flowc_pb2.DataRequest) -> None:
            try:
                response = await self._process(request)
            except Exception as exc:  # a router's bug must not leave its caller waiting
                log.exception("error while processing a streamed request")
                response = _internal_error(request, exc)
            response.hop_id = request.hop_id
            await outbox.send(response)

        def start(request: flowc_pb2.DataRequest) -> None:
            task = asyncio.ensure_future(answer(request))
            inflight.add(task)
            task.add_done_callback(inflight.discard)

        async def read_all() -> None:
            async for request in requests:
                if type(request) is Malformed:
                    malformed.append(request)
                    return
                if len(request.joined) > JOIN_COUNT:  # a task each: hostile, not ours
                    malformed.append(Malformed(f"a joined message carries at most {JOIN_COUNT} "
                                               f"requests, not {len(request.joined)}"))
                    return
                if request.joined:
                    for each in request.joined:
                        start(each)
                else:
                    start(request)

        reading = asyncio.ensure_future(read_all())
        draining = asyncio.ensure_future(self._draining.wait())
        try:
            await asyncio.wait({reading, draining}, return_when=asyncio.FIRST_COMPLETED)
            if not reading.done():  # draining: tell the client, read on until it half-closes
                try:
                    await outbox.send(_DRAIN_NOTICE)
                except Exception:  # the client is gone: nothing more will arrive
                    pass
                else:
                    await asyncio.wait({reading}, timeout=DRAIN_READ_SECONDS)
        finally:
            draining.cancel()
            if not reading.done():
                reading.cancel()
            if inflight:
                await asyncio.gather(*inflight, return_exceptions=True)
            await outbox.flushed()
        if reading.done() and not reading.cancelled() and reading.exception() is not None:
            raise reading.exception()
        if malformed:
            await refuse(context, self.name, METHOD.lstrip("/"), malformed[0].reason)


def _internal_error(request: flowc_pb2.DataRequest, exc: Exception) -> flowc_pb2.DataRequest:
    response = flowc_pb2.DataRequest()
    response.header.CopyFrom(request.header)
    status = response.header.status
    status.code = flowc_pb2.Status.ERROR
    status.description = f"internal error: {exc!r}"
    status.exception.name = type(exc).__name__
    status.exception.args.append(str(exc))
    return response


class StreamHop:
    """The client end: requests to one server over one `ProcessStream` call, opened lazily."""

    def __init__(self, channel: grpc.aio.Channel):
        self._method = channel.stream_stream(
            METHOD, request_serializer=None,  # requests arrive as bytes (see `tagged`)
            response_deserializer=flowc_pb2.DataRequest.FromString)
        self._line: _Line | None = None
        self._ids = itertools.count(1)
        self._closing: set[asyncio.Task] = set()  # half-closes under way (held: asyncio does not)

    async def process(self, request: flowc_pb2.DataRequest,
                      timeout: float | None = None) -> flowc_pb2.DataRequest:
        """The answer to `request`, or StreamError (UNAVAILABLE, DEADLINE_EXCEEDED, ...)."""
        line = self._line or self._open()
        hop_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        line.pending[hop_id] = future
        try:
            await line.outbox.send(tagged(request, hop_id), hop_id)
        except (grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError) as exc:
            line.pending.pop(hop_id, None)
            if future.done():  # the reader saw the stream end first: its error is the reason
                return future.result()
            raise _unsent(exc) from None
        try:
            if timeout is None:
                return await future
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise StreamError(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded") from None
        finally:
            line.pending.pop(hop_id, None)

    def _open(self) -> "_Line":
        call = self._method(metadata=(JOIN_METADATA,))
        self._line = line = _Line(call)
        line.reader = asyncio.ensure_future(self._read(line))
        return line

    async def _read(self, line: "_Line") -> None:
        error = StreamError(grpc.StatusCode.UNAVAILABLE,  # it answers every request it read
                            "the server ended the stream before reading the request (it is "
                            "stopping)", unsent=True)
        call, pending = line.call, line.pending
        try:
            line.outbox.joins = _says_join(await call.initial_metadata())
            async for message in call:
                for answer in (message.joined or (message,)):
                    if answer.hop_id == 0:  # drain notice: new requests take a new stream
                        self._drained(line)
                        continue
                    future = pending.get(answer.hop_id)
                    if future is not None and not future.done():
                        future.set_result(answer)
        except grpc.aio.AioRpcError as exc:
            if never_ran(exc):  # the stream's handler never ran: none of its requests either
                error = StreamError(grpc.StatusCode.UNAVAILABLE, "the server stopped before it "
                                    "took the stream", unsent=True)
            else:
                error = StreamError(exc.code(), exc.details() or exc.code().name)
        except asyncio.CancelledError:
            error = StreamError(grpc.StatusCode.CANCELLED, "the connection was closed")
            raise
        finally:
            if self._line is line:
                self._line = None
            for future in pending.values():
                if not future.done():
                    future.set_exception(error)

    def _drained(self, line: "_Line") -> None:
        """Half-close `line` after the writes already under way: the server then ends it."""
        if self._line is line:
            self._line = None
        task = asyncio.ensure_future(line.outbox.finish(line.half_close))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        line, self._line = self._line, None
        if line is not None:
            line.call.cancel()
            if line.reader is not None:
                line.reader.cancel()
                await asyncio.gather(line.reader, return_exceptions=True)


class _Line:
    """One `ProcessStream` call of a `StreamHop`: its answers' futures, its outbox, its reader."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self.pending: dict[int, asyncio.Future] = {}
        self.outbox = Outbox(call.write, joined, len, self._failed)
        self.reader: asyncio.Task | None = None

    def _failed(self, hop_ids: list[int], exc: BaseException) -> None:
        """A write of waiting requests failed: they were not sent, so not processed."""
        for hop_id in hop_ids:
            future = self.pending.get(hop_id)
            if future is not None and not future.done():
                future.set_exception(_unsent(exc))

    async def half_close(self) -> None:
        try:
            await self.call.done_writing()
        except (grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError):
            pass  # the stream is over already


def _unsent(exc: BaseException) -> StreamError:
    """Not sent, so not processed: retryable, whatever gRPC's code for the dying call (INTERNAL
    when the write races the stream's end); UNIMPLEMENTED says more."""
    unimplemented = (isinstance(exc, grpc.aio.AioRpcError)
                     and exc.code() == grpc.StatusCode.UNIMPLEMENTED)
    detail = exc.details() if isinstance(exc, grpc.aio.AioRpcError) else str(exc)
    return StreamError(grpc.StatusCode.UNIMPLEMENTED if unimplemented
                       else grpc.StatusCode.UNAVAILABLE,
                       f"the stream closed before the request was sent: {detail}", unsent=True)


class BlockingStream:
    """The client end for a blocking caller: one `ProcessStream` call, one request at a time.

    A thread that finds the stream busy (another thread is waiting on it) gets None from
    `try_process` and makes a unary call instead, so one `Client` stays usable from many threads.
    """

    def __init__(self, channel: grpc.Channel):
        self._method = channel.stream_stream(
            METHOD, request_serializer=None,
            response_deserializer=flowc_pb2.DataRequest.FromString)
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue | None = None
        self._answers: Any = None
        self._ids = itertools.count(1)

    def try_process(self, request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest | None:
        """The answer to `request`; None when the stream is busy or the server ended it before
        reading the request (then it was not processed: send it another way). A broken stream
        raises its `grpc.RpcError`."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._answers is None or self._answers.done() or self._queue is None:
                self._open()
            hop_id = next(self._ids)
            self._queue.put(tagged(request, hop_id))
            try:
                answer = next(self._answers)
                if answer.hop_id == 0:  # drain notice: half-close; our answer still comes
                    self._queue.put(None)
                    self._queue = None  # the next request opens a new stream
                    answer = next(self._answers)
            except StopIteration:  # the server is stopping and did not read it
                self._answers = None
                return None
            except grpc.RpcError:
                self._answers = None
                raise
            if answer.hop_id != hop_id:  # cannot happen with one request at a time
                raise RuntimeError(f"answer {answer.hop_id} for request {hop_id}")
            return answer
        finally:
            self._lock.release()

    def _open(self) -> None:
        self.close()
        self._queue = requests = queue.SimpleQueue()
        self._answers = self._method(_drain_queue(requests))
        # gRPC's thread that sends the requests waits on the queue: end it with the client
        weakref.finalize(self, requests.put, None)

    def close(self) -> None:
        if self._queue is not None:
            self._queue.put(None)
            self._queue = None
        if self._answers is not None:
            self._answers.cancel()
            self._answers = None


def _drain_queue(requests: queue.SimpleQueue) -> Iterator[bytes]:
    while True:
        item = requests.get()
        if item is None:
            return
        yield item
