"""The supervisor of `flowc run` and of the Python `Flow`: start a Flow's processes, know when each
is SERVING, restart one that exits after start-up, stop them all in order.

It executes a launch plan (`launch_plan.py`). Every process is started at once, its output
prefixed with its name; the supervisor waits until each server is SERVING (its `READY=1` on the
supervisor's notification socket, as systemd's `Type=notify` hears it; `grpc.health.v1` for one
silent after a second: `readiness.py`), restarts a process that crashes after start-up (with
backoff: `Backoff`), and stops the gateway first, then heads, then workers — and kills nothing
it did not start, and leaves nothing behind: children also get SIGTERM from the kernel if the
supervisor's process dies (PR_SET_PDEATHSIG). Children run in a session of their own, so a
Ctrl-C in the terminal reaches `flowc run` alone, which stops them in that order (a worker
stopping beside its gateway would refuse the hops the gateway still has to send). A restart of
deployments (restarter.py) swaps processes on the supervisor's thread (`Supervisor.on_tick`).
"""

from __future__ import annotations

import ctypes
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from . import forked
from .forked import ForkedProcess
from .readiness import HealthProbe, LazyProbe, notify_socket, sender_pid

__all__ = ["Backoff", "Child", "LaunchError", "Supervisor", "free_ports"]

STOP_ORDER = ("gateway", "head", "worker")
RESTART_BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)  # seconds before the 1st, 2nd, ... quick restart
BACKOFF_RESET = 3.0  # a process SERVING this long before it exits restarts after the 1st delay
DEFAULT_READY_TIMEOUT = 600.0
PROBE_AFTER = 1.0  # seconds without READY=1 before health checks are used as well
RAFT_PASSWORD_ENV = "FLOWC_RAFT_PASSWORD"  # = flowc.runtime.stateful.PASSWORD_ENV (not imported)


class LaunchError(Exception):
    """Start-up failed: a process exited or did not become healthy in time."""


@dataclass
class Child:
    name: str
    kind: str
    port: int
    argv: list[str]
    popen: "subprocess.Popen | ForkedProcess | None" = None
    restarts: int = 0
    ready: bool = False
    pumps: list[threading.Thread] = field(default_factory=list)
    last_line: str = ""  # its latest log line: why it exited, for the start-up error
    retired: bool = False  # being stopped on purpose (replaced by a restart): not restarted
    spawned_at: float = 0.0  # time.monotonic() of the latest start
    serving_since: float | None = None  # when it was last seen SERVING (None: not since start)
    exited_at: float | None = None  # when its latest exit was noticed (a restart's downtime)


@dataclass(frozen=True)
class Backoff:
    """How long to wait before restarting a process that exited after start-up.

    Consecutive quick crashes wait `delays[0]`, `delays[1]`, ... (the last one repeats); a
    process that was SERVING for at least `reset_after` seconds before it exited counts as
    healthy, so its restart starts again from the first delay: occasional crashes of a process
    that otherwise serves are never penalised for the crashes of an hour ago."""

    delays: tuple[float, ...] = RESTART_BACKOFF
    reset_after: float = BACKOFF_RESET

    def pause(self, child: "Child", now: float) -> float:
        """The delay before `child`'s next restart (it exited at `now`); counts the restart."""
        if child.serving_since is not None and now - child.serving_since >= self.reset_after:
            child.restarts = 0
        pause = self.delays[min(child.restarts, len(self.delays) - 1)]
        child.restarts += 1
        return pause


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports the kernel says are free now (sockets held until all are chosen)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def raft_password() -> str:
    """A fresh Raft password for one run: only the run's replicas know it (their environment),
    so nothing else on the machine can talk to their Raft ports."""
    return secrets.token_urlsafe(32)


