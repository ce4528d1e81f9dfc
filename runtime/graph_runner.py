"""The gateway's routing: runs the Flow's graph for one request (`GraphRunner`), over hops that
are remote entries (`channels.ReplicaSet`) or executors hosted in the gateway (`LocalHop`).

Per request it starts at the gateway, sends the request to each entry once all its `needs` have
answered (branches run concurrently), filters each entry's input with its `when`, reduces fan-in
deterministically (or passes `docs_matrix`), stops downstream hops after an error, and answers with
the responders' output. Everything derivable from the plan is prepared once (`topology.py`,
channels in `channels.py`); documents stay bytes unless a reduce or a filter must read them.

Parameters: every hop receives the client's original parameters; the `__results__` each hop
returns are merged (in graph order) into the response's parameters.

`when` and the response order: a document an entry's filter rejects is not sent to it and does not
travel further along that path (as in Jina), but it is kept: if it never reaches the response, the
version seen where it was filtered out is put back, and the response follows the client's document
order (documents the client did not send come last). If every document of an entry's input is
filtered out, the entry is not called.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any, Sequence

from google.protobuf.message import DecodeError

from flowc.compiler.plan import GATEWAY, Plan

from . import reduce as docs_reduce
from .channels import HopFailure, ReplicaSet
from .loading import deployment_env, load_executor
from .proto import flowc_pb2
from .server import say
from .topology import Node, Topology

__all__ = ["GraphRunner", "InProcessStartError", "LocalHop", "Out", "build_hops"]

log = logging.getLogger("flowc.gateway")
_ERROR = flowc_pb2.Status.ERROR
_RESULTS = "__results__"

class Out:
    """What one node produced for one request."""

    __slots__ = ("docs", "results", "error", "route")

    def __init__(self, docs: bytes, results: Any = None, error: Any = None, route: Any = None):
        self.docs = docs
        self.results = results  # the hop's `__results__` Struct, if any
        self.error = error  # a DataRequest carrying an error status
        self.route = route


class LocalHop:
    """An entry with `placement: gateway`: its executor runs in this process (no network)."""

    def __init__(self, name: str, host: Any):
        self.name = name
        self.host = host

    async def process(self, request: flowc_pb2.DataRequest,
                      timeout_ms: int | None = None) -> flowc_pb2.DataRequest:
        if not timeout_ms:
            return await self.host.process(request)
        try:
            return await asyncio.wait_for(self.host.process(request), timeout_ms / 1000)
        except asyncio.TimeoutError:
            raise HopFailure(self.name, "timeout", f"{self.name} did not answer within "
                             f"{timeout_ms} ms (timeout_send)") from None

    async def endpoints(self) -> flowc_pb2.EndpointsReply:
        return self.host.endpoints()

    async def close(self) -> None:
        self.host.close()


class _State:
    """Per-request bookkeeping: the client's request and documents kept by `when` filters."""

    __slots__ = ("request", "target", "kept", "deadline")

    def __init__(self, request: flowc_pb2.DataRequest):
        self.request = request
        self.target: Any = request.header.target_executor or None  # compiled in run()
        self.kept: dict[str, tuple[int, Any]] | None = None  # doc id → (node index, DocProto)
        timeout_ms = request.header.timeout_ms  # the client's: later hops get what is left
        self.deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None

    def time_left_ms(self) -> int:
        """What is left of the client's deadline (at least 1 ms: 0 would mean none)."""
        return max(1, int((self.deadline - time.monotonic()) * 1000))


