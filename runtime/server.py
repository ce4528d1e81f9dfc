"""The one server wiring of the gateway, the heads and the workers (`serve`).

Each of them brings only its servicer (the `Flowc` RPC methods) and a few `Hooks`; everything a
server does around its methods happens here, the same way for all three:

- message limits and the `so_reuseport` choice (`wire.ServerSettings`), every method registered
  through `wire.GuardedServer` (a malformed request is refused with one line, never a traceback);
- `grpc.health.v1` (`health.py`): NOT_SERVING until ready, then SERVING and `READY=1` to
  `$NOTIFY_SOCKET` (systemd `Type=notify`; `flowc run` listens the same way). A router is ready once
  every node it routes to is SERVING (`Hooks.dependencies`); meanwhile its port is open and a
  request waits (`HoldUntilServing`) instead of failing;
- SIGTERM/SIGINT (or `Hooks.stop`): STOPPING=1, NOT_SERVING, the streams drained, gRPC's
  `stop(grace)`, then `Hooks.finish` for work the answers did not wait for, `Hooks.close`, exit 0.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Sequence

from grpc_reflection.v1alpha import reflection

from .channels import ReplicaSet, wait_until_serving
from .health import add_health, set_serving
from .notify import notify
from .proto import flowc_pb2_grpc
from .streams import StreamServer
from .web import WebPort, WebServers
from .wire import GuardedServer, ServerSettings

HEALTH_SERVICE = "grpc.health.v1.Health"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
EARLY_WAIT = 10.0  # seconds a request sent before SERVING waits for it (see HoldUntilServing)


def say(name: str, message: str) -> None:
    """One plain line per event on stderr (`flowc run` prefixes it with the process's name)."""
    print(f"{name}: {message}", file=sys.stderr, flush=True)


async def _nothing(*_: Any) -> None:
    return None


@dataclass
class Hooks:
    """What one kind of server adds to `serve`; every hook is optional.

    - `dependencies`: the nodes a router calls (None: not a router, SERVING at once); a router
      is SERVING only once all of them are, and holds early requests (`HoldUntilServing`).
    - `prepare(stop)`: after the port is bound, before it accepts (a stateful worker joins its
      Raft cluster); False ends the server with exit code 0 (it was told to stop meanwhile).
    - `on_serving(port)`: once SERVING (says so; a worker starts its hot reload).
    - `stopping()`: as a stop begins, before anything is refused.
    - `finish(seconds left)`: after gRPC's stop, for work the answers did not wait for.
    - `close()`: last, also when the port cannot be bound.
    - `services(server)`: registers further services beside `Flowc` (Jina's,
      jina_services.py) and returns their full names; a router's `server.hold(seconds)` waits
      as `HoldUntilServing` does. The server then also serves gRPC reflection, which is how
      Jina's gateway finds what an executor serves."""

    dependencies: Sequence[ReplicaSet] | None = None
    prepare: Callable[[asyncio.Event], Awaitable[bool]] | None = None
    on_serving: Callable[[int], None] | None = None
    stopping: Callable[[], None] | None = None
    finish: Callable[[float], Awaitable[None]] = _nothing
    close: Callable[[], Awaitable[None]] = _nothing
    services: Callable[[Any], list[str]] | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)  # set by a signal, or by the server


async def serve(servicer: Any, *, name: str, host: str, port: int, grace: float = 10.0,
                options: dict[str, Any] | None = None, reuse_port: bool = False,
                hooks: Hooks | None = None, web: Sequence[WebPort] = (),
                observer: Any = None) -> int:
    """Serve `servicer` (the `Flowc` methods) with health until stopped; the exit code.

    `options` are the entry's `grpc_server_options` over wire.py's defaults. Without
    `reuse_port` a port already taken is an error, never silently shared with another server
    (gRPC's default would let two Flows split one port's requests). `web`: the HTTP/WebSocket
    ports served beside gRPC in this event loop (`web.WebServers`): bound with the gRPC port,
    started before SERVING (their apps need the nodes' endpoints), stopped first.
    `observer` (observe.py; None when off): its `/metrics` is announced, and it is flushed and
    closed last."""
    hooks = hooks or Hooks()
    try:
        return await _serve(servicer, name=name, host=host, port=port, grace=grace,
                            options=options, reuse_port=reuse_port, hooks=hooks, web=web,
                            observer=observer)
    finally:
        if observer is not None:
            observer.close()


