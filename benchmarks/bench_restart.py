"""Benchmark: restart delay and downtime per crash under `flowc run`, with the real defaults.

A one-entry Flow whose executor exits (`os._exit(3)`) when asked on `/crash` runs under `flowc
run`. The script crashes it N times, each crash `--gap` seconds after the previous one (issue 8 §4
measured six crashes 6 s apart: delays 0.75 → 8.2 s, downtime 2.6 → 10.7 s, because the backoff
never reset). Per crash it reports:

- delay: the pause the launcher announced ("restarting in X s"), from RESTART_BACKOFF;
- launcher downtime: exit noticed → the new process SERVING ("serving again (X s after ...)");
- client downtime: the crash request → the first `/ping` through the gateway that succeeds
  (polled every 20 ms), i.e. what a user sees.

    .venv/bin/python benchmarks/bench_restart.py                 # six crashes, 6 s apart
    .venv/bin/python benchmarks/bench_restart.py --crashes 8 --gap 2
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOWC = str(Path(sys.executable).parent / "flowc")

FLOW = """\
jtype: Flow
version: '1'
executors:
  - name: crasher
    uses: Crasher
    py_modules: [crasher.py]
"""

CRASHER = """\
import os
from flowc.runtime import Executor, requests


class Crasher(Executor):
    @requests(on="/crash")
    def crash(self, **kwargs):
        os._exit(3)

    @requests(on="/ping")
    def ping(self, **kwargs):
        pass
"""


def _free_port() -> int:
    with socket.socket() as sock:  # a benchmark, run alone: the bind-and-close race is moot
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Run:
    """`flowc run` in its own process group, its output collected."""

    def __init__(self, flow: Path, port: int) -> None:
        self.proc = subprocess.Popen([FLOWC, "run", str(flow), "--port", str(port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env=dict(os.environ, PYTHONUNBUFFERED="1"))
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while len(re.findall(pattern, "\n".join(self.lines))) < count:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                sys.exit("flowc run did not log %r:\n%s" % (pattern, "\n".join(self.lines)))
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _send(port: int, on: str, timeout: float) -> bool:
    from flowc.runtime import Client, GenericDoc

    try:
        with Client(host="127.0.0.1", port=port) as client:
            client.post(on, inputs=[GenericDoc(text="x")], timeout=timeout)
        return True
    except Exception:
        return False


def measure(crashes: int, gap: float) -> list[tuple[float, float, float]]:
    """(announced delay, launcher downtime, client downtime) per crash."""
    with tempfile.TemporaryDirectory(prefix="bench-restart-") as folder:
        flow = Path(folder) / "flow.yml"
        flow.write_text(FLOW)
        (Path(folder) / "crasher.py").write_text(CRASHER)
        port = _free_port()
        run = Run(flow, port)
        client_down = []
        try:
            run.wait_for(r" is ready in ")
            for index in range(crashes):
                crashed = time.monotonic()
                _send(port, "/crash", timeout=10)  # fails: the executor is gone
                while not _send(port, "/ping", timeout=2):
                    time.sleep(0.02)
                client_down.append(time.monotonic() - crashed)
                run.wait_for(r"is serving again", index + 1)
                if index + 1 < crashes:
                    time.sleep(max(0.0, crashed + gap - time.monotonic()))
        finally:
            run.stop()
        text = "\n".join(run.lines)
    delays = [float(x) for x in re.findall(r"restarting in ([\d.]+) s", text)]
    down = [float(x) for x in re.findall(r"serving again \(([\d.]+) s after it exited\)", text)]
    return list(zip(delays, down, client_down))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crashes", type=int, default=6)
    parser.add_argument("--gap", type=float, default=6.0, help="seconds between crashes")
    args = parser.parse_args()
    rows = measure(args.crashes, args.gap)
    print(f"{args.crashes} crashes, {args.gap:g} s apart (`flowc run`, default backoff)\n")
    print("| crash | delay (s) | launcher downtime (s) | client downtime (s) |")
    print("|---:|---:|---:|---:|")
    for index, (delay, down, client) in enumerate(rows, 1):
        print(f"| {index} | {delay:g} | {down:.2f} | {client:.2f} |")


if __name__ == "__main__":
    main()
