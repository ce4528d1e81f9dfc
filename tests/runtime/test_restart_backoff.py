"""The supervisor's restart backoff resets after a healthy period (issue 8 §4).

Before: the delay grew with every crash in the life of `flowc run` (six crashes 6 s apart waited
0.75 → 8.2 s). Now a process that served for `reset_after` seconds before it exits restarts after
the first delay; quick successive crashes still back off. The real-process test injects short
delays and a short reset period so it takes seconds; benchmarks/bench_restart.py measures the
defaults.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.runtime.supervisor import Backoff, Child, Supervisor
from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc
from tests.ports import free_port


# -- the policy, as a table ---------------------------------------------------------------------

def _child(restarts: int, served_for: float | None, now: float = 100.0) -> Child:
    child = Child("svc/rep-0", "worker", 1, [], restarts=restarts)
    child.serving_since = None if served_for is None else now - served_for
    return child


@pytest.mark.parametrize("restarts, served_for, expected", [
    (0, 0.5, 0.5),   # first crash
    (1, 0.5, 1.0),   # quick second crash: the delay grows
    (4, 2.9, 8.0),   # ... up to the last delay
    (9, 2.0, 8.0),   # which repeats
    (4, 3.0, 0.5),   # served for the reset period: from the first delay again
    (4, 60.0, 0.5),
    (4, None, 8.0),  # never SERVING since its restart: no reset
])
def test_default_backoff(restarts, served_for, expected):
    child = _child(restarts, served_for)
    assert Backoff().pause(child, 100.0) == expected
    assert child.restarts == (1 if expected == 0.5 else restarts + 1)


# -- a real worker crashing on demand -----------------------------------------------------------

CRASHER = '''
import os
from flowc.runtime import Executor, requests


class Crasher(Executor):
    @requests(on="/crash")
    def crash(self, **kwargs):
        os._exit(3)
'''


class _Log(io.StringIO):
    """The supervisor's output, readable while it writes (its own lock guards the writes)."""

    def lines(self) -> list[str]:
        return self.getvalue().splitlines()

    def wait_for(self, text: str, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.lines()) < count:
            assert time.monotonic() < deadline, f"no {text!r} x{count} in:\n{self.getvalue()}"
            time.sleep(0.02)


@pytest.fixture
def supervised(tmp_path):
    """One worker under a Supervisor with delays 0.2, 0.6, 1.8 s and a 1 s reset period."""
    (tmp_path / "crasher.py").write_text(CRASHER)
    ref = ExecutorRef(kind="class", jtype="Crasher", py_modules=("crasher.py",))
    plan = Plan(flow=FlowInfo(name="t", source="flow.yml"), gateway=Gateway(),
                deployments=(Deployment(name="svc", executor=ref, needs=("gateway",)),),
                responders=("svc",))
    (tmp_path / "plan.json").write_text(plan.to_json())
    port = free_port()
    launch = {"flow": "t", "gateway": {"host": "127.0.0.1", "port": port}, "processes": [{
        "name": "svc/rep-0", "kind": "worker", "port": port,
        "argv": [sys.executable, "-m", "flowc.runtime", "worker", "--plan", "plan.json",
                 "--deployment", "svc", "--port", str(port), "--host", "127.0.0.1"]}]}
    log = _Log()
    supervisor = Supervisor(launch, cwd=Path(tmp_path), out=log, ready_timeout=60,
                            backoff=Backoff(delays=(0.2, 0.6, 1.8), reset_after=1.0))
    watcher = threading.Thread(target=supervisor.watch, daemon=True)
    try:
        supervisor.start()
        watcher.start()
        yield port, log
    finally:
        supervisor.stop()
        watcher.join(timeout=10)


def _crash(port: int) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        request = flowc_pb2.DataRequest()
        request.header.endpoint = "/crash"
        with pytest.raises(grpc.RpcError):
            flowc_pb2_grpc.FlowcStub(channel).Process(request, timeout=10)


def _restarts(log: _Log) -> list[tuple[float, float]]:
    """(announced delay, measured exit → serving again) of each restart, in order."""
    delays = [float(m.group(1)) for m in re.finditer(r"restarting in ([\d.]+) s", log.getvalue())]
    down = [float(m.group(1)) for m in
            re.finditer(r"is serving again \(([\d.]+) s after it exited\)", log.getvalue())]
    return list(zip(delays, down))


def test_healthy_gaps_restart_after_the_first_delay_quick_crashes_back_off(supervised):
    port, log = supervised
    for crash in (1, 2):  # each after serving longer than the reset period
        time.sleep(1.1)
        _crash(port)
        log.wait_for("is serving again", crash)
    for crash in (3, 4):  # each as soon as it serves again
        _crash(port)
        log.wait_for("is serving again", crash)
    restarts = _restarts(log)
    assert [delay for delay, _ in restarts] == [0.2, 0.2, 0.6, 1.8], log.getvalue()
    for delay, down in restarts:
        assert delay <= down < delay + 20, log.getvalue()  # the pause, then a start-up
    assert "exited with code 3" in log.getvalue()