async def _serve(servicer: Any, *, name: str, host: str, port: int, grace: float,
                 options: dict[str, Any] | None, reuse_port: bool, hooks: Hooks,
                 web: Sequence[WebPort], observer: Any) -> int:
    server = ServerSettings(options, fixed={"grpc.so_reuseport": int(reuse_port)}).server()
    guarded = GuardedServer(server, name)
    serving = asyncio.Event()
    router = hooks.dependencies is not None
    registered = HoldUntilServing(servicer, serving, name) if router else servicer
    flowc_pb2_grpc.add_FlowcServicer_to_server(registered, guarded)
    if hasattr(servicer, "StreamDoc"):  # streaming endpoints (streaming.py): workers, gateway
        flowc_pb2_grpc.add_FlowcStreamServicer_to_server(registered, guarded)
    health = await add_health(guarded)
    if hooks.services is not None:  # a router holds early requests of these services too
        guarded.hold = registered._wait if router else None
        _add_services(server, guarded, hooks.services)
    bound, reason = _bind(server, host, port)
    if not bound:
        say(name, f"cannot listen on {host}:{port} ({reason})")
        await hooks.close()
        return 1
    webs = WebServers(web, host, reuse_port=reuse_port)
    ok, reason = webs.bind()
    if not ok:
        say(name, reason)
        await hooks.close()
        return 1
    stop = hooks.stop
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    if hooks.prepare is not None and not await hooks.prepare(stop):
        await hooks.close()
        return 0
    await server.start()

    async def become_ready() -> None:
        await wait_until_serving(hooks.dependencies or ())
        if webs.ports:
            try:
                await webs.start()
            except Exception as exc:  # an app that cannot be built or served: say why, stop
                say(name, f"cannot serve {', '.join(p.protocol for p in webs.ports)}: "
                          f"{type(exc).__name__}: {exc}")
                failed.append(exc)
                stop.set()
                return
            for protocol, number in webs.bound_ports():
                say(name, f"{protocol.upper()} on {host}:{number}")
        if getattr(observer, "registry", None) is not None:
            say(name, f"metrics on http://{host}:{observer.metrics_port}/metrics")
        await set_serving(health, True)
        serving.set()
        if hooks.on_serving is not None:
            hooks.on_serving(bound)
        else:
            say(name, f"SERVING on {host}:{bound}")
        notify("READY=1")

    ready = None
    failed: list[BaseException] = []
    if router:
        say(name, f"listening on {host}:{bound}; NOT_SERVING until its nodes are SERVING")
        ready = loop.create_task(become_ready())
    else:
        await become_ready()
    await stop.wait()
    started = time.monotonic()
    if hooks.stopping is not None:
        hooks.stopping()
    say(name, f"stopping (finishing requests in flight, at most {grace:g} s)")
    if ready is not None:
        ready.cancel()
    notify("STOPPING=1")
    await webs.stop(grace)
    await health.enter_graceful_shutdown()
    registered.streams.drain()
    await server.stop(grace)
    await hooks.finish(max(0.0, grace - (time.monotonic() - started)))
    await hooks.close()
    say(name, f"stopped in {time.monotonic() - started:.2f} s")
    return 1 if failed else 0


def _add_services(server: Any, guarded: GuardedServer,
                  register: Callable[[Any], list[str]]) -> None:
    """Further services (guarded like `Flowc`), and reflection listing every service."""
    names = register(guarded)
    reflection.enable_server_reflection(
        sorted({*guarded.services, *names, HEALTH_SERVICE, reflection.SERVICE_NAME}), server)


def _bind(server: Any, host: str, port: int) -> tuple[int, str]:
    """(the port bound, or 0; why not). An IPv6 host is bracketed as gRPC wants it."""
    address = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError as exc:
        return 0, str(exc)
    return bound, "" if bound else "address in use or not available"


class HoldUntilServing:
    """A request that arrives while a router is still NOT_SERVING (its port opens before its
    nodes are up) waits until it is SERVING, at most EARLY_WAIT s (or its deadline), instead of
    failing at once, and instead of dialling nodes that do not listen yet (whose connections
    would then back off for seconds)."""

    def __init__(self, servicer: Any, serving: asyncio.Event, name: str):
        self.servicer = servicer
        self.serving = serving
        self.streams = StreamServer(self._streamed, name=name)

    async def _wait(self, remaining: float | None) -> None:
        if self.serving.is_set():
            return
        limit = EARLY_WAIT if remaining is None else max(0.0, min(EARLY_WAIT, remaining))
        try:
            await asyncio.wait_for(self.serving.wait(), limit)
        except asyncio.TimeoutError:
            pass  # go on: the hop's own error names what is not up

    async def Process(self, request: Any, context: Any) -> Any:
        await self._wait(context.time_remaining() if context is not None else None)
        return await self.servicer.Process(request, context)

    async def _streamed(self, request: Any) -> Any:
        timeout_ms = request.header.timeout_ms
        await self._wait(timeout_ms / 1000 if timeout_ms else None)
        return await self.servicer.Process(request, None)

    async def ProcessStream(self, requests: Any, context: Any) -> None:
        await self.streams.serve(requests, context)

    async def Endpoints(self, request: Any, context: Any) -> Any:
        await self._wait(context.time_remaining() if context is not None else None)
        return await self.servicer.Endpoints(request, context)

    async def StreamDoc(self, request: Any, context: Any) -> Any:
        await self._wait(context.time_remaining() if context is not None else None)
        async for answer in self.servicer.StreamDoc(request, context):
            yield answer


__all__ = ["EARLY_WAIT", "HoldUntilServing", "Hooks", "STOP_SIGNALS", "say", "serve"]
