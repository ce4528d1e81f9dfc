"""Health: the standard `grpc.health.v1.Health` service on every server, and the `health` command.

A server starts NOT_SERVING, turns SERVING once it can answer (the worker: once the executor is
constructed) and NOT_SERVING again when it begins a graceful stop. `flowc-runtime health ADDR`
is what container and compose health checks run: exit 0 when ADDR reports SERVING, else 1.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

import grpc
from grpc_health.v1 import _async as health_async, health_pb2, health_pb2_grpc

# The overall server ("") and the Flowc service by its full name both report the status.
SERVICE_NAMES = ("", "flowc.v1.Flowc")

# For channels that poll a server which may not listen yet: after a refused connection gRPC
# waits a full second (then 1.6 s, 2.6 s, ...) before trying again by default.
FAST_RECONNECT_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 20),
    ("grpc.min_reconnect_backoff_ms", 20),
    ("grpc.max_reconnect_backoff_ms", 200),
)


def parse_address(address: str) -> tuple[str, bool]:
    """(gRPC target, use TLS) for `host:port`, `grpc://host:port`, `grpcs://host:port` or
    `dns:///host:port` (kept as is: gRPC resolves it and balances over every address)."""
    address = address.strip()
    if address.startswith("grpcs://"):
        return address[len("grpcs://"):].rstrip("/"), True
    if address.startswith("grpc://"):
        return address[len("grpc://"):].rstrip("/"), False
    if "://" in address and not address.startswith("dns:"):
        scheme = address.split("://", 1)[0]
        raise ValueError(f"unsupported address scheme {scheme!r} in {address!r} "
                         "(use host:port, grpc://, grpcs:// or dns:///)")
    return address, False


def open_channel(address: str, *, aio: bool = False, options: Sequence[tuple] = ()) -> Any:
    """A gRPC channel (sync, or grpc.aio with `aio=True`) for one of the address forms above."""
    target, tls = parse_address(address)
    opts = list(options)
    if target.startswith("dns:"):
        opts.append(("grpc.lb_policy_name", "round_robin"))
    module = grpc.aio if aio else grpc
    if tls:
        return module.secure_channel(target, grpc.ssl_channel_credentials(), options=opts)
    return module.insecure_channel(target, options=opts)


async def add_health(server: Any) -> Any:
    """Register an asyncio health servicer on `server`, reporting NOT_SERVING until told."""
    servicer = health_async.HealthServicer()
    await set_serving(servicer, False)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    return servicer


async def set_serving(servicer: Any, serving: bool) -> None:
    status = (health_pb2.HealthCheckResponse.SERVING if serving
              else health_pb2.HealthCheckResponse.NOT_SERVING)
    for name in SERVICE_NAMES:
        await servicer.set(name, status)


def check(address: str, timeout: float = 2.0, service: str = "") -> str:
    """The status `address` reports ("SERVING", "NOT_SERVING", ...) or "UNREACHABLE: why"."""
    channel = open_channel(address)
    try:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    except grpc.RpcError as exc:
        return f"UNREACHABLE: {exc.code().name}: {exc.details()}"
    finally:
        channel.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="flowc-runtime health",
        description="Exit 0 when the server at ADDR reports SERVING (grpc.health.v1), else 1.",
        epilog="example: flowc-runtime health 127.0.0.1:8080 --timeout 1")
    parser.add_argument("address", metavar="ADDR",
                        help="host:port, grpc://host:port, grpcs://host:port or dns:///host:port")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds (default 2)")
    parser.add_argument("--service", default="", help="service name to check (default: server)")
    args = parser.parse_args(argv)
    try:
        status = check(args.address, args.timeout, args.service)
    except ValueError as exc:
        print(f"flowc-runtime health: {exc}", file=sys.stderr)
        return 2
    print(f"{args.address}: {status}")
    return 0 if status == "SERVING" else 1
