"""The routing of a sharded deployment's head (`ShardRouter`; served by head.py).

For each request: `uses_before` first (when given), then the shards chosen by the endpoint's
polling (`ANY`: one shard, round robin, the next one if it cannot be reached; `ALL`: every shard at
once), then `uses_after` with `docs_matrix` (one list per answering shard, in shard order) or, without
it, a reduce in shard order (`reduce.py`). Replicas of a shard are balanced by its `ReplicaSet`.

Failed shards are tolerated while at least one answers: the response's status description and a
log line name the shards that failed. If none answers, the first failure is returned.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any, Sequence

from flowc.compiler.plan import Deployment, Plan

from . import reduce as docs_reduce
from .channels import HopFailure, ReplicaSet
from .proto import flowc_pb2
from .wire import ServerSettings

__all__ = ["ShardRouter", "build_router"]

log = logging.getLogger("flowc.head")
_ERROR = flowc_pb2.Status.ERROR
_RESULTS = "__results__"


class ShardRouter:
    """Routing of one sharded deployment (no gRPC server here: see head.py)."""

    def __init__(self, deployment: Deployment, shards: Sequence[ReplicaSet],
                 uses_before: ReplicaSet | None = None, uses_after: ReplicaSet | None = None):
        if not shards:
            raise ValueError(f"{deployment.name}: a head needs at least one shard")
        self.deployment = deployment
        self.shards = list(shards)
        self.uses_before = uses_before
        self.uses_after = uses_after
        self._next = itertools.count()
        self._polling: dict[str, str] = {}

    def polling(self, endpoint: str) -> str:
        mode = self._polling.get(endpoint)
        if mode is None:
            mode = self._polling[endpoint] = self.deployment.polling_for(endpoint)
        return mode

    @property
    def dependencies(self) -> list[ReplicaSet]:
        extra = [s for s in (self.uses_before, self.uses_after) if s is not None]
        return self.shards + extra

    async def process(self, request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        timeout = request.header.timeout_ms or self.deployment.timeout_send or None
        try:
            if self.uses_before is not None:
                request = await self._through(self.uses_before, request, timeout)
                if request.header.status.code == _ERROR:
                    return request
            endpoint = request.header.endpoint or "/default"
            if self.polling(endpoint) == "ALL":
                answers, failures = await self._all(request, timeout)
            else:
                answers, failures = await self._any(request, timeout)
        except HopFailure as failure:
            return _failed(request, failure.status())
        if not answers:
            first = failures[0][1]
            return first if isinstance(first, flowc_pb2.DataRequest) else _failed(request, first)
        if failures:
            names = ", ".join(f"shard {i} ({_why(f)})" for i, f in failures)
            log.warning("%s: continuing without failed shards: %s", self.deployment.name, names)
        response = await self._combine(request, [a for _, a in answers], timeout)
        if failures and response.header.status.code != _ERROR:
            response.header.status.description = (
                f"{len(failures)} of {len(self.shards)} shards failed: "
                + ", ".join(f"shard {i} ({_why(f)})" for i, f in failures))
        return response

    async def _through(self, target: ReplicaSet, request: flowc_pb2.DataRequest,
                       timeout: int | None) -> flowc_pb2.DataRequest:
        response = await target.process(request, timeout)
        if response.header.status.code == _ERROR:
            return response
        forward = flowc_pb2.DataRequest()
        forward.CopyFrom(request)
        forward.docs = response.docs
        del forward.docs_matrix[:]
        _merge_results(forward, [response])
        return forward

    async def _any(self, request: Any, timeout: int | None) -> tuple[list, list]:
        start = next(self._next)
        failures: list[tuple[int, Any]] = []
        for step in range(len(self.shards)):
            index = (start + step) % len(self.shards)
            try:
                answer = await self.shards[index].process(request, timeout)
            except HopFailure as failure:
                if failure.kind == "timeout":
                    raise
                failures.append((index, failure.status()))
                continue
            if answer.header.status.code == _ERROR:
                return [], [(index, answer)]  # the executor answered: no other shard is asked
            return [(index, answer)], []
        return [], failures

    async def _all(self, request: Any, timeout: int | None) -> tuple[list, list]:
        calls = [shard.process(request, timeout) for shard in self.shards]
        results = await asyncio.gather(*calls, return_exceptions=True)
        answers, failures = [], []
        for index, result in enumerate(results):
            if isinstance(result, HopFailure):
                failures.append((index, result.status()))
            elif isinstance(result, BaseException):
                raise result
            elif result.header.status.code == _ERROR:
                failures.append((index, result))
            else:
                answers.append((index, result))
        return answers, failures

    async def _combine(self, request: Any, answers: list, timeout: int | None) -> Any:
        if self.uses_after is not None:
            after = flowc_pb2.DataRequest()
            after.header.CopyFrom(request.header)
            after.parameters.CopyFrom(request.parameters)
            after.docs_matrix.extend(a.docs for a in answers)  # even one part (as in Jina)
            after.docs = docs_reduce.concat_bytes(a.docs for a in answers)
            response = await self.uses_after.process(after, timeout)
            if response.header.status.code != _ERROR:
                _merge_results(response, answers, keep_own=True)
            return response
        response = flowc_pb2.DataRequest()
        response.header.CopyFrom(answers[0].header)
        response.parameters.CopyFrom(request.parameters)
        response.docs = (answers[0].docs if len(answers) == 1
                         else docs_reduce.reduce_bytes([a.docs for a in answers]))
        _merge_results(response, answers)
        return response

    async def close(self) -> None:
        for target in self.dependencies:
            await target.close()


def _why(failure: Any) -> str:
    status = failure.header.status if isinstance(failure, flowc_pb2.DataRequest) else failure
    exc = status.exception
    return f"{exc.name}: {status.description}" if exc.name else status.description


def _failed(request: Any, status: flowc_pb2.Status) -> flowc_pb2.DataRequest:
    response = flowc_pb2.DataRequest()
    response.header.CopyFrom(request.header)
    response.header.status.CopyFrom(status)
    response.parameters.CopyFrom(request.parameters)
    return response


def _merge_results(target: Any, sources: Sequence[Any], keep_own: bool = False) -> None:
    """Merge every source's `__results__` into target's (target's own values win if keep_own)."""
    merged = None
    for source in sources:
        fields = source.parameters.fields
        if _RESULTS not in fields:
            continue
        if merged is None:
            merged = target.parameters.fields[_RESULTS].struct_value
        for key, value in fields[_RESULTS].struct_value.fields.items():
            if keep_own and key in merged.fields:
                continue
            merged.fields[key].CopyFrom(value)


def build_router(plan: Plan, name: str, shards: Sequence[Sequence[str]],
               uses_before: str | None = None, uses_after: str | None = None) -> ShardRouter:
    """The router for entry `name` from the plan and the addresses of its shards' replicas; its
    channels forward what its server accepts (the entry's `grpc_server_options`, wire.py)."""
    dep = plan.deployment(name)
    options = ServerSettings(dep.grpc_server_options).channel_options()

    def replica_set(label: str, addresses: list[str]) -> ReplicaSet:
        return ReplicaSet(f"{name}/{label}", addresses, retries=dep.retries,
                          timeout_ms=dep.timeout_send, options=options)

    sets = [replica_set(f"shard-{i}", list(addrs)) for i, addrs in enumerate(shards)]
    before = replica_set("uses_before", [uses_before]) if uses_before else None
    after = replica_set("uses_after", [uses_after]) if uses_after else None
    return ShardRouter(dep, sets, before, after)