class GraphRunner:
    """Executes the topology for one request at a time (many requests run concurrently)."""

    def __init__(self, topology: Topology, hops: dict[str, Any]):
        self.topology = topology
        self.hops = hops
        self._index = {n.name: i for i, n in enumerate(topology.nodes)}
        self._awaited = frozenset(topology.awaited)
        self._background: set[asyncio.Task] = set()
        self.observer: Any = None  # observe.py: requests measured and traced when set

    async def run(self, request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        """The Flow's answer to `request` (every protocol's requests pass here)."""
        if self.observer is None:
            return await self._run(request)
        return await self.observer.served(request, self._run)

    async def _run(self, request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        started = time.time_ns()
        if not request.header.request_id:
            request.header.request_id = uuid.uuid4().hex
        state = _State(request)
        if state.target is not None:
            try:
                state.target = re.compile(state.target)
            except re.error as exc:
                status = flowc_pb2.Status(
                    code=_ERROR, description=f"target_executor {state.target!r} is not a valid "
                                             f"regular expression: {exc}",
                    exception=flowc_pb2.ExceptionInfo(name="ValueError", args=[str(exc)],
                                                      executor=GATEWAY))
                return self._error(state, status)
        if self.topology.chain:
            outs = await self._run_chain(state)
        else:
            outs = await self._run_graph(state)
        return self._respond(state, outs, started)

    async def _run_chain(self, state: _State) -> dict[str, Out]:
        out = Out(state.request.docs)
        outs: dict[str, Out] = {}
        for node in self.topology.nodes:
            out = await self._guarded(node, (out,), state)
            outs[node.name] = out
            if out.error is not None:
                break
        return outs

    async def _run_graph(self, state: _State) -> dict[str, Out]:
        loop = asyncio.get_running_loop()
        start = loop.create_future()
        start.set_result(Out(state.request.docs))
        futures: dict[str, asyncio.Future] = {GATEWAY: start}
        for node in self.topology.nodes:
            needs = [futures[n] for n in node.needs]
            futures[node.name] = loop.create_task(self._node_task(node, needs, state))
        for node in self.topology.nodes:
            if node.name not in self.topology.awaited:
                task = futures[node.name]
                self._background.add(task)
                task.add_done_callback(self._floating_done)
        awaited = self.topology.awaited
        results = await asyncio.gather(*(futures[n] for n in awaited))
        return dict(zip(awaited, results))

    async def _node_task(self, node: Node, needs: list[asyncio.Future], state: _State) -> Out:
        parts = []
        for future in needs:
            part = await future
            if part.error is not None:
                return part
            parts.append(part)
        return await self._guarded(node, parts, state)

    def _floating_done(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if task.cancelled():
            return
        out = task.result()
        if out.error is not None:
            status = out.error.header.status
            log.error("floating entry failed: %s (%s)", status.description,
                      status.exception.executor or "?")

    async def _guarded(self, node: Node, parts: Sequence[Out], state: _State) -> Out:
        try:
            return await self._step(node, parts, state)
        except HopFailure as failure:
            return Out(b"", error=self._error(state, failure.status()))
        except DecodeError as exc:  # a `when` filter or a reduce met bytes that are no documents
            detail = (f"the documents for {node.name} are not docarray protobuf bytes: {exc}")
            say(GATEWAY, f"refused request {state.request.header.request_id}: {detail}")
            status = flowc_pb2.Status(
                code=_ERROR, description=detail,
                exception=flowc_pb2.ExceptionInfo(name="DocumentsMismatch", args=[detail],
                                                  executor=GATEWAY))
            return Out(b"", error=self._error(state, status))
        except Exception as exc:  # a bug here must not hang the request: report it
            log.exception("internal error while routing to %s", node.name)
            status = flowc_pb2.Status(
                code=_ERROR, description=f"gateway error routing to {node.name}: {exc!r}",
                exception=flowc_pb2.ExceptionInfo(name=type(exc).__name__, args=[str(exc)],
                                                  executor=GATEWAY))
            return Out(b"", error=self._error(state, status))

    async def _step(self, node: Node, parts: Sequence[Out], state: _State) -> Out:
        for part in parts:
            if part.error is not None:
                return part
        docs = [p.docs for p in parts]
        if state.target is not None and not state.target.match(node.name):
            return Out(docs[0] if len(docs) == 1 else docs_reduce.reduce_bytes(docs))
        if node.when is not None:
            filtered = [self._filter(node, d, state) for d in docs]
            if any(docs) and not any(filtered):
                return Out(b"")
            docs = filtered
        request = flowc_pb2.DataRequest()
        client = state.request
        request.header.CopyFrom(client.header)
        request.parameters.CopyFrom(client.parameters)
        if len(docs) == 1:
            request.docs = docs[0]
        elif node.disable_reduce:
            request.docs_matrix.extend(docs)
            request.docs = docs_reduce.concat_bytes(docs)
        else:
            request.docs = docs_reduce.reduce_bytes(docs)
        timeout = node.timeout_ms or client.header.timeout_ms or None
        if state.deadline is not None and node.name in self._awaited:
            # an executor must not start what its client stopped waiting for (a floating
            # entry's copy is not waited for: its hop keeps the whole timeout)
            timeout = min(timeout or state.time_left_ms(), state.time_left_ms())
        if timeout:
            request.header.timeout_ms = timeout
        begin = time.time_ns()
        response = await self.hops[node.name].process(request, timeout)
        route = flowc_pb2.RouteEntry(executor=node.name, start_ns=begin, end_ns=time.time_ns(),
                                     status=response.header.status)
        if response.header.status.code == _ERROR:
            error = self._error(state, response.header.status, response.docs)
            return Out(response.docs, error=error, route=route)
        fields = response.parameters.fields
        results = fields[_RESULTS].struct_value if _RESULTS in fields else None
        return Out(response.docs, results=results, route=route)

    def _filter(self, node: Node, data: bytes, state: _State) -> bytes:
        if not data:
            return data
        docs = docs_reduce.parse_docs(data)
        keep = node.when
        matching = [d for d in docs.docs if keep(d)]
        if len(matching) == len(docs.docs):
            return data
        if state.kept is None:
            state.kept = {}
        index = self._index[node.name]
        for doc in docs.docs:
            if not keep(doc):
                key = docs_reduce.doc_id(doc)
                if key is not None and state.kept.get(key, (-1,))[0] < index:
                    state.kept[key] = (index, doc)
        result = docs_reduce.doc_pb().DocListProto()
        result.docs.extend(matching)
        return docs_reduce.serialize_docs(result)

    def _error(self, state: _State, status: Any, docs: bytes = b"") -> flowc_pb2.DataRequest:
        response = flowc_pb2.DataRequest(docs=docs)
        response.header.CopyFrom(state.request.header)
        response.header.status.CopyFrom(status)
        response.parameters.CopyFrom(state.request.parameters)
        return response

    def _respond(self, state: _State, outs: dict[str, Out], started: int) -> flowc_pb2.DataRequest:
        routes = [flowc_pb2.RouteEntry(executor=GATEWAY, start_ns=started)]
        for name in self.topology.awaited:
            out = outs.get(name)
            if out is not None and out.route is not None:
                routes.append(out.route)
        for name in self.topology.awaited:
            out = outs.get(name)
            if out is not None and out.error is not None:
                response = out.error
                del response.routes[:]
                response.routes.extend(routes)
                routes[0].end_ns = time.time_ns()
                return response
        client = state.request
        responders = [outs[n].docs for n in self.topology.responders if n in outs]
        if not self.topology.responders:
            docs = client.docs
        elif len(responders) == 1:
            docs = responders[0]
        else:
            docs = docs_reduce.reduce_bytes(responders)
        if state.kept:
            docs = self._restore_order(client.docs, docs, state)
        response = flowc_pb2.DataRequest(docs=docs)
        response.header.CopyFrom(client.header)
        response.parameters.CopyFrom(client.parameters)
        merged = None
        for name in self.topology.awaited:
            out = outs.get(name)
            if out is not None and out.results is not None:
                if merged is None:
                    merged = response.parameters.fields[_RESULTS].struct_value
                for key, value in out.results.fields.items():
                    merged.fields[key].CopyFrom(value)
        notes = [f"{r.executor}: {r.status.description}" for r in routes if r.status.description]
        if notes:  # e.g. a head that answered without some failed shards says so
            response.header.status.description = "; ".join(notes)
        routes[0].end_ns = time.time_ns()
        response.routes.extend(routes)
        return response

    @staticmethod
    def _restore_order(client_docs: bytes, docs: bytes, state: _State) -> bytes:
        reference = [docs_reduce.doc_id(d) for d in docs_reduce.parse_docs(client_docs).docs]
        kept = [doc for _, doc in sorted(state.kept.values(), key=lambda item: item[0])]
        ordered = docs_reduce.order_like(docs_reduce.parse_docs(docs), reference, kept)
        return docs_reduce.serialize_docs(ordered)

    async def finish_floating(self, timeout: float) -> int:
        """Wait at most `timeout` s for the hops to floating entries still under way (their
        requests were accepted and answered: they must still reach those entries); the number
        left unfinished, which `close()` cancels."""
        if not self._background:
            return 0
        _, pending = await asyncio.wait(set(self._background), timeout=timeout)
        return len(pending)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        for hop in self.hops.values():
            await hop.close()



class InProcessStartError(Exception):
    """A `placement: gateway` executor failed to load or construct (its entry is named)."""

    def __init__(self, entry: str, cause: BaseException):
        self.entry = entry
        super().__init__(f"{entry}: {type(cause).__name__}: {cause}")


def build_hops(plan: Plan, topology: Topology, base_dir: Path,
               channel_options: Sequence[tuple[str, Any]] = ()) -> dict[str, Any]:
    """A ReplicaSet per remote entry (its channels with `channel_options`), an in-process
    executor per `placement: gateway` entry."""
    hops: dict[str, Any] = {}
    for node in topology.nodes:
        if node.in_gateway:
            # imported here: 6 ms of a gateway's start-up (-X importtime) that only
            # `placement: gateway` entries need
            from .host import ExecutorHost

            try:
                # the entry's `env:` is the environment its code sees, as in its own worker
                # (entries sharing the gateway share one environment: the later entry wins)
                os.environ.update(deployment_env(plan.deployment(node.name), os.environ))
                executor = load_executor(plan, node.name, role="executor", shard_id=0,
                                         replica_id=0, base_dir=base_dir, env=dict(os.environ))
            except Exception as exc:
                raise InProcessStartError(node.name, exc) from exc
            hops[node.name] = LocalHop(node.name, ExecutorHost(executor,
                                                               runtime_name=f"{node.name}/rep-0"))
        else:
            hops[node.name] = ReplicaSet(node.name, node.addresses, retries=node.retries,
                                         timeout_ms=node.timeout_ms, options=channel_options)
    return hops

