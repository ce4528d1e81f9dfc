"""Outgoing connections of the gateway and the head: address forms, replicas, retries, timeouts.

An entry (or a shard) is reached through a `ReplicaSet`: one gRPC channel per address, created
once and reused for every request. Several addresses are replicas balanced here, round robin; a
`dns:///name:port` address is one channel whose replicas gRPC itself balances (`round_robin` LB
policy, for Kubernetes headless Services); `grpcs://host:port` is a TLS channel.

Requests travel over one long-lived `ProcessStream` per replica (`streams.py`: far cheaper per
request than a unary call); a `dns:///` target keeps unary calls, since gRPC balances calls, not
the messages of one stream, and a server without `ProcessStream` is called unary.

A server that answers UNIMPLEMENTED to flowc's `Process` is a Jina Executor (an `external: true`
entry): the connection calls Jina's `process_single_data` from then on (jina_wire.py).

A call that cannot reach a replica (UNAVAILABLE) is retried on the next replica, `retries` times
(−1 means max(3, replicas)), within the hop's deadline (`timeout_send`, ms). An executor's own
error status is an answer, never retried. What fails is raised as `HopFailure`, which turns into
an error status naming the entry.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any, Sequence

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from .jina_wire import JinaCaller
from .proto import flowc_pb2, flowc_pb2_grpc
from .streams import StreamError, StreamHop
from .wire import MAX_MESSAGE_BYTES, RECEIVE, SEND, never_ran

# A router's channels carry what its server accepts (wire.ServerSettings.channel_options);
# a channel opened without options gets the servers' default limits.
MESSAGE_OPTIONS = ((SEND, MAX_MESSAGE_BYTES), (RECEIVE, MAX_MESSAGE_BYTES))
# Reconnect quickly after a replica (re)starts: gRPC's default first backoff is a full second,
# and at start-up the gateway usually dials a worker a few ms before it listens.
RECONNECT_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 20),
    ("grpc.min_reconnect_backoff_ms", 20),
    ("grpc.max_reconnect_backoff_ms", 2000),
)
STARTUP_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 10),
    ("grpc.min_reconnect_backoff_ms", 10),
    ("grpc.max_reconnect_backoff_ms", 50),
)
_ROUND_ROBIN = json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})


@dataclass(frozen=True)
class Target:
    """A parsed address: what gRPC dials, whether with TLS, whether gRPC balances it (dns)."""

    target: str
    tls: bool = False
    balanced: bool = False

    @property
    def display(self) -> str:
        return ("grpcs://" if self.tls else "") + self.target


def parse_address(address: str) -> Target:
    """`host:port`, `grpc://host:port`, `grpcs://host:port` or `dns:///name:port` (ValueError
    otherwise)."""
    text = address.strip()
    if text.startswith("dns:///"):
        rest = text[len("dns:///"):]
        _check_host_port(rest, address)
        return Target(text, tls=False, balanced=True)
    tls = False
    if text.startswith("grpcs://"):
        tls, text = True, text[len("grpcs://"):]
    elif text.startswith("grpc://"):
        text = text[len("grpc://"):]
    elif "://" in text:
        raise ValueError(f"address {address!r}: unsupported scheme (use host:port, grpc://, "
                         f"grpcs:// or dns:///)")
    _check_host_port(text, address)
    return Target(text, tls=tls)


def _check_host_port(text: str, original: str) -> None:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"address {original!r} is not host:port")


def open_channel(target: Target, options: Sequence[tuple[str, Any]] = ()) -> grpc.aio.Channel:
    """An asyncio channel for `target` (call inside the running event loop)."""
    given = {key for key, _ in options}
    opts = [o for o in MESSAGE_OPTIONS + RECONNECT_OPTIONS if o[0] not in given] + list(options)
    if target.balanced:
        opts.append(("grpc.service_config", _ROUND_ROBIN))
    if target.tls:
        return grpc.aio.secure_channel(target.target, grpc.ssl_channel_credentials(), options=opts)
    return grpc.aio.insecure_channel(target.target, options=opts)


class HopFailure(Exception):
    """A hop that gave no answer: unreachable after retries, or past its deadline."""

    def __init__(self, entry: str, kind: str, detail: str):
        self.entry, self.kind, self.detail = entry, kind, detail
        super().__init__(detail)

    def status(self) -> flowc_pb2.Status:
        """The error status a client sees: names the entry and what went wrong."""
        name = "TimeoutError" if self.kind == "timeout" else "ConnectionError"
        return flowc_pb2.Status(
            code=flowc_pb2.Status.ERROR,
            description=self.detail,
            exception=flowc_pb2.ExceptionInfo(name=name, args=[self.detail], executor=self.entry),
        )


class Connection:
    """One channel with its stubs, and the data stream over it (None: unary calls)."""

    __slots__ = ("target", "channel", "unary", "stream", "flowc_endpoints", "health", "jina")

    def __init__(self, target: Target, options: Sequence[tuple[str, Any]] = ()):
        self.target = target
        self.channel = open_channel(target, options)
        stub = flowc_pb2_grpc.FlowcStub(self.channel)
        self.unary = stub.Process
        self.stream = None if target.balanced else StreamHop(self.channel)
        self.flowc_endpoints = stub.Endpoints
        self.health = health_pb2_grpc.HealthStub(self.channel).Check
        self.jina: JinaCaller | None = None  # set once the far side proved to speak Jina only

    async def process(self, request: flowc_pb2.DataRequest,
                      timeout: float | None = None) -> flowc_pb2.DataRequest:
        """The answer; a failure raises an exception with `.code()` (AioRpcError, StreamError)."""
        if self.jina is not None:
            return await self.jina.process(request, timeout)
        if self.stream is not None:
            try:
                return await self.stream.process(request, timeout)
            except StreamError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                    self.stream = None  # a server without ProcessStream: unary from now on
                elif not exc.unsent:
                    raise
        try:
            return await self.unary(request, timeout=timeout)  # (a request no stream carried)
        except grpc.aio.AioRpcError as exc:
            if never_ran(exc):  # the server was stopping: another replica (or it, restarted)
                raise StreamError(grpc.StatusCode.UNAVAILABLE, "the server stopped before it "
                                  "took the call", unsent=True) from None
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
        # no Flowc service there: a Jina Executor (an `external: true` entry), from now on
        self.jina = JinaCaller(self.channel)
        return await self.jina.process(request, timeout)

    async def endpoints(self, name: str, timeout: float | None = None
                        ) -> flowc_pb2.EndpointsReply:
        """The far side's endpoints, from Jina's endpoint discovery when it speaks Jina."""
        if self.jina is None:
            try:
                return await self.flowc_endpoints(flowc_pb2.EndpointsRequest(), timeout=timeout)
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                    raise
            self.jina = JinaCaller(self.channel)
        return await self.jina.endpoints(name, timeout)

    async def close(self) -> None:
        if self.stream is not None:
            await self.stream.close()
        await self.channel.close()

    async def serving(self, timeout: float = 1.0) -> bool:
        try:
            reply = await self.health(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.aio.AioRpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING


def attempts_for(retries: int, replicas: int) -> int:
    """How many tries one call gets: 1 + retries, where −1 retries means max(3, replicas)."""
    if retries is None or retries < 0:
        retries = max(3, replicas)
    return 1 + retries


class ReplicaSet:
    """The replicas of one entry or shard, balanced round robin, with retries and a deadline."""

    def __init__(self, name: str, addresses: Sequence[str], *, retries: int = -1,
                 timeout_ms: int | None = None, options: Sequence[tuple[str, Any]] = ()):
        if not addresses:
            raise ValueError(f"{name}: no address to reach it")
        self.name = name
        self.targets = [parse_address(a) for a in addresses]
        self.retries = retries
        self.timeout_ms = timeout_ms if timeout_ms and timeout_ms > 0 else None
        self.attempts = attempts_for(retries, len(self.targets))
        self._options = tuple(options)
        self._connections: list[Connection] | None = None
        self._next = itertools.count()
        self.observer: Any = None  # observe.py: hops measured and traced when set


    @property
    def connections(self) -> list[Connection]:
        if self._connections is None:  # created lazily, inside the event loop
            self._connections = [Connection(t, self._options) for t in self.targets]
        return self._connections

    def describe(self) -> str:
        return ", ".join(t.display for t in self.targets)

    async def process(self, request: flowc_pb2.DataRequest,
                      timeout_ms: int | None = None) -> flowc_pb2.DataRequest:
        """Send `request` to one replica; retry others when unreachable; raise HopFailure."""
        if self.observer is None:
            return await self._process(request, timeout_ms)
        return await self.observer.hop(self.name, request,
                                       lambda sent: self._process(sent, timeout_ms))

    async def _process(self, request: flowc_pb2.DataRequest,
                       timeout_ms: int | None) -> flowc_pb2.DataRequest:
        conns = self.connections
        if not timeout_ms or timeout_ms < 0:
            timeout_ms = self.timeout_ms
        deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None
        start = next(self._next)
        last = ""
        timed_out = False
        for attempt in range(self.attempts):
            conn = conns[(start + attempt) % len(conns)]
            remaining = None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
            try:
                return await conn.process(request, timeout=remaining)
            except (grpc.aio.AioRpcError, StreamError) as exc:
                code = exc.code()
                if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                    timed_out = True
                    break
                if code != grpc.StatusCode.UNAVAILABLE:
                    raise HopFailure(self.name, "rpc",
                                     f"{self.name}: call to {conn.target.display} failed: "
                                     f"{code.name}: {exc.details()}") from None
                last = f"{conn.target.display}: {exc.details()}"
                if (attempt + 1) % len(conns) == 0 and attempt + 1 < self.attempts:
                    await asyncio.sleep(min(0.05 * (attempt + 1), 0.5))
        if timed_out:
            raise HopFailure(self.name, "timeout",
                             f"{self.name} did not answer within {timeout_ms} ms (timeout_send)")
        raise HopFailure(self.name, "unavailable",
                         f"{self.name} is unreachable after {self.attempts} attempt(s) "
                         f"({self.describe()}); last error: {last}")

    async def endpoints(self, timeout: float = 5.0) -> flowc_pb2.EndpointsReply:
        """The endpoints of the first replica that answers."""
        last: Exception | None = None
        for conn in self.connections:
            try:
                return await conn.endpoints(self.name, timeout=timeout)
            except grpc.aio.AioRpcError as exc:
                last = exc
        raise HopFailure(self.name, "unavailable", f"{self.name}: no replica answered the "
                         f"endpoint discovery ({last.details() if last else ''})")

    async def serving(self) -> bool:
        """True when every replica reports SERVING."""
        results = await asyncio.gather(*(c.serving() for c in self.connections))
        return all(results)

    async def close(self) -> None:
        if self._connections:
            await asyncio.gather(*(c.close() for c in self._connections))
        self._connections = None


async def wait_until_serving(sets: Sequence[ReplicaSet], *, first_delay: float = 0.005,
                             max_delay: float = 0.05) -> None:
    """Poll the health of every replica of every set until all are SERVING.

    Through probe channels of its own, which retry a refused connection every 10–50 ms: at
    start-up the replicas begin listening a moment after the router, and the sets' own channels
    (backing off up to 2 s) would notice late. Those are opened once every replica serves."""
    probes = {id(s): [Connection(t, STARTUP_OPTIONS) for t in s.targets] for s in sets}
    try:
        pending = list(sets)
        delay = first_delay
        while pending:
            states = await asyncio.gather(*(_all_serving(probes[id(s)]) for s in pending))
            pending = [s for s, ok in zip(pending, states) if not ok]
            if pending:
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_delay)
        # connect the sets' own channels now, all at once, rather than one by one on the first
        # request (a connection that is slow to come up only delays that request)
        ready = [c.channel.channel_ready() for s in sets for c in s.connections]
        await asyncio.wait_for(asyncio.gather(*ready), 1.0)
    except asyncio.TimeoutError:
        pass
    finally:
        await asyncio.gather(*(c.close() for conns in probes.values() for c in conns))


async def _all_serving(connections: Sequence[Connection]) -> bool:
    return all(await asyncio.gather(*(c.serving(timeout=0.5) for c in connections)))
