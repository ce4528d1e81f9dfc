"""`flowc-runtime worker`: serve one executor replica over gRPC (grpc.aio).

    flowc-runtime worker --plan PLAN.json --deployment NAME [--role executor|uses_before|uses_after]
                         [--shard I] [--replica I] --port P [--host H] [--base-dir DIR] [--grace S]

Serves the `Flowc` service (Process, Endpoints) and `grpc.health.v1`. The executor is built
before the port opens; health turns SERVING once the server is up, then `READY=1` goes to
systemd when `NOTIFY_SOCKET` is set. SIGTERM/SIGINT: NOT_SERVING, stop accepting, finish
in-flight requests for at most `--grace` seconds, `close()` the executor, exit 0. An exception in
the executor's `__init__` exits 1 with the traceback and a one-line summary naming the executor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import threading
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Sequence

# Unlimited message sizes (100 documents with embeddings easily exceed gRPC's 4 MiB default);
# no SO_REUSEPORT, so a second server on a taken port fails instead of silently sharing it.
SERVER_OPTIONS = (
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
    ("grpc.so_reuseport", 0),
)


_ABANDON = threading.Event()  # set when requests outlived the grace period


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
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from flowc.compiler.plan import Plan

    from .loading import ExecutorLoadError, load_executor, runtime_name

    name = runtime_name(args.deployment, args.role, args.replica)
    plan_path = Path(args.plan)
    try:
        plan = Plan.from_json(plan_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log(name, f"cannot read plan {plan_path}: {exc}")
        return 1
    base_dir = Path(args.base_dir) if args.base_dir else plan_path.resolve().parent
    try:
        executor = load_executor(plan, args.deployment, role=args.role, shard_id=args.shard,
                                 replica_id=args.replica, base_dir=base_dir)
    except ExecutorLoadError as exc:
        log(name, f"cannot start: {exc}")
        return 1
    except BaseException as exc:  # the user's __init__ (or module) failed: say who and why
        traceback.print_exc(file=sys.stderr)
        log(name, f"executor {_class_name(plan, args.deployment, args.role)} failed to start: "
                  f"{type(exc).__name__}: {exc}")
        return 1
    try:
        code = asyncio.run(serve(executor, name=name, host=args.host, port=args.port,
                                 grace=args.grace,
                                 options=_server_options(plan, args.deployment)))
    except KeyboardInterrupt:
        code = 0
    if _ABANDON.is_set():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _class_name(plan: Any, deployment: str, role: str) -> str:
    try:
        dep = plan.deployment(deployment)
        ref = dep.executor if role == "executor" else getattr(dep, role)
        return f"{ref.jtype or ref.path or ref.image or '?'} ({deployment})"
    except (KeyError, AttributeError):
        return deployment


def _server_options(plan: Any, deployment: str) -> list[tuple[str, Any]]:
    options = dict(SERVER_OPTIONS)
    try:
        options.update(plan.deployment(deployment).grpc_server_options or {})
    except KeyError:
        pass
    return sorted(options.items())


async def serve(executor: Any, *, name: str, host: str, port: int, grace: float = 10.0,
                options: Sequence[tuple[str, Any]] = SERVER_OPTIONS) -> int:
    """Serve `executor` until SIGTERM/SIGINT (or an `exit_on_exceptions` error); the exit code."""
    import grpc

    from .health import add_health, set_serving
    from .host import ExecutorHost
    from .notify import notify
    from .proto import flowc_pb2_grpc

    host_obj = ExecutorHost(executor, runtime_name=name)
    server = grpc.aio.server(options=list(options))
    flowc_pb2_grpc.add_FlowcServicer_to_server(_Servicer(host_obj), server)
    health = await add_health(server)
    try:
        server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as exc:
        log(name, f"cannot listen on {host}:{port}: {exc}")
        host_obj.close()
        return 1
    stop = asyncio.Event()
    exit_code = 0
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def fatal(exc: BaseException) -> None:
        nonlocal exit_code
        exit_code = 1
        log(name, f"{type(exc).__name__} is listed in exit_on_exceptions: stopping")
        stop.set()

    host_obj.on_fatal = fatal
    await server.start()
    await set_serving(health, True)
    endpoints = ", ".join(sorted(executor.requests)) or "none (passes every request through)"
    log(name, f"serving {type(executor).__name__} on {host}:{port}; endpoints: {endpoints}")
    notify("READY=1")
    await stop.wait()
    started = time.monotonic()
    log(name, f"stopping (finishing requests in flight, at most {grace:g} s)")
    notify("STOPPING=1")
    await health.enter_graceful_shutdown()
    await server.stop(grace)
    if host_obj.busy_threads:
        # A sync endpoint outlived the grace period; it cannot be interrupted, so do not wait
        # for it at interpreter exit either (see main).
        log(name, f"{host_obj.busy_threads} request(s) still running after {grace:g} s: "
                  "abandoning them")
        _ABANDON.set()
    try:
        host_obj.close()
    except Exception as exc:  # close() failing must still end the process, but say so
        log(name, f"close() raised {type(exc).__name__}: {exc}")
        exit_code = exit_code or 1
    log(name, f"stopped in {time.monotonic() - started:.2f} s")
    return exit_code


class _Servicer:
    """The Flowc service: only its RPC methods (SPEC §5 behaviour lives in ExecutorHost)."""

    def __init__(self, host: Any) -> None:
        self._host = host

    async def Process(self, request: Any, context: Any) -> Any:
        return await self._host.process(request)

    async def Endpoints(self, request: Any, context: Any) -> Any:
        # Schemas may import docarray: keep the event loop free for requests meanwhile.
        return await asyncio.to_thread(self._host.endpoints)


if __name__ == "__main__":
    sys.exit(main())
