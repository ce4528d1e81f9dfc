"""Streaming endpoints (Jina 3.34's `stream_doc`): one document in, a stream of documents out.

An endpoint written as a generator (`async def f(self, doc: In, **kw) -> AsyncIterator[Out]:
... yield Out(...)`, or a plain generator) streams its results. On the wire that is the
`FlowcStream.StreamDoc` server stream of `runtime/flowc.proto`: the request carries one document,
each answer one yielded document; an error ends the stream with one answer whose status is ERROR
(as a plain request's error, naming the executor).

- Worker: `host_stream(host, request)` runs the generator. An async generator runs on the event
  loop without the host's request lock, as Jina runs it (a long stream must not stop the
  executor's other requests); each step of a plain generator runs where sync endpoints run (one
  at a time unless `allow_concurrent`).
- Gateway: `StreamRoute` forwards the stream to the Flow's one executor entry. As in Jina, where
  the gateway sends a streamed document to the first executor only ("this assumes there is only
  one Executor behind this Gateway"), streaming needs a Flow of one entry; flowc refuses other
  Flows with FAILED_PRECONDITION naming the entries instead of silently skipping all but one.
  A sharded entry, or one with `uses_before`/`uses_after`, is reached through its head, which
  does not stream: refused the same way. Replicas are balanced round robin; a replica that is
  unreachable before it answered anything is retried on the next. A node that answers
  UNIMPLEMENTED (an `external: true` Jina executor) is asked through Jina's `stream_doc`
  instead (the `fallback`, jina_stream.py).
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any, AsyncIterator, Callable

import grpc

from flowc.compiler.plan import Plan

from .channels import HopFailure, ReplicaSet
from .proto import flowc_pb2, flowc_pb2_grpc

__all__ = ["StreamRoute", "StreamUnsupported", "host_stream", "stream_route"]

_DONE = object()  # a plain generator's end, handed back from its thread
# (channel, request, timeout in s or None) → the answers, from a node without FlowcStream
Fallback = Callable[[Any, flowc_pb2.DataRequest, "float | None"], AsyncIterator[Any]]


class StreamUnsupported(Exception):
    """This Flow (or server) cannot stream: the message says why, in the user's words."""


async def host_stream(host: Any, request: flowc_pb2.DataRequest
                      ) -> AsyncIterator[flowc_pb2.DataRequest]:
    """The answers of `host`'s streaming endpoint to `request` (one per yielded document)."""
    # here, not at the top: a gateway imports this module and needs host.py (6 ms) only when
    # it hosts an executor itself (placement: gateway)
    from .host import DocumentsMismatch, NotStreamed, ParametersError

    binding = host.binding_for(request)
    if binding is None or not binding.streaming:
        endpoint = request.header.endpoint or "/default"
        yield host.error_answer(request, NotStreamed(
            f"endpoint {endpoint} is not a streaming endpoint of {host.runtime_name} (a "
            "generator taking one `doc`): send it with a plain request (Client.post)"))
        return
    host.inflight += 1
    try:
        try:
            kwargs = host.stream_arguments(binding, request)
            items = binding.method(**kwargs)
            async for item in _items(host, items):
                yield _answer(request, item, binding.output_type)
        except (DocumentsMismatch, ParametersError, NotStreamed) as exc:  # the request's fault
            yield host.error_answer(request, exc)
        except Exception as exc:  # the executor's error ends the stream, named
            host.check_fatal(exc)
            yield host.error_answer(request, exc)
    finally:
        host.inflight -= 1


async def _items(host: Any, items: Any) -> AsyncIterator[Any]:
    """The yielded values of an async generator, or of a plain one stepped in the host's
    thread (a blocking step must not stop the event loop)."""
    if hasattr(items, "__anext__"):
        try:
            async for item in items:
                yield item
        finally:
            await items.aclose()
        return
    try:
        while True:
            item = await host.in_thread(lambda: next(items, _DONE))
            if item is _DONE:
                return
            yield item
    finally:
        items.close()


def _answer(request: flowc_pb2.DataRequest, item: Any,
            doc_type: type | None) -> flowc_pb2.DataRequest:
    from .docs import as_doclist, encode_docs  # docarray: loaded already by the endpoint

    if not hasattr(item, "to_protobuf"):
        raise TypeError(f"a streaming endpoint yields documents, not {type(item).__name__}")
    answer = flowc_pb2.DataRequest()
    answer.header.CopyFrom(request.header)
    answer.docs = encode_docs(as_doclist([item], doc_type))
    return answer


