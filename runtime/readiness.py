"""How `flowc run` learns that a process it started is SERVING (launcher.py, restarter.py).

Every runtime server sends `READY=1` to `$NOTIFY_SOCKET` once SERVING (systemd's notify protocol):
the launcher hears it on a datagram socket of its own, with the sender's pid stamped by the kernel,
without importing grpc (which would take CPU from the children on a small machine). A process
silent for a while is asked over `grpc.health.v1` instead (`HealthProbe`).
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any


class HealthProbe:
    """`grpc.health.v1` checks over one reused channel per address (grpc imported lazily).

    Channels reconnect fast (`FAST_RECONNECT_OPTIONS`): gRPC's default backoff after a refused
    connection (1 s, then 1.6 s, ...) would otherwise dominate start-up time."""

    def __init__(self, timeout: float = 0.5):
        # grpc: 57 ms of `flowc run`'s start-up, which READY=1 often spares
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        from flowc.runtime.health import FAST_RECONNECT_OPTIONS, open_channel

        self._grpc, self._pb, self._stub_cls = grpc, health_pb2, health_pb2_grpc.HealthStub
        self._open = lambda address: open_channel(address, options=FAST_RECONNECT_OPTIONS)
        self._stubs: dict[str, Any] = {}
        self._channels: list[Any] = []
        self.timeout = timeout

    def serving(self, address: str) -> bool:
        if address not in self._stubs:
            channel = self._open(address)
            self._channels.append(channel)
            self._stubs[address] = self._stub_cls(channel)
        try:
            reply = self._stubs[address].Check(self._pb.HealthCheckRequest(service=""),
                                               timeout=self.timeout)
        except self._grpc.RpcError:
            return False
        return reply.status == self._pb.HealthCheckResponse.SERVING

    def close(self) -> None:
        for channel in self._channels:
            channel.close()


class LazyProbe:
    """A HealthProbe made on first use: start-ups that READY=1 answers never import grpc."""

    def __init__(self) -> None:
        self._probe: HealthProbe | None = None

    def serving(self, address: str) -> bool:
        if self._probe is None:
            self._probe = HealthProbe()
        return self._probe.serving(address)

    def close(self) -> None:
        if self._probe is not None:
            self._probe.close()


def notify_socket() -> socket.socket | None:
    """A datagram socket in the abstract namespace for systemd's notify protocol, named after
    this launcher (concurrent launchers never share one); the kernel stamps every message with
    its sender's pid (SO_PASSCRED). None where that is unavailable."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        sock.bind(f"\0flowc-run-{os.getpid()}-{id(sock):x}")
        sock.setblocking(False)
    except (OSError, AttributeError):
        sock.close()
        return None
    return sock


def notify_supported() -> bool:
    """Whether READY=1 can be heard here (else only health checks tell readiness)."""
    sock = notify_socket()
    if sock is None:
        return False
    sock.close()
    return True


def sender_pid(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(data) >= 4:
            return int.from_bytes(data[:4], sys.byteorder, signed=True)
    return None
