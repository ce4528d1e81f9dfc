"""`flowc-runtime worker`: serve one executor replica over gRPC (grpc.aio).

    flowc-runtime worker --plan PLAN.json --deployment NAME [--role executor|uses_before|uses_after]
                         [--shard I] [--replica I] --port P [--host H] [--base-dir DIR] [--grace S]
                         [--env-from-file VAR=PATH ...]

`--env-from-file` (also on head and gateway) sets VAR to the file's content before the plan is
read, so secrets mounted as files (compose `/run/secrets`, systemd credentials) reach the
executor's substitution and code without appearing on a command line or in an artifact.

Serves the `Flowc` service (Process, Endpoints) and `grpc.health.v1`. The executor is built
before the port opens; health turns SERVING once the server is up, then `READY=1` goes to
systemd when `NOTIFY_SOCKET` is set. SIGTERM/SIGINT: NOT_SERVING, stop accepting, finish
in-flight requests for at most `--grace` seconds (endpoint threads whose caller has gone too: see
`drain`), `close()` the executor, exit 0. A request whose deadline (its header's `timeout_ms`, or
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
import traceback
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence


_ABANDON = threading.Event()  # set when requests outlived the grace period


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


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
    from .loading import add_env_from_file_option

    add_env_from_file_option(parser)
    from .stateful import add_raft_options, finish_raft_args

    add_raft_options(parser)
    return finish_raft_args(parser.parse_args(argv), parser)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from flowc.compiler.plan import Plan

    from .loading import (EnvFileError, ExecutorLoadError, apply_env_from_files, deployment_env,
                          load_executor, runtime_name)

    name = runtime_name(args.deployment, args.role, args.replica)
    try:  # secrets first: the executor's config is substituted with them (SPEC §2)
        apply_env_from_files(args.env_from_file)
    except EnvFileError as exc:
        log(name, f"cannot start: {exc}")
        return 1
    from .stateful import RaftPasswordError, raft_settings, take_password

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
    try:
        rebuild = None
        if plan.deployment(args.deployment).reload and raft is None:
            rebuild = functools.partial(load_executor, plan, args.deployment, role=args.role,
                                        shard_id=args.shard, replica_id=args.replica,
                                        base_dir=base_dir)
        code = asyncio.run(serve(executor, name=name, host=args.host, port=args.port,
                                 grace=args.grace, options=_server_options(plan, args.deployment),
                                 rebuild=rebuild, raft=raft))
    except KeyboardInterrupt:
        code = 0
    if _ABANDON.is_set():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def print_user_traceback(exc: BaseException) -> None:
    """The traceback of an executor that failed to start, without flowc's own frames (the
    loader's calls above the user's code say nothing to its author); in full if every frame is
    flowc's, since then the fault is flowc's."""
    import flowc.compiler

    mine = tuple(str(Path(path).resolve().parent) + os.sep
                 for path in (__file__, flowc.compiler.__file__))
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(mine):
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__, file=sys.stderr)


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


async def serve(executor: Any, *, name: str, host: str, port: int, grace: float = 10.0,
                options: Mapping[str, Any] | None = None,
                rebuild: Callable[[], Any] | None = None, raft: Any = None) -> int:
    """Serve `executor` until SIGTERM/SIGINT (or an `exit_on_exceptions` error); the exit code.

    With `rebuild` (a deployment with `reload: true`), the executor's code is watched and a
    new instance built by `rebuild()` replaces it after every change (see reloader.py). With
    `raft` (stateful.RaftSettings), `@write` requests go through a Raft log and the port opens
    once the replica has joined its cluster (see stateful.py)."""
    from .health import add_health, set_serving
    from .host import ExecutorHost
    from .notify import notify
    from .proto import flowc_pb2_grpc
    from .wire import GuardedServer, ServerSettings

    servicer = _Servicer(ExecutorHost(executor, runtime_name=name))
    if raft is not None:
        from .stateful import start_stateful

        servicer.host = await start_stateful(servicer.host, raft,
                                             log=functools.partial(log, name))
        if servicer.host is None:
            return 1
    server = ServerSettings(options).server()  # message limits: wire.py
    guarded = GuardedServer(server, name)  # malformed requests: INVALID_ARGUMENT, one line
    flowc_pb2_grpc.add_FlowcServicer_to_server(servicer, guarded)
    health = await add_health(guarded)
    try:
        bind = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
        server.add_insecure_port(bind)
    except RuntimeError as exc:
        log(name, f"cannot listen on {host}:{port}: {exc}")
        servicer.host.close()
        return 1
    stop = asyncio.Event()
    exit_code = 0
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)

    def fatal(exc: BaseException) -> None:
        nonlocal exit_code
        exit_code = 1
        log(name, f"{type(exc).__name__} is listed in exit_on_exceptions: stopping")
        stop.set()

    def make_host(new_executor: Any) -> Any:
        made = ExecutorHost(new_executor, runtime_name=name)
        made.on_fatal = fatal
        return made

    servicer.host.on_fatal = fatal
    if getattr(executor.runtime_args, "dynamic_batching", None):
        log(name, "dynamic_batching is not supported by flowc yet: requests are processed as "
                  "they arrive")
    if raft is not None and not await servicer.host.join(stop):
        servicer.host.close()
        log(name, "stopped before joining the Raft cluster")
        return exit_code
    await server.start()
    await set_serving(health, True)
    endpoints = ", ".join(sorted(executor.requests)) or "none (passes every request through)"
    log(name, f"serving {type(executor).__name__} on {host}:{port}; endpoints: {endpoints}")
    notify("READY=1")
    reloading = None
    if rebuild is not None:
        from .reloader import hot_reload

        reloading = asyncio.create_task(hot_reload(servicer, rebuild, name=name, stop=stop,
                                                   make_host=make_host, log=log, grace=grace))
    await stop.wait()
    if reloading is not None:
        reloading.cancel()
    started = time.monotonic()
    host_obj = servicer.host
    log(name, f"stopping (finishing requests in flight, at most {grace:g} s)")
    notify("STOPPING=1")
    await health.enter_graceful_shutdown()
    await drain(server, servicer, grace, started, name)
    try:
        host_obj.close()  # after the requests, or after the grace period (said above)
    except Exception as exc:  # close() failing must still end the process, but say so
        log(name, f"close() raised {type(exc).__name__}: {exc}")
        exit_code = exit_code or 1
    log(name, f"stopped in {time.monotonic() - started:.2f} s")
    return exit_code


async def drain(server: Any, servicer: "_Servicer", grace: float, started: float,
                name: str) -> None:
    """Stop accepting, let the requests in flight finish (at most `grace` s from `started`),
    and say how long that really took. gRPC's own stop only waits for RPCs: an endpoint thread
    whose caller has gone (a router that stopped, a closed stream) still runs, so the host is
    waited for too, lest `close()` run beside it."""
    from .host import wait_idle

    host = servicer.host
    busy = max(host.inflight, host.busy_threads)
    servicer.streams.drain()
    await server.stop(grace)
    idle = await wait_idle(host, max(0.0, grace - (time.monotonic() - started)))
    waited = time.monotonic() - started
    if not idle:
        # A sync endpoint outlived the grace period; it cannot be interrupted, so do not wait
        # for it at interpreter exit either (see main).
        log(name, f"{max(host.inflight, host.busy_threads)} request(s) still running after "
                  f"{waited:.2f} s (grace {grace:g} s): abandoning them; calling close() anyway")
        _ABANDON.set()
    elif busy:
        log(name, f"{busy} request(s) in flight finished after {waited:.2f} s")


def request_deadline(request: Any, context: Any = None) -> float | None:
    """When `request` must have started (`time.monotonic()`): its header's `timeout_ms` from
    now, or the gRPC call's own deadline if sooner; None without either."""
    limits = [request.header.timeout_ms / 1000] if request.header.timeout_ms else []
    remaining = context.time_remaining() if context is not None else None
    if remaining is not None:
        limits.append(remaining)
    return time.monotonic() + min(limits) if limits else None


class _Servicer:
    """The Flowc service: only its RPC methods (SPEC §5 behaviour lives in ExecutorHost)."""

    def __init__(self, host: Any) -> None:
        from .streams import StreamServer

        self.host = host  # replaced by a hot reload
        self.streams = StreamServer(self._process, name=host.runtime_name)

    async def _process(self, request: Any) -> Any:
        from .host import DeadlineExceeded, deadline_scope, expired_answer

        try:
            with deadline_scope(request_deadline(request)):
                return await self.host.process(request)
        except DeadlineExceeded as exc:
            self._expired(request, exc)
            return expired_answer(request, exc, self.host.runtime_name)

    async def Process(self, request: Any, context: Any) -> Any:
        from .host import DeadlineExceeded, deadline_scope

        try:
            with deadline_scope(request_deadline(request, context)):
                return await self.host.process(request)
        except DeadlineExceeded as exc:
            import grpc

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


if __name__ == "__main__":
    sys.exit(main())
