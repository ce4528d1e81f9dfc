"""Loopback ports for tests that start servers, chosen so that two servers never get one port.

Not a test module. Binding port 0 and closing the socket is racy twice over: the kernel may hand
the same number back at the next bind(0) (two servers of one test got one port and CI failed,
issue 8 §6), and the kernel gives ports of the ephemeral range to every outgoing connection of
every process, so a client may sit on the number before the server binds it. So ports come from
below the ephemeral range, from a start that differs per process (concurrent test runs), each
checked free by binding it, and none is handed out twice in one test run.
"""

from __future__ import annotations

import os
import socket
import threading

LOW, HIGH = 20000, 32000  # below Linux's ephemeral range (32768-60999 by default)

_lock = threading.Lock()
_given: set[int] = set()
_next = LOW + (os.getpid() * 7919) % (HIGH - LOW)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _candidates(step: int):
    """Start numbers from this process's cursor, wrapping round the range once."""
    global _next
    for _ in range((HIGH - LOW) // step):
        start = _next
        _next = start + step if start + 2 * step <= HIGH else LOW
        yield start


def free_port_block(count: int) -> int:
    """The first of `count` consecutive free ports (for commands that take a base port and
    count up from it), none handed out before in this run."""
    with _lock:
        for start in _candidates(count):
            block = range(start, start + count)
            if all(p not in _given and _bindable(p) for p in block):
                _given.update(block)
                return start
    raise RuntimeError(f"no {count} consecutive free loopback ports in {LOW}-{HIGH}")


def free_port() -> int:
    """One free port, never handed out before in this run."""
    return free_port_block(1)