def _runtime_argv(argv: list[str]) -> list[str]:
    """Run `flowc-runtime` with this interpreter, so the supervisor and its children agree."""
    if argv and argv[0] == "flowc-runtime":
        return [sys.executable, "-m", "flowc.runtime", *argv[1:]]
    return argv


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Supervisor:
    """Starts, watches, restarts and stops the processes of one launch plan."""

    def __init__(self, launch: dict[str, Any], *, cwd: Path, out: TextIO = sys.stderr,
                 ready_timeout: float = DEFAULT_READY_TIMEOUT, quiet: bool = False,
                 backoff: Backoff = Backoff()):
        self.children = [Child(p["name"], p["kind"], p["port"], list(p["argv"]))
                         for p in launch["processes"]]
        self.gateway = launch["gateway"]
        self.cwd = cwd
        self.out = out
        self.quiet = quiet
        self.ready_timeout = ready_timeout
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._notify: socket.socket | None = None  # where READY=1 arrives, during start-up
        self._supervising: socket.socket | None = None  # where restarted processes send it
        self._prober = LazyProbe()  # for restarted processes silent after PROBE_AFTER s
        self.backoff = backoff
        self.on_tick: Callable[[], None] | None = None  # run by watch() (restart, Flow reload)
        self._raft_password = raft_password()  # for the stateful replicas of this run only
        self._forks: forked.ForkServer | bool | None = None  # None: not started yet; False: off

    @property
    def address(self) -> str:
        return f"{self.gateway['host']}:{self.gateway['port']}"

    # -- start-up ---------------------------------------------------------------------------
    def start(self) -> None:
        try:
            self.spawn_ready(self.children, self.ready_timeout)
        except BaseException:
            self.stop()
            raise

    def spawn_ready(self, children: list[Child], timeout: float, *, probe: bool = True) -> None:
        """Start `children` and return once each is SERVING; LaunchError names one that exits
        or is late. `probe=False` trusts READY=1 alone: a gateway started beside the one it
        replaces shares its port, where a health check could be answered by the old one."""
        self._notify = notify_socket()
        try:
            for child in children:
                child.ready = False
                self._spawn(child)
            self._wait_ready(children, timeout, probe)
            now = time.monotonic()
            for child in children:
                child.serving_since = now
        finally:  # a process restarted after a crash tells watch()'s own socket
            if self._notify is not None:
                self._notify.close()
                self._notify = None

    def _spawn(self, child: Child, notify: socket.socket | None = None) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop("NOTIFY_SOCKET", None)  # READY=1 is ours to hear, not our own supervisor's (systemd's)
        env.pop(RAFT_PASSWORD_ENV, None)
        if "--raft-peers" in child.argv:
            env[RAFT_PASSWORD_ENV] = self._raft_password
        notify = notify or self._notify
        if notify is not None:
            env["NOTIFY_SOCKET"] = "@" + notify.getsockname()[1:].decode()
        child.ready, child.serving_since = False, None
        child.spawned_at = time.monotonic()
        child.popen = self._forked(child, env) or subprocess.Popen(
            _runtime_argv(child.argv), cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
            start_new_session=True)  # a session of its own: see the module's docstring
        pump = threading.Thread(target=self._pump, args=(child, child.popen), daemon=True)
        pump.start()
        child.pumps.append(pump)

    def _forked(self, child: Child, env: dict[str, str]) -> ForkedProcess | None:
        """`child` forked by the run's fork server (forked.py), or None: not a `flowc-runtime`
        command, the fork server is off (FLOWC_FORKSERVER=0), or neither it nor a new one (it
        died: its children died with it and are being restarted) can fork (said once)."""
        if not child.argv or child.argv[0] != "flowc-runtime" or self._forks is False:
            return None
        if not forked.enabled():
            self._forks = False
            return None
        for _ in range(2):
            if not isinstance(self._forks, forked.ForkServer):
                self._forks = forked.take()
                self._forks.log = self._say
            try:
                return self._forks.spawn(child.argv[1:], env=env, cwd=str(self.cwd))
            except forked.ForkServerError as exc:
                self._forks.close()
                self._forks, error = None, exc
        self.log(f"the fork server failed ({error}); starting each process on its own")
        self._forks = False
        return None

    def _pump(self, child: Child, popen: subprocess.Popen) -> None:
        assert popen.stdout is not None
        for raw in popen.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if line.strip():
                child.last_line = line
            if not self.quiet:
                self._say(f"{child.name} | {line}")

    def log(self, message: str) -> None:
        """One line of the supervisor's own (`flowc run: ...`), between the processes' lines."""
        self._say(f"flowc run: {message}")

    def _say(self, line: str) -> None:
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def _wait_ready(self, children: list[Child], timeout: float, probe: bool) -> None:
        prober = LazyProbe()
        try:
            self._poll_until_ready(prober, children, timeout, probe)
        finally:
            prober.close()

    def _poll_until_ready(self, prober: "HealthProbe | LazyProbe", children: list[Child],
                          timeout: float, probe: bool = True) -> None:
        """Every runtime server sends READY=1 to its notification socket once SERVING: that is
        heard at once, without importing grpc here (which would take CPU from the children on a
        small machine). A process silent for PROBE_AFTER seconds is asked over grpc.health.v1."""
        started = time.monotonic()
        deadline = started + timeout
        last_report = ""
        while not self.stopping.is_set():
            probing = probe and (time.monotonic() - started > PROBE_AFTER or self._notify is None)
            for child in children:
                code = child.popen.poll() if child.popen else None
                if code is not None:
                    raise LaunchError(f"{child.name} exited with code {code} during start-up"
                                      + self._why(child))
                if not child.ready and probing:
                    child.ready = prober.serving(f"{self.gateway['host']}:{child.port}")
            waiting = [c.name for c in children if not c.ready]
            if not waiting:
                return
            report = f"waiting for {len(waiting)}/{len(children)}: {', '.join(waiting[:4])}"
            if report != last_report and not self.quiet and self.out.isatty():
                self._say(report)
                last_report = report
            if time.monotonic() > deadline:
                raise LaunchError(f"not ready after {timeout:.0f} s: {', '.join(waiting)}")
            self._hear_ready(children, 0.05)

    def _hear_ready(self, children: list[Child], timeout: float,
                    sock: socket.socket | None = None) -> None:
        """Wait at most `timeout` s for READY=1 datagrams; mark their senders ready."""
        sock = sock or self._notify
        if sock is None:
            time.sleep(timeout)
            return
        select.select([sock], [], [], timeout)
        by_pid = {c.popen.pid: c for c in children if c.popen is not None}
        while True:
            try:
                message, ancillary, _, _ = sock.recvmsg(
                    4096, socket.CMSG_SPACE(12))  # struct ucred: pid, uid, gid
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            child = by_pid.get(sender_pid(ancillary))
            if child is not None and b"READY=1" in message.split(b"\n"):
                child.ready = True

    @staticmethod
    def _why(child: Child) -> str:
        """': <its last log line>' once its output is read to the end (the reason it gave)."""
        for pump in child.pumps:
            pump.join(timeout=2)
        line = child.last_line
        if line.startswith(f"{child.name}: "):
            line = line[len(child.name) + 2:]
        return f": {line}" if line else ""

    # -- supervision ------------------------------------------------------------------------
    def watch(self) -> None:
        """Until stop(): restart a process that exits, after a pause (`Backoff`), and note when
        a restarted one serves again (the backoff resets once it has served long enough)."""
        self._supervising = notify_socket()
        try:
            while not self.stopping.wait(0.2):
                if self.on_tick is not None:
                    self.on_tick()
                self._note_serving()
                for child in list(self.children):
                    code = child.popen.poll() if child.popen else None
                    if code is None or child.retired or self.stopping.is_set():
                        continue
                    self._restart(child, code)
        finally:
            if self._supervising is not None:
                self._supervising.close()
                self._supervising = None
            self._prober.close()

    def _restart(self, child: Child, code: int) -> None:
        child.exited_at = now = time.monotonic()
        pause = self.backoff.pause(child, now)
        self._say(f"flowc: {child.name} exited with code {code}; restarting in {pause:g} s")
        if not self.stopping.wait(pause):
            self._spawn(child, self._supervising)

    def _note_serving(self) -> None:
        """Mark restarted processes SERVING once they say so (READY=1, or a health check when
        silent for PROBE_AFTER s) and log how long each was down."""
        waiting = [c for c in self.children if c.serving_since is None and not c.retired
                   and c.popen is not None and c.popen.poll() is None]
        if not waiting:
            return
        self._hear_ready(waiting, 0.0, self._supervising)
        now = time.monotonic()
        for child in waiting:
            if not child.ready and (self._supervising is None
                                    or now - child.spawned_at > PROBE_AFTER):
                child.ready = self._prober.serving(f"{self.gateway['host']}:{child.port}")
            if child.ready:
                child.serving_since = time.monotonic()
                down = (f" ({child.serving_since - child.exited_at:.2f} s after it exited)"
                        if child.exited_at is not None else "")
                self._say(f"flowc: {child.name} is serving again{down}")

    # -- shutdown ---------------------------------------------------------------------------
    def stop(self, grace: float = 15.0) -> None:
        """Gateway first, then heads, then workers; SIGKILL whatever outlives `grace`."""
        self.stopping.set()
        self._terminate(self.children, grace)
        if isinstance(self._forks, forked.ForkServer):  # after its children: they would get
            self._forks.close()  # SIGTERM from the kernel if it ended first

    def retire(self, children: list[Child], grace: float = 15.0) -> None:
        """Stop `children` (replaced by a restart) and forget them; the others keep running."""
        children = list(children)
        for child in children:
            child.retired = True
        self._terminate(children, grace)
        gone = {id(c) for c in children}
        with self._lock:
            self.children = [c for c in self.children if id(c) not in gone]

    def _terminate(self, children: list[Child], grace: float) -> None:
        for kind in STOP_ORDER:
            group = [c for c in children if c.kind == kind and c.popen]
            for child in group:
                if child.popen.poll() is None:
                    child.popen.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace
            for child in group:
                try:
                    child.popen.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self._say(f"flowc: {child.name} did not stop in {grace:g} s; killing it")
                    child.popen.kill()
                    child.popen.wait()
        for child in children:
            for pump in child.pumps:
                pump.join(timeout=2)
