"""systemd readiness (`Type=notify`): send `READY=1` to `$NOTIFY_SOCKET` once serving.

A few lines of the standard library instead of a dependency. Without `NOTIFY_SOCKET` (not run by
systemd) every call is a no-op returning False.
"""

from __future__ import annotations

import os
import socket


def notify(state: str) -> bool:
    """Send `state` (e.g. "READY=1", "STOPPING=1") to systemd; True when it was sent."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
        return True
    except OSError:
        return False
