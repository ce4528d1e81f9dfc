"""The supervisor's side of the fork server (`forkserver.py`): `ForkServer.spawn` starts a
`flowc-runtime` command as a child of the fork server and returns a `ForkedProcess`, which
answers what the supervisor asks of a `subprocess.Popen` (`pid`, `stdout`, `poll`, `wait`,
`send_signal`, `kill`, `returncode`).

Standard library only, no grpc: `flowc run` imports this before it compiles the Flow, and
`prestart()` starts the fork server then, so that its imports overlap the compilation.
`FLOWC_FORKSERVER=0` turns it off (every server is then its own `python -m flowc.runtime`, as
targets with one process per container or unit always are); a fork server that cannot start
turns it off for that supervisor, which then starts its processes as before.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from typing import Any, Callable

from .forkserver import MAX_MESSAGE, TITLE, die_with_parent

__all__ = ["ForkServer", "ForkServerError", "ForkedProcess", "discard", "enabled", "prestart",
           "take"]

ENV_SWITCH = "FLOWC_FORKSERVER"
START_TIMEOUT = 120.0  # seconds for the fork server's imports, on a loaded machine
DEAD_CODE = -signal.SIGTERM  # a child whose fork server died: PR_SET_PDEATHSIG's signal

_warm: "ForkServer | None" = None  # started by prestart(), taken by the first supervisor
_warm_lock = threading.Lock()


class ForkServerError(Exception):
    """The fork server cannot start or did not fork the process."""


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1") != "0"


def prestart(env: dict[str, str] | None = None) -> None:
    """Start a fork server now, for the next supervisor of this process to take."""
    global _warm
    if not enabled():
        return
    with _warm_lock:
        if _warm is None:
            _warm = ForkServer(env)


def discard() -> None:
    """Close a fork server `prestart()` started that no supervisor took."""
    global _warm
    with _warm_lock:
        forks, _warm = _warm, None
    if forks is not None:
        forks.close()


def take(env: dict[str, str] | None = None) -> "ForkServer":
    """The fork server `prestart()` started, else a new one; the caller owns it (close())."""
    global _warm
    with _warm_lock:
        forks, _warm = _warm, None
    return forks if forks is not None and forks.alive else ForkServer(env)


class ForkedProcess:
    """A child of the fork server, as the supervisor sees a `subprocess.Popen`."""

    def __init__(self, pid: int, stdout: Any, args: list[str]):
        self.pid = pid
        self.stdout = stdout
        self.args = args
        self.returncode: int | None = None
        self._done = threading.Event()
        self._pidfd_lock = threading.Lock()  # closed by the reader thread, used by signallers
        try:  # signals by pidfd: never to another process that reuses the number
            self._pidfd: int | None = os.pidfd_open(pid)
        except OSError:
            self._pidfd = None

    def _exited(self, code: int) -> None:
        with self._pidfd_lock:
            self.returncode = code
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        self._done.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        with self._pidfd_lock:
            if self.returncode is not None:
                return
            try:
                if self._pidfd is not None:
                    signal.pidfd_send_signal(self._pidfd, sig)
                else:
                    os.kill(self.pid, sig)
            except OSError:
                pass  # it has ended; its exit is on its way

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """One fork server process and its socket; `spawn` is safe from any thread."""

    def __init__(self, env: dict[str, str] | None = None):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1")
        env.pop("NOTIFY_SOCKET", None)  # each child gets its own environment with each spawn:
        env.pop("FLOWC_RAFT_PASSWORD", None)  # the fork server keeps neither (supervisor.py)
        self._sock = ours
        self._lock = threading.Lock()  # one spawn at a time: answers come in request order
        self._answer = threading.Condition()
        self._answers: list[dict[str, Any]] = []
        self._children: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}
        self.alive = True
        self.log: Callable[[str], None] = lambda line: None
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flowc.runtime.forkserver", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=die_with_parent,
                start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True, name="forkserver")
        self._reader.start()
        self._errors = threading.Thread(target=self._pump_errors, daemon=True)
        self._errors.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def spawn(self, args: list[str], *, env: dict[str, str], cwd: str) -> ForkedProcess:
        """Fork `flowc-runtime ARGS` (without the `flowc-runtime`); ForkServerError if not."""
        with self._lock:
            if not self.alive:
                raise ForkServerError("the fork server has exited")
            read, write = os.pipe()
            try:
                message = json.dumps({"argv": args, "env": env, "cwd": cwd}).encode()
                if len(message) >= MAX_MESSAGE:
                    raise ForkServerError("spawn request too long")
                socket.send_fds(self._sock, [message], [write])
            except OSError as exc:
                os.close(read)
                raise ForkServerError(f"the fork server does not answer: {exc}") from None
            finally:
                os.close(write)
            answer = self._next_answer()
            if "pid" not in answer:
                os.close(read)
                raise ForkServerError(answer.get("error", "the fork server has exited"))
            child = ForkedProcess(answer["pid"], os.fdopen(read, "rb"), args)
            with self._answer:
                self._children[child.pid] = child
                code = self._early_exits.pop(child.pid, None)
            if code is not None:
                child._exited(code)
            return child

    def _next_answer(self) -> dict[str, Any]:
        with self._answer:
            ok = self._answer.wait_for(lambda: self._answers or not self.alive, START_TIMEOUT)
            if self._answers:
                return self._answers.pop(0)
        if not ok:
            self.close()
        return {}

    def _read(self) -> None:
        """Answers to `spawn`, and every child's exit, until the fork server is gone."""
        while True:
            try:
                data = self._sock.recv(MAX_MESSAGE)
            except OSError:
                data = b""
            if not data:
                break
            message = json.loads(data)
            with self._answer:
                if "exit" in message:
                    child = self._children.pop(message["exit"], None)
                    if child is None:
                        self._early_exits[message["exit"]] = message["code"]
                    else:
                        child._exited(message["code"])
                elif "pid" in message or "error" in message:
                    self._answers.append(message)
                    self._answer.notify_all()
        with self._answer:
            self.alive = False
            self._answer.notify_all()
            orphans = list(self._children.values())
            self._children.clear()
        for child in orphans:  # PR_SET_PDEATHSIG stops them: wait, their code is lost with it
            _wait_gone(child)

    def _pump_errors(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.log(f"{TITLE} | {line}")

    def close(self, timeout: float = 5.0) -> None:
        """End the fork server (its children should be stopped first: they get SIGTERM)."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout)
        self._errors.join(timeout)
        self._sock.close()
        if self.process.stderr is not None:
            self.process.stderr.close()


def _wait_gone(child: ForkedProcess) -> None:
    """Mark `child` ended once its pidfd says so (it is no longer anyone's child we can wait)."""
    pidfd = child._pidfd
    if pidfd is not None:
        try:
            select.select([pidfd], [], [], 30.0)
        except OSError:
            pass
    child._exited(DEAD_CODE)
