"""The web ports (HTTP, WebSocket) a gateway or worker serves beside gRPC, in the same process and
event loop: `WebPort` says what to serve, `WebServers` binds, starts and stops them for
`server.serve()`.

Each protocol's app comes from a builder in `APPS` (`build_app(ctx: WebContext) -> ASGI app`),
served by uvicorn (`uvicorn.Server(config).serve(sockets=...)` as a task). The sockets are bound
when the gRPC port is, so a taken port is one line and exit 1 like gRPC's; the apps are built
once the server's nodes are SERVING, because the routes and the OpenAPI document come from the
endpoints the executors publish (endpoint discovery).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import socket
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence

from .proto import flowc_pb2

__all__ = ["APPS", "Dispatch", "HTTP_EXTENSIONS", "WebContext", "WebPort", "WebServers"]

# One request into the graph, its answer back: `GraphRunner.run` (gateway), `ExecutorHost.process`
# (a worker). An executor's error comes back as a status; a network failure raises HopFailure.
Dispatch = Callable[[flowc_pb2.DataRequest], Awaitable[flowc_pb2.DataRequest]]

# protocol → "module:function" building its ASGI app from a WebContext
APPS: dict[str, str] = {
    "http": "flowc.runtime.http_gateway:build_app",
    "websocket": "flowc.runtime.ws_gateway:build_app",
}
# "module:function" called as fn(app, ctx) after the HTTP app's POST routes (e.g. `/stream`)
HTTP_EXTENSIONS: list[str] = ["flowc.runtime.ws_gateway:add_streaming_routes"]


@dataclass
class WebContext:
    """What an app builder gets: who serves, how to run a request, what the executors expose."""

    name: str  # the server's runtime name ('gateway', 'enc/rep-0'), for errors and logs
    protocol: str  # 'http' | 'websocket'
    dispatch: Dispatch
    endpoints: list  # web_docs.EndpointModels, sorted by endpoint
    options: dict = field(default_factory=dict)  # title, description, cors, expose_endpoints, ...
    runner: Any = None  # the GraphRunner (gateway) or ExecutorHost (worker), for extensions
    # the names of the nodes not SERVING now (`GET /dry_run`); None: nothing to ask (a worker)
    not_ready: Callable[[], Awaitable[list[str]]] | None = None
    # a streaming endpoint's answers (streaming.py): the gateway's StreamRoute.stream, a
    # worker's WorkerServicer.stream; None: the server does not stream
    stream: Callable[[flowc_pb2.DataRequest], AsyncIterator[flowc_pb2.DataRequest]] | None = None


@dataclass
class WebPort:
    """One web port: its protocol, where it listens, and how its context is made once SERVING."""

    protocol: str
    port: int
    context: Callable[[], Awaitable[WebContext]]
    uvicorn: dict = field(default_factory=dict)  # ssl_certfile, ssl_keyfile, uvicorn_kwargs


def load(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


class WebServers:
    """The web ports of one server: bound early, started once SERVING, stopped first."""

    def __init__(self, ports: Sequence[WebPort], host: str, reuse_port: bool = False):
        self.ports = list(ports)
        self.host = host
        self.reuse_port = reuse_port  # a second gateway on the same ports (`flowc run` swaps)
        self.sockets: list[socket.socket] = []
        self.servers: list[Any] = []
        self.tasks: list[asyncio.Task] = []

    def bind(self) -> tuple[bool, str]:
        """Bind every port (SO_REUSEADDR only, never shared); (ok, what failed and why)."""
        for port in self.ports:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self.reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            # inherited by accepted connections: uvicorn writes a response's head and body
            # separately, and Nagle would hold the body for the client's delayed ACK (40 ms)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                sock.bind((self.host.strip("[]"), port.port))
            except OSError as exc:
                sock.close()
                self.close()
                return False, f"cannot listen on {self.host}:{port.port} for {port.protocol} " \
                              f"({exc.strerror or exc})"
            sock.listen(2048)
            sock.setblocking(False)
            self.sockets.append(sock)
        return True, ""

    def bound_ports(self) -> list[tuple[str, int]]:
        return [(p.protocol, s.getsockname()[1]) for p, s in zip(self.ports, self.sockets)]

    async def start(self) -> None:
        """Build each app (endpoint discovery) and serve it; returns once every one listens."""
        # imported here: uvicorn and FastAPI cost ~0.3 s, only servers with a web port pay it
        import uvicorn

        for port, sock in zip(self.ports, self.sockets):
            ctx = await port.context()
            app = load(APPS[port.protocol])(ctx)
            options = dict(port.uvicorn.get("uvicorn_kwargs") or {})
            for key in ("ssl_certfile", "ssl_keyfile"):
                if port.uvicorn.get(key):
                    options[key] = port.uvicorn[key]
            options.setdefault("log_level", "warning")
            options.setdefault("access_log", False)
            config = uvicorn.Config(app, lifespan="off", **options)
            server = uvicorn.Server(config)
            server.install_signal_handlers = lambda: None  # serve() owns SIGTERM/SIGINT
            self.servers.append(server)
            self.tasks.append(asyncio.get_running_loop().create_task(
                server.serve(sockets=[sock])))
        while not all(s.started or t.done() for s, t in zip(self.servers, self.tasks)):
            await asyncio.sleep(0.005)
        for task in self.tasks:
            if task.done() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def stop(self, grace: float) -> None:
        """Stop accepting, finish requests in flight for at most `grace` seconds."""
        for server in self.servers:
            server.should_exit = True
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=max(grace, 0.1))
            for server in self.servers:
                server.force_exit = True
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        self.close()

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets = []


def web_ports(ports: dict[str, int], *, name: str, dispatch: Dispatch,
              endpoints: Callable[[], Awaitable[flowc_pb2.EndpointsReply]], options: dict,
              runner: Any = None,
              not_ready: Callable[[], Awaitable[list[str]]] | None = None,
              stream: Any = None) -> list[WebPort]:
    """The WebPorts of a gateway or worker from its `--http-port`/`--websocket-port` values
    (`ports`: {protocol: port}); `endpoints()` is its endpoint discovery, asked once SERVING."""

    async def context(protocol: str) -> WebContext:
        reply = await endpoints()
        # imported here: web_docs imports docarray, needed only once a web port starts; the
        # document classes are built off the event loop (pydantic model creation)
        from .web_docs import endpoint_models

        models = await asyncio.to_thread(endpoint_models, reply)
        return WebContext(name=name, protocol=protocol, dispatch=dispatch, endpoints=models,
                          options=options, runner=runner, not_ready=not_ready, stream=stream)

    server_options = {k: options.get(k) for k in ("uvicorn_kwargs", "ssl_certfile", "ssl_keyfile")}
    return [WebPort(protocol, number, functools.partial(context, protocol), server_options)
            for protocol, number in ports.items() if number is not None]


def add_web_port_options(parser: Any) -> None:
    """`--http-port` / `--websocket-port` (compiler/argv.py writes them from the port purposes)."""
    for protocol in APPS:
        parser.add_argument(f"--{protocol}-port", type=int, default=None,
                            help=f"serve {protocol.upper()} on this port too (beside gRPC)")


def web_port_values(args: Any) -> dict[str, int]:
    """{protocol: port} of the `--<protocol>-port` options given."""
    return {p: getattr(args, f"{p}_port") for p in APPS
            if getattr(args, f"{p}_port", None) is not None}
