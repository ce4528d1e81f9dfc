"""Helpers for the `flowc run` tests: start it as a real subprocess, read its log, find every
process that belongs to the run through `/proc` (psutil is not installed), wait for them to die.

Not a test module (no `test_` prefix); imported by `test_flowc_run_*.py` through `conftest`-free
path insertion, so it needs a unique name.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FLOWC = str(BIN / "flowc")
READY_TIMEOUT = 90.0


def proc_table() -> dict[int, tuple[int, str, str]]:
    """pid → (parent pid, state letter, command line) of every process we can see."""
    table: dict[int, tuple[int, str, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (int(rest[1]), rest[0], cmdline.replace(b"\0", b" ").decode(
            "utf-8", "replace"))
    return table


def descendants(pid: int) -> dict[int, str]:
    """Every live process whose parent chain reaches `pid`: pid → command line."""
    table = proc_table()
    found: dict[int, str] = {}
    frontier = {pid}
    while frontier:
        nxt = {p for p, (ppid, state, _) in table.items() if ppid in frontier and state != "Z"}
        nxt -= set(found)
        found.update({p: table[p][2] for p in nxt})
        frontier = nxt
    return found


def plan_path(pid: int, cmd: str) -> str | None:
    """The absolute `--plan` path of a process (a relative one, as `flowc run --plan DIR` passes,
    resolved against the process's working directory), or None."""
    parts = cmd.split()
    if "--plan" not in parts or parts.index("--plan") + 1 >= len(parts):
        return None
    path = parts[parts.index("--plan") + 1]
    if not os.path.isabs(path):
        try:
            path = os.path.join(os.readlink(f"/proc/{pid}/cwd"), path)
        except OSError:
            return None
    return os.path.normpath(path)


def survivors(pids: set[int], marker: str) -> dict[int, str]:
    """Live processes among `pids`, plus any live process whose plan is `marker` (the run's
    absolute plan path: children re-parented after their launcher died still carry it; other
    runs on the machine, with another plan, do not)."""
    table = proc_table()
    return {p: cmd for p, (_, state, cmd) in table.items()
            if state != "Z" and p != os.getpid()
            and (p in pids or (marker and "--plan" in cmd and plan_path(p, cmd) == marker))}


def wait_gone(pids: set[int], marker: str, timeout: float = 30.0) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    while True:
        left = survivors(pids, marker)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


class FlowcRun:
    """`flowc run ARGS...` as a subprocess (its own process group), with its output collected."""

    def __init__(self, *args: str, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        full_env = dict(os.environ, PYTHONUNBUFFERED="1")
        full_env.update(env or {})
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen([FLOWC, "run", *args], cwd=cwd or ROOT, env=full_env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = READY_TIMEOUT, count: int = 1) -> None:
        """Until `text` occurs in `count` output lines; fails with the log if it does not."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while sum(text in line for line in self.lines) < count:
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no {text!r} (x{count}) in flowc run's output "
                                         f"(exit {self.proc.poll()}):\n{self.output_unlocked()}")
                self._cond.wait(min(left, 0.2))

    def output_unlocked(self) -> str:
        return "\n".join(self.lines)

    def ready(self) -> None:
        self.wait_for(" is ready in ")

    def children(self) -> dict[int, str]:
        return descendants(self.proc.pid)

    def plan_marker(self) -> str:
        """The `--plan` path every child of this run carries on its command line."""
        for pid, cmd in self.children().items():
            path = plan_path(pid, cmd)
            if path is not None:
                return path
        raise AssertionError(f"no child with --plan: {self.children()}")

    def signal(self, signum: int) -> None:
        os.kill(self.proc.pid, signum)

    def wait(self, timeout: float = 60.0) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(timeout=5)
        return code

    def kill_all(self) -> None:
        """Clean-up after a failed test: the launcher and every process it started."""
        pids = set(self.children())
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
