"""The fork server of `flowc run` and the Python `Flow`: one process that has imported the
runtime once and forks every gateway, head and worker of the run from that state.

Why: each server used to start a Python of its own and import grpc, protobuf and the runtime
(0.25 s of CPU each on this 2-core machine, 40 MiB each). Forked from one parent, the servers
skip those imports and share the parent's pages copy-on-write; `gc.freeze()` before forking moves
the preloaded objects out of the collector's reach, so a collection in a child does not write to
(and so unshare) the pages they live on.

Safety: nothing here creates a gRPC channel or server, an event loop or a thread (gRPC is not
fork-safe once its core has started; a forked child starts it for itself). The executors' own
modules are never preloaded: a restart must load the code as it is now, and a module's import
may have side effects. Each child starts as `flowc-runtime ARGS` would (`runtime/__main__.py`),
in a session of its own, with its own environment, working directory and output pipe, and the
command line `python -m flowc.runtime ARGS` in `ps`; PR_SET_PDEATHSIG gives it SIGTERM when this
process dies, as this process gets it when the supervisor dies.

Protocol on the `SOCK_SEQPACKET` socket inherited as `argv[1]` (one JSON message a packet):
`{"ready": pid}` once preloaded; a spawn request `{"argv", "env", "cwd"}` with the child's
output pipe as an SCM_RIGHTS file descriptor, answered `{"pid": n}` or `{"error": text}`; and
`{"exit": pid, "code": n}` when a child ends (`n` as `subprocess.Popen.returncode`). End of file
on the socket: the supervisor is gone or done, so the fork server exits.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import traceback
from typing import Any

import setproctitle

PRELOAD = ("flowc.runtime.worker", "flowc.runtime.head", "flowc.runtime.gateway")
TITLE = "flowc forkserver"  # its own command line in `ps` (no `--plan`: it serves no Flow)
MAX_MESSAGE = 1 << 20


def die_with_parent() -> None:
    """SIGTERM from the kernel when the parent dies (PR_SET_PDEATHSIG), as supervisor.py does."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def preload() -> None:
    """Import what every server imports, then freeze it for the collector."""
    for name in PRELOAD:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    try:
        sock.send(json.dumps(message).encode())
    except OSError:
        pass  # the supervisor has closed its end: the loop reads end of file next


def serve(sock: socket.socket) -> int:
    """Fork a child per request and report every exit, until end of file on `sock`."""
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ, None)
    children: dict[int, int] = {}  # pidfd → pid
    _send(sock, {"ready": os.getpid()})
    while True:
        for key, _ in selector.select():
            if key.data is not None:  # a child's pidfd: it has ended
                pid = key.data
                selector.unregister(key.fd)
                os.close(key.fd)
                del children[key.fd]
                _, status = os.waitpid(pid, 0)
                _send(sock, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})
                continue
            try:
                data, fds, flags, _ = socket.recv_fds(sock, MAX_MESSAGE, 4)
            except OSError:
                data, fds = b"", []
            if not data:
                return 0
            if flags & socket.MSG_TRUNC:
                for fd in fds:
                    os.close(fd)
                _send(sock, {"error": "spawn request too long"})
                continue
            try:
                pid = _fork(json.loads(data), fds[0], sock, selector, list(children))
            except Exception as exc:  # bad request or fork failed: say so, keep serving
                _send(sock, {"error": f"{type(exc).__name__}: {exc}"})
            else:
                pidfd = os.pidfd_open(pid)
                children[pidfd] = pid
                selector.register(pidfd, selectors.EVENT_READ, pid)
                _send(sock, {"pid": pid})
            finally:
                for fd in fds:
                    os.close(fd)


def _fork(request: dict[str, Any], out: int, sock: socket.socket,
          selector: selectors.BaseSelector, pidfds: list[int]) -> int:
    args, env, cwd = list(request["argv"]), dict(request["env"]), str(request["cwd"])
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # the child: never returns into the server's loop
        os.setsid()
        die_with_parent()
        if os.getppid() != parent:  # the fork server died meanwhile
            os._exit(1)
        selector.close()
        sock.close()
        for fd in pidfds:  # its siblings' (the child's own does not exist yet)
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(null)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _title(" ".join([sys.executable, "-m", "flowc.runtime", *args]))
        code = _run(args)
    except BaseException:  # noqa: BLE001 - a child must end here, whatever happened
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code & 0xFF)
    return 0  # not reached


def _run(args: list[str]) -> int:
    """`flowc-runtime ARGS` in this process, exit code as the interpreter would give it."""
    from flowc.runtime import __main__ as runtime_main  # here: importing it runs nothing, but
    # the package's __main__ is only ever needed in a child

    sys.argv = [runtime_main.__file__, *args]
    try:
        code: Any = runtime_main.main(args)
    except SystemExit as exc:
        code = exc.code
    atexit._run_exitfuncs()
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _title(text: str) -> None:
    """`ps` and /proc/PID/cmdline show the child's command as if it had been started alone."""
    setproctitle.setproctitle(text)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    sock = socket.socket(fileno=int(args[0]))
    setproctitle.setproctitle(TITLE)  # before any fork: it makes room for the children's titles
    preload()
    return serve(sock)


if __name__ == "__main__":
    sys.exit(main())
