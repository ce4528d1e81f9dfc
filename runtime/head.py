"""The shard head of a deployment with `shards > 1` (`flowc-runtime head ...`).

For each request: `uses_before` first (when given), then the shards chosen by the endpoint's
polling (`ANY`: one shard, round robin, the next one if it cannot be reached; `ALL`: every shard at
once), then `uses_after` with `docs_matrix` (one list per answering shard, in shard order) or, without
it, a reduce in shard order (`reduce.py`). Replicas of a shard are balanced by its `ReplicaSet`.

Failed shards are tolerated while at least one answers: the response's status description and a
log line name the shards that failed. If none answers, the first failure is returned.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import sys
from pathlib import Path
from typing import Any, Sequence

from flowc.compiler.plan import Deployment, Plan

from . import reduce as docs_reduce
from .channels import HopFailure, ReplicaSet
from .gateway import EndpointsUnion, run_server
from .proto import flowc_pb2
from .topology import polling_for

log = logging.getLogger("flowc.head")
_ERROR = flowc_pb2.Status.ERROR
_RESULTS = "__results__"


class Head:
    """Routing of one sharded deployment (no gRPC server here: see `HeadServicer`)."""

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
            mode = self._polling[endpoint] = polling_for(self.deployment, endpoint)
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


class HeadServicer:
    """The `Flowc` service of a head: only the RPC methods."""

    def __init__(self, head: Head):
        self.head = head
        self._endpoints = EndpointsUnion(head.deployment.name, [head.shards[0]])

    async def Process(self, request: flowc_pb2.DataRequest, context: Any) -> flowc_pb2.DataRequest:
        return await self.head.process(request)

    async def Endpoints(self, request: Any, context: Any) -> flowc_pb2.EndpointsReply:
        try:
            return await self._endpoints.get()
        except HopFailure as failure:
            import grpc

            await context.abort(grpc.StatusCode.UNAVAILABLE, str(failure))


def build_head(plan: Plan, name: str, shards: Sequence[Sequence[str]],
               uses_before: str | None = None, uses_after: str | None = None) -> Head:
    """A Head for entry `name` from the plan and the addresses of its shards' replicas; its
    channels forward what its server accepts (the entry's `grpc_server_options`, wire.py)."""
    from .wire import ServerSettings

    dep = plan.deployment(name)
    options = ServerSettings(dep.grpc_server_options).channel_options()

    def replica_set(label: str, addresses: list[str]) -> ReplicaSet:
        return ReplicaSet(f"{name}/{label}", addresses, retries=dep.retries,
                          timeout_ms=dep.timeout_send, options=options)

    sets = [replica_set(f"shard-{i}", list(addrs)) for i, addrs in enumerate(shards)]
    before = replica_set("uses_before", [uses_before]) if uses_before else None
    after = replica_set("uses_after", [uses_after]) if uses_after else None
    return Head(dep, sets, before, after)


def parse_shards(text: str) -> list[list[str]]:
    """`--shards`: JSON `[[addr, ...] per shard]` (a string per shard means one replica)."""
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, list) or not data:
        raise ValueError("--shards must be a non-empty JSON list: [[address, ...] per shard]")
    shards = []
    for i, item in enumerate(data):
        addrs = [item] if isinstance(item, str) else item
        if not isinstance(addrs, list) or not addrs or not all(isinstance(a, str) for a in addrs):
            raise ValueError(f"--shards[{i}] must be a non-empty list of address strings")
        shards.append(addrs)
    return shards


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="flowc-runtime head",
        description="Serve the head of a sharded deployment: polling, uses_before/after, reduce.",
        epilog="example: flowc-runtime head --plan plan.json --deployment idx --port 8081 "
               "--shards '[[\"127.0.0.1:9001\"], [\"127.0.0.1:9002\"]]'")
    parser.add_argument("--plan", required=True)
    parser.add_argument("--deployment", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--shards", required=True, help="JSON [[addr, ...] per shard] or @FILE")
    parser.add_argument("--uses-before", default=None)
    parser.add_argument("--uses-after", default=None)
    parser.add_argument("--grace", type=float, default=10.0)
    from .loading import EnvFileError, add_env_from_file_option, apply_env_from_files

    add_env_from_file_option(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    try:
        apply_env_from_files(args.env_from_file)
    except EnvFileError as exc:
        print(f"flowc-runtime head: {exc}", file=sys.stderr)
        return 2
    try:
        plan = Plan.from_json(Path(args.plan).read_text(encoding="utf-8"))
        head = build_head(plan, args.deployment, parse_shards(args.shards),
                          args.uses_before, args.uses_after)
    except KeyError:
        print(f"flowc-runtime head: the plan has no entry {args.deployment!r}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"flowc-runtime head: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run_server(
        name=f"{args.deployment}/head", servicer=HeadServicer(head), host=args.host,
        port=args.port, grace=args.grace, dependencies=head.dependencies, on_close=head.close,
        server_options=plan.deployment(args.deployment).grpc_server_options))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
