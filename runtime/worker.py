"""`flowc-runtime worker`: serve one executor replica over gRPC (grpc.aio).

    flowc-runtime worker --plan PLAN.json --deployment NAME [--role executor|uses_before|uses_after]
                         [--shard I] [--replica I] --port P [--host H] [--base-dir DIR] [--grace S]
                         [--env-from-file VAR=PATH ...]

`--env-from-file` (also on head and gateway) sets VAR to the file's content before the plan is
read, so secrets mounted as files (compose `/run/secrets`, systemd credentials) reach the
executor's substitution and code without appearing on a command line or in an artifact.

Serves the `Flowc` service (`WorkerServicer`) through `server.serve`, as heads and the gateway
do. The executor is built before the port opens; health turns SERVING once the server is up, then
`READY=1` goes to systemd when `NOTIFY_SOCKET` is set. SIGTERM/SIGINT: NOT_SERVING, stop
accepting, finish in-flight requests for at most `--grace` seconds (endpoint threads whose caller
has gone too: see `_WorkerLife.finish`), `close()` the executor, exit 0. A request whose deadline (its header's `timeout_ms`, or
the call's) passed while it queued is not executed (DEADLINE_EXCEEDED). An exception in
the executor's `__init__` exits 1 with its traceback (flowc's own frames left out) and a one-line
summary naming the executor. An exception listed in the entry's `exit_on_exceptions` answers its request with the ERROR status,
then stops the worker gracefully with exit code 1 (so a supervisor restarts it). With
`reload: true` the executor's Python files are watched and hot-reloaded (reloader.py).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import grpc

from flowc.compiler.plan import Plan

from .host import DeadlineExceeded, ExecutorHost, deadline_scope, expired_answer, wait_idle
from .loading import (EnvFileError, ExecutorLoadError, add_env_from_file_option,
                      apply_env_from_files, deployment_env, load_executor, print_user_traceback,
                      runtime_name)
from .jina_services import worker_services
from .observe import add_monitoring_option, observer_for
from .reloader import hot_reload
from .server import STOP_SIGNALS, Hooks, serve
from .stateful import (RaftPasswordError, add_raft_options, finish_raft_args, raft_settings,
                       start_stateful, take_password)
from .streaming import host_stream
from .streams import StreamServer
from .web import add_web_port_options, web_port_values, web_ports

_ABANDON = threading.Event()  # set when requests outlived the grace period


class _StoppedWhileLoading(BaseException):
    """SIGTERM/SIGINT arrived while the executor was being built: nothing to finish, exit 0."""


def _stop_while_loading(signum: int, frame: Any) -> None:
    raise _StoppedWhileLoading()


def log(name: str, message: str) -> None:
    """One plain line per event on stderr (the launcher prefixes it with the node's name)."""
    print(f"{name}: {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="flowc-runtime worker", description="Serve one executor replica over gRPC.",
        epilog="example: flowc-runtime worker --plan plan.json --deployment enc --port 8080")
    parser.add_argument("--plan", required=True, help="the plan JSON written by flowc build")
    parser.add_argument("--deployment", required=True, help="the Flow entry to serve")
    parser.add_argument("--role", default="executor",
                        choices=("executor", "uses_before", "uses_after"))
    parser.add_argument("--shard", type=int, default=0, help="shard id (default 0)")
    parser.add_argument("--replica", type=int, default=0, help="replica id (default 0)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--base-dir", default=None,
                        help="where executor files and py_modules are (default: the plan's dir)")
    parser.add_argument("--grace", type=float, default=10.0,
                        help="seconds to finish in-flight requests on SIGTERM (default 10)")
    add_web_port_options(parser)
    add_monitoring_option(parser)
    add_env_from_file_option(parser)
    add_raft_options(parser)
    return finish_raft_args(parser.parse_args(argv), parser)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    name = runtime_name(args.deployment, args.role, args.replica)
    try:  # secrets first: the executor's config is substituted with them (SPEC §2)
        apply_env_from_files(args.env_from_file)
    except EnvFileError as exc:
        log(name, f"cannot start: {exc}")
        return 1
    try:  # taken out of the environment before any executor code runs
        password = take_password() if args.raft_peers else ""
    except RaftPasswordError as exc:
        log(name, f"cannot start: {exc}")
        return 1
    plan_path = Path(args.plan)
    try:
        plan = Plan.from_json(plan_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log(name, f"cannot read plan {plan_path}: {exc}")
        return 1
    base_dir = Path(args.base_dir) if args.base_dir else plan_path.resolve().parent
    if args.deployment not in {d.name for d in plan.deployments}:
        log(name, f"cannot start: the plan has no deployment {args.deployment!r}")
        return 1
    name = runtime_name(args.deployment, args.role, args.replica, shard_id=args.shard,
                        shards=plan.deployment(args.deployment).shards)
    previous = {sig: signal.signal(sig, _stop_while_loading) for sig in STOP_SIGNALS}
    try:
        # The entry's `env:` is this process's environment, for the executor's code too.
        os.environ.update(deployment_env(plan.deployment(args.deployment), os.environ))
        executor = load_executor(plan, args.deployment, role=args.role, shard_id=args.shard,
                                 replica_id=args.replica, base_dir=base_dir)
    except _StoppedWhileLoading:
        log(name, "stopped before serving")
        return 0
    except ExecutorLoadError as exc:
        log(name, f"cannot start: {exc}")
        return 1
    except BaseException as exc:  # the user's __init__ (or module) failed: say who and why
        print_user_traceback(exc)
        log(name, f"executor {_class_name(plan, args.deployment, args.role)} failed to start: "
                  f"{type(exc).__name__}: {exc}")
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    try:  # a stateful replica: its Raft node's peers and data directory (stateful.py)
        raft = raft_settings(args, plan, executor, password)
    except OSError as exc:
        log(name, f"cannot start: {exc}")
        return 1
    try:  # monitoring and tracing (observe.py): None, and nothing imported, when off
        observer = observer_for(plan.deployment(args.deployment).observability, name=name,
                                kind="worker", host=args.host,
                                monitoring_port=args.monitoring_port)
    except OSError as exc:
        log(name, f"cannot serve metrics on {args.host}:{args.monitoring_port}: {exc}")
        return 1
    try:
        rebuild = None
        if plan.deployment(args.deployment).reload and raft is None:
            rebuild = functools.partial(load_executor, plan, args.deployment, role=args.role,
                                        shard_id=args.shard, replica_id=args.replica,
                                        base_dir=base_dir)
        code = asyncio.run(serve_executor(
            executor, name=name, host=args.host, port=args.port, grace=args.grace,
            options=_server_options(plan, args.deployment), rebuild=rebuild, raft=raft,
            web=web_port_values(args), observer=observer))
    except KeyboardInterrupt:
        code = 0
    if _ABANDON.is_set():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _class_name(plan: Any, deployment: str, role: str) -> str:
    """The executor as its entry names it. For an Executor YAML that is the file, not the
    class the plan recorded: the file may name another class by now (`restart: true`)."""
    try:
        dep = plan.deployment(deployment)
        ref = dep.executor if role == "executor" else getattr(dep, role)
        if ref.kind == "file" and ref.path:
            return f"from {ref.path} ({deployment})"
        return f"{ref.jtype or ref.image or '?'} ({deployment})"
    except (KeyError, AttributeError):
        return deployment


def _server_options(plan: Any, deployment: str) -> dict[str, Any]:
    """The entry's `grpc_server_options` (the defaults are wire.SERVER_DEFAULTS)."""
    try:
        return dict(plan.deployment(deployment).grpc_server_options or {})
    except KeyError:
        return {}


async def serve_executor(executor: Any, *, name: str, host: str, port: int, grace: float = 10.0,
                         options: Mapping[str, Any] | None = None,
                         rebuild: Callable[[], Any] | None = None, raft: Any = None,
                         web: dict[str, int] | None = None, observer: Any = None) -> int:
    """Serve `executor` until SIGTERM/SIGINT (or an `exit_on_exceptions` error); the exit code.
    `observer`: its monitoring and tracing (observe.py), None when off.

    With `rebuild` (a deployment with `reload: true`), the executor's code is watched and a
    new instance built by `rebuild()` replaces it after every change (see reloader.py). With
    `raft` (stateful.RaftSettings), `@write` requests go through a Raft log and the port opens
    once the replica has joined its cluster (see stateful.py)."""
    servicer = WorkerServicer(observed(ExecutorHost(executor, runtime_name=name), observer))
    if raft is not None:
        servicer.host = await start_stateful(servicer.host, raft,
                                             log=functools.partial(log, name))
        if servicer.host is None:
            return 1
    life = _WorkerLife(servicer, name=name, host=host, port=port, grace=grace, rebuild=rebuild)
    life.observer = observer

    async def dispatch(request: Any) -> Any:  # the current host: a reload replaces it
        return await servicer.host.process(request)

    ports = web_ports(web or {}, name=name, dispatch=dispatch,
                      endpoints=functools.partial(servicer.Endpoints, None, None), options={},
                      runner=servicer, stream=servicer.stream)
    code = await serve(servicer, name=name, host=host, port=port, grace=grace,
                       options=dict(options or {}), hooks=life.hooks(joins_raft=raft is not None),
                       web=ports, observer=observer)
    return life.exit_code or code


def observed(host: ExecutorHost, observer: Any) -> ExecutorHost:
    """`host` measured and traced by `observer`, its executor given Jina's `self.tracer`,
    `self.meter` and `self.monitor(...)`; unchanged when `observer` is None."""
    if observer is not None:
        host.observer = observer
        executor = host.executor
        executor.tracer, executor.meter = observer.tracer, observer.meter
        executor._flowc_observer = observer if observer.registry is not None or \
            observer.meter is not None else None
    return host


class _WorkerLife:
    """What a worker adds to `server.serve`: exit code 1 after an `exit_on_exceptions` error,
    the Raft join, the hot reload, waiting for endpoint threads, and `Executor.close()`."""

    def __init__(self, servicer: "WorkerServicer", *, name: str, host: str, port: int,
                 grace: float, rebuild: Callable[[], Any] | None) -> None:
        self.servicer, self.name, self.address = servicer, name, f"{host}:{port}"
        self.grace, self.rebuild = grace, rebuild
        self.stop = asyncio.Event()
        self.observer: Any = None  # a reloaded executor is observed as the first one
        self.exit_code = 0
        self.busy = 0  # requests in flight as the stop began
        self.stop_began = 0.0
        self._reloading: asyncio.Task | None = None
        servicer.host.on_fatal = self.fatal

    def hooks(self, joins_raft: bool) -> Hooks:
        # Jina's executor services too, so a Jina Flow can add this worker as external
        services = worker_services(self.name, self.servicer._process,
                                   functools.partial(self.servicer.Endpoints, None, None))
        return Hooks(prepare=self.join_raft if joins_raft else None, on_serving=self.on_serving,
                     stopping=self.stopping, finish=self.finish, close=self.close,
                     stop=self.stop, services=services)

    def fatal(self, exc: BaseException) -> None:
        self.exit_code = 1
        log(self.name, f"{type(exc).__name__} is listed in exit_on_exceptions: stopping")
        self.stop.set()

    def make_host(self, new_executor: Any) -> Any:
        made = observed(ExecutorHost(new_executor, runtime_name=self.name), self.observer)
        made.on_fatal = self.fatal
        return made

    async def join_raft(self, stop: asyncio.Event) -> bool:
        if await self.servicer.host.join(stop):
            return True
        log(self.name, "stopped before joining the Raft cluster")
        return False

    def on_serving(self, port: int) -> None:
        executor = self.servicer.host.executor
        endpoints = ", ".join(sorted(executor.requests)) or "none (passes every request through)"
        log(self.name, f"serving {type(executor).__name__} on {self.address}; "
                       f"endpoints: {endpoints}")
        if self.rebuild is not None:
            self._reloading = asyncio.create_task(hot_reload(
                self.servicer, self.rebuild, name=self.name, stop=self.stop,
                make_host=self.make_host, log=log, grace=self.grace))

    def stopping(self) -> None:
        if self._reloading is not None:
            self._reloading.cancel()
        self.stop_began = time.monotonic()
        host = self.servicer.host
        host.flush_batches()  # requests waiting for a batch run now, not after their timeout
        self.busy = max(host.inflight, host.busy_threads)

    async def finish(self, seconds_left: float) -> None:
        """gRPC's stop only waits for RPCs: an endpoint thread whose caller has gone (a router
        that stopped, a closed stream) still runs, so the host is waited for too, lest
        `close()` run beside it; then say how long the requests in flight really took."""
        host = self.servicer.host
        idle = await wait_idle(host, seconds_left)
        waited = time.monotonic() - self.stop_began
        if not idle:
            # A sync endpoint outlived the grace period; it cannot be interrupted, so do not
            # wait for it at interpreter exit either (see main).
            log(self.name, f"{max(host.inflight, host.busy_threads)} request(s) still running "
                           f"after {waited:.2f} s (grace {self.grace:g} s): abandoning them; "
                           "calling close() anyway")
            _ABANDON.set()
        elif self.busy:
            log(self.name, f"{self.busy} request(s) in flight finished after {waited:.2f} s")

    async def close(self) -> None:
        try:
            self.servicer.host.close()  # after the requests, or after the grace period
        except Exception as exc:  # close() failing must still end the process, but say so
            log(self.name, f"close() raised {type(exc).__name__}: {exc}")
            self.exit_code = self.exit_code or 1


def request_deadline(request: Any, context: Any = None) -> float | None:
    """When `request` must have started (`time.monotonic()`): its header's `timeout_ms` from
    now, or the gRPC call's own deadline if sooner; None without either."""
    limits = [request.header.timeout_ms / 1000] if request.header.timeout_ms else []
    remaining = context.time_remaining() if context is not None else None
    if remaining is not None:
        limits.append(remaining)
    return time.monotonic() + min(limits) if limits else None


class WorkerServicer:
    """The Flowc service: only its RPC methods (SPEC §5 behaviour lives in ExecutorHost)."""

    def __init__(self, host: Any) -> None:
        self.host = host  # replaced by a hot reload
        self.streams = StreamServer(self._process, name=host.runtime_name)

    async def _process(self, request: Any) -> Any:
        try:
            with deadline_scope(request_deadline(request)):
                return await self.host.process(request)
        except DeadlineExceeded as exc:
            self._expired(request, exc)
            return expired_answer(request, exc, self.host.runtime_name)

    async def Process(self, request: Any, context: Any) -> Any:
        try:
            with deadline_scope(request_deadline(request, context)):
                return await self.host.process(request)
        except DeadlineExceeded as exc:
            self._expired(request, exc)
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, str(exc))

    def _expired(self, request: Any, exc: Exception) -> None:
        log(self.host.runtime_name, f"{request.header.endpoint or '/default'} (request "
                                    f"{request.header.request_id or '?'}): {exc}")

    async def ProcessStream(self, requests: Any, context: Any) -> None:
        await self.streams.serve(requests, context)

    async def Endpoints(self, request: Any, context: Any) -> Any:
        # Schemas may import docarray: keep the event loop free for requests meanwhile.
        return await asyncio.to_thread(self.host.endpoints)

    async def StreamDoc(self, request: Any, context: Any) -> Any:
        async for answer in self.stream(request):
            yield answer

    def stream(self, request: Any) -> Any:
        """A streaming endpoint's answers (streaming.py), one per yielded document, from the
        current host (a reload replaces it). A stateful replica streams from its own executor:
        a stream is a read, never replicated."""
        return host_stream(getattr(self.host, "inner", self.host), request)


if __name__ == "__main__":
    sys.exit(main())
