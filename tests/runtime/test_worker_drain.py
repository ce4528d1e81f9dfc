"""A worker's shutdown and deadlines as real processes on 127.0.0.1 (issue 8 §4).

SIGTERM drains: a request in flight finishes and is answered, `close()` runs after it, the log
says how long the wait really took. A request whose caller gave up is still waited for (its thread
cannot be interrupted) before `close()`. A request whose deadline passes while it waits behind a
long one is never executed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc
from tests.ports import free_port

EXECUTOR = '''
import os, time
from flowc.runtime import Executor, requests


class Marks(Executor):
    """Each endpoint call and close() append a line "<what> <time>" to one file, in order."""

    def __init__(self, journal="", **kwargs):
        super().__init__(**kwargs)
        self.journal = journal

    def _mark(self, what):
        with open(self.journal, "a") as handle:
            handle.write(f"{what} {time.monotonic():.6f}\\n")

    @requests(on="/slow")
    def slow(self, docs, parameters, **kwargs):
        self._mark("start " + parameters["tag"])
        time.sleep(float(parameters.get("seconds", 1)))
        self._mark("done " + parameters["tag"])

    def close(self):
        self._mark("closed")
'''


@pytest.fixture
def worker(tmp_path, request):
    """Start a worker serving `Marks` (grace 5 s, or `indirect` parametrisation's value);
    yields (process, port, journal path)."""
    grace = str(getattr(request, "param", 5))
    (tmp_path / "marks.py").write_text(EXECUTOR)
    journal = tmp_path / "journal.txt"
    ref = ExecutorRef(kind="class", jtype="Marks", py_modules=("marks.py",),
                      uses_with={"journal": str(journal)})
    plan = Plan(flow=FlowInfo(name="t", source="flow.yml"), gateway=Gateway(),
                deployments=(Deployment(name="svc", executor=ref, needs=("gateway",)),),
                responders=("svc",))
    (tmp_path / "plan.json").write_text(plan.to_json())
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowc.runtime", "worker", "--plan", str(tmp_path / "plan.json"),
         "--deployment", "svc", "--port", str(port), "--host", "127.0.0.1", "--grace", grace],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_serving(port, proc)
        yield proc, port, journal
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def _wait_serving(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=0.5).status == \
                        health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                time.sleep(0.05)
    raise AssertionError("the worker did not become SERVING")


def _slow(tag: str, seconds: float, timeout_ms: int = 0) -> flowc_pb2.DataRequest:
    request = flowc_pb2.DataRequest()
    request.header.endpoint = "/slow"
    request.header.request_id = tag
    request.header.timeout_ms = timeout_ms
    request.parameters.update({"tag": tag, "seconds": seconds})
    return request


def _journal(path: Path) -> list[str]:
    """The journal's events in the order they happened (their names, without the times)."""
    return [line.split()[0] + (" " + line.split()[1] if len(line.split()) == 3 else "")
            for line in path.read_text().splitlines()] if path.exists() else []


def _wait_for(path: Path, event: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while event not in _journal(path):
        assert time.monotonic() < deadline, f"no {event!r} in {_journal(path)}"
        time.sleep(0.02)


def _stopped(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=20)
    return code, proc.stderr.read()


def _finished_after(log: str) -> float:
    (line,) = [line for line in log.splitlines() if "in flight finished after" in line]
    return float(line.split("finished after ")[1].split(" s")[0])


def test_sigterm_mid_stream_request_answers_it_then_closes(worker):
    """The request arrives on a ProcessStream, as a gateway sends it."""
    from flowc.runtime.streams import BlockingStream

    proc, port, journal = worker
    answers: dict[str, flowc_pb2.DataRequest] = {}
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stream = BlockingStream(channel)
        caller = threading.Thread(target=lambda: answers.update(
            a=stream.try_process(_slow("a", 1.0))))
        caller.start()
        _wait_for(journal, "start a")
        signalled = time.monotonic()
        code, log = _stopped(proc)
        stopped_after = time.monotonic() - signalled
        caller.join(timeout=10)
        stream.close()
    assert code == 0, log
    assert answers["a"].header.status.code == flowc_pb2.Status.SUCCESS, answers
    assert _journal(journal) == ["start a", "done a", "closed"]
    # the log states the wait it really made: the ~1 s sleep less what had passed, not 0 or 5
    waited = _finished_after(log)
    assert 0.3 < waited <= stopped_after, log
    assert "1 request(s) in flight finished after" in log and "abandoning" not in log


def test_close_waits_for_a_request_whose_caller_gave_up(worker):
    """The caller's deadline cancels the RPC (gRPC forgets it) while its thread runs on: the
    worker still waits for the thread before close() (before: close() at once, and a log line
    claiming 10 s had passed)."""
    proc, port, journal = worker
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = flowc_pb2_grpc.FlowcStub(channel)
        with pytest.raises(grpc.RpcError) as failed:
            stub.Process(_slow("b", 1.2), timeout=0.4)
        assert failed.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert _journal(journal) == ["start b"]
    code, log = _stopped(proc)
    assert code == 0, log
    assert _journal(journal) == ["start b", "done b", "closed"]
    assert 0.3 < _finished_after(log) < 2.0, log


@pytest.mark.parametrize("worker", [1.5], indirect=True)
def test_grace_period_abandons_and_says_how_long_it_waited(worker):
    proc, port, journal = worker
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        future = flowc_pb2_grpc.FlowcStub(channel).Process.future(_slow("c", 30), timeout=60)
        _wait_for(journal, "start c")
        signalled = time.monotonic()
        code, log = _stopped(proc)
        assert time.monotonic() - signalled < 10
        with pytest.raises(grpc.RpcError):
            future.result()
    assert code == 0, log
    (line,) = [line for line in log.splitlines() if "still running after" in line]
    waited = float(line.split("still running after ")[1].split(" s")[0])
    assert 1.4 <= waited < 4 and "(grace 1.5 s)" in line, log


@pytest.mark.parametrize("path", ["stream", "unary"])
def test_a_request_whose_deadline_passes_in_the_queue_is_not_executed(worker, path):
    """A 1.5 s request holds the worker; a second one with a 0.5 s deadline queues behind it
    and must never run (its side effect never happens), though the worker keeps serving."""
    from flowc.runtime.streams import BlockingStream

    proc, port, journal = worker
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = flowc_pb2_grpc.FlowcStub(channel)
        first = stub.Process.future(_slow("long", 1.5), timeout=30)
        _wait_for(journal, "start long")
        if path == "unary":  # the gRPC deadline and the header's timeout
            with pytest.raises(grpc.RpcError) as failed:
                stub.Process(_slow("late", 0, timeout_ms=500), timeout=0.5)
            assert failed.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        else:  # a stream has no deadline per request: the header's timeout is the deadline
            answer = BlockingStream(channel).try_process(_slow("late", 0, timeout_ms=500))
            assert answer.header.status.code == flowc_pb2.Status.ERROR
            assert answer.header.status.exception.name == "DeadlineExceeded"
            assert "not executed" in answer.header.status.description
        assert first.result().header.status.code == flowc_pb2.Status.SUCCESS
        after = stub.Process(_slow("after", 0), timeout=10)  # queued after "late" was
        assert after.header.status.code == flowc_pb2.Status.SUCCESS
    assert _journal(journal) == ["start long", "done long", "start after", "done after"]
    code, log = _stopped(proc)
    assert code == 0
    if path == "stream":  # (a unary call is cancelled by gRPC itself at its deadline)
        assert "/slow (request late): the deadline passed" in log and "not executed" in log, log