class StreamRoute:
    """The gateway's `StreamDoc`: the Flow's one entry, or why this Flow cannot stream."""

    def __init__(self, hop: Any = None, refusal: str = "", fallback: Fallback | None = None
                 ) -> None:
        self.hop = hop
        self.refusal = refusal
        self.fallback = fallback  # for a node without FlowcStream: Jina's stream_doc
        self._next = itertools.count()

    async def stream(self, request: flowc_pb2.DataRequest
                     ) -> AsyncIterator[flowc_pb2.DataRequest]:
        """The entry's answers; StreamUnsupported, or HopFailure when it cannot be reached."""
        if self.hop is None:
            raise StreamUnsupported(self.refusal)
        if not request.header.request_id:
            request.header.request_id = uuid.uuid4().hex
        if isinstance(self.hop, ReplicaSet):
            async for answer in self._remote(self.hop, request):
                yield answer
        else:  # placement: gateway: the executor runs in this process
            async for answer in host_stream(self.hop.host, request):
                yield answer

    async def _remote(self, replicas: ReplicaSet, request: flowc_pb2.DataRequest
                      ) -> AsyncIterator[flowc_pb2.DataRequest]:
        conns = replicas.connections
        timeout_ms = request.header.timeout_ms or replicas.timeout_ms
        deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None
        start, last = next(self._next), ""
        for attempt in range(replicas.attempts):
            conn = conns[(start + attempt) % len(conns)]
            remaining = None if deadline is None else max(0.001, deadline - time.monotonic())
            call = flowc_pb2_grpc.FlowcStreamStub(conn.channel).StreamDoc(request,
                                                                         timeout=remaining)
            answered = False
            try:
                try:
                    async for answer in call:
                        answered = True
                        yield answer
                    return
                except grpc.aio.AioRpcError as exc:
                    if (exc.code() != grpc.StatusCode.UNIMPLEMENTED or answered
                            or self.fallback is None):
                        raise
                # no FlowcStream there (an `external: true` Jina executor): Jina's stream_doc
                async for answer in self.fallback(conn.channel, request, remaining):
                    answered = True
                    yield answer
                return
            except grpc.aio.AioRpcError as exc:
                code = exc.code()
                if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise HopFailure(replicas.name, "timeout", f"{replicas.name} did not finish "
                                     f"the stream within {timeout_ms} ms") from None
                if code != grpc.StatusCode.UNAVAILABLE or answered:
                    raise HopFailure(replicas.name, "rpc", f"{replicas.name}: stream from "
                                     f"{conn.target.display} failed: {code.name}: "
                                     f"{exc.details()}") from None
                last = f"{conn.target.display}: {exc.details()}"
            finally:
                call.cancel()
        raise HopFailure(replicas.name, "unavailable",
                         f"{replicas.name} is unreachable after {replicas.attempts} attempt(s) "
                         f"({replicas.describe()}); last error: {last}")


def stream_route(plan: Plan, hops: dict[str, Any], fallback: Fallback | None = None
                 ) -> StreamRoute:
    """Where the gateway sends a streamed document, or why it cannot (see the docstring);
    `fallback` streams from a node that has no `FlowcStream` (jina_stream.call_jina)."""
    names = sorted(hops)
    if len(names) != 1:
        listed = ", ".join(_located(plan, n) for n in names) or "none"
        return StreamRoute(refusal=(
            f"streaming endpoints need a Flow of one executor entry (as in Jina); this Flow has "
            f"{len(names)}: {listed}"))
    name = names[0]
    if plan.deployment(name).needs_head:
        return StreamRoute(refusal=(
            f"entry {_located(plan, name)} is reached through its head (shards or "
            "uses_before/uses_after), which cannot stream: streaming endpoints need an entry "
            "without them"))
    return StreamRoute(hop=hops[name], fallback=fallback)


def _located(plan: Plan, name: str) -> str:
    """`name (flow.yml:7:5)`: the entry and where it is written, when the plan knows."""
    try:
        source = plan.deployment(name).source
    except KeyError:
        source = None
    return f"{name} ({source})" if source else name


async def serve_stream(stream: Callable[[flowc_pb2.DataRequest], AsyncIterator[Any]],
                       request: flowc_pb2.DataRequest, context: Any) -> AsyncIterator[Any]:
    """A `StreamDoc` method body: `stream`'s answers, a refusal or network failure as a gRPC
    status (FAILED_PRECONDITION, UNAVAILABLE, DEADLINE_EXCEEDED) with the reason."""
    try:
        async for answer in stream(request):
            yield answer
    except StreamUnsupported as exc:
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
    except HopFailure as failure:
        code = (grpc.StatusCode.DEADLINE_EXCEEDED if failure.kind == "timeout"
                else grpc.StatusCode.UNAVAILABLE)
        await context.abort(code, str(failure))
