"""`flowc run` stopping with requests under way, and deadlines through the gateway (issue 8 §4).

Real processes on 127.0.0.1. A Ctrl-C right after a post must not lose the floating entry's copy
of the request (before: the terminal's SIGINT reached every process at once and the gateway
cancelled its floating hops on stop). A request whose client deadline passes while it queues
behind a long one at an executor is never executed there.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flowc_run_harness import FlowcRun, free_port, wait_gone  # noqa: E402

from flowc.runtime import Client, GenericDoc  # noqa: E402
from flowc.runtime.client import FlowcRequestError  # noqa: E402

FLOW = """\
jtype: Flow
version: '1'
executors:
  - name: work
    uses: Work
    py_modules: [marks.py]
    uses_with: {folder: %(folder)s}
  - name: relay
    uses: Relay
    py_modules: [marks.py]
    needs: gateway
    floating: true
  - name: audit
    uses: Audit
    py_modules: [marks.py]
    uses_with: {folder: %(folder)s}
    needs: relay
    floating: true
"""

EXECUTORS = '''
import os, time
from flowc.runtime import Executor, requests


def mark(folder, name):
    with open(os.path.join(folder, name), "w") as handle:
        handle.write("done")


class Work(Executor):
    def __init__(self, folder="", **kwargs):
        super().__init__(**kwargs)
        self.folder = folder

    @requests(on="/slow")
    def slow(self, docs, parameters, **kwargs):
        mark(self.folder, "work." + docs[0].text + ".started")
        time.sleep(float(parameters.get("seconds", 0)))
        mark(self.folder, "work." + docs[0].text)

    @requests(on="/ping")
    def ping(self, docs, **kwargs):
        pass


class Relay(Executor):
    """Floating, before `audit`: the gateway sends audit's hop only after this one answers."""

    @requests
    def relay(self, docs, **kwargs):
        time.sleep(0.5)


class Audit(Executor):
    """Floating: records every request it gets."""

    def __init__(self, folder="", **kwargs):
        super().__init__(**kwargs)
        self.folder = folder

    @requests
    def audit(self, docs, **kwargs):
        mark(self.folder, "audit." + docs[0].text)
'''


@pytest.fixture
def flow(tmp_path):
    """`flowc run` of FLOW in its own process group; yields (run, port, marker folder)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    (tmp_path / "marks.py").write_text(EXECUTORS)
    (tmp_path / "flow.yml").write_text(FLOW % {"folder": marks})
    port = free_port()
    run = FlowcRun(str(tmp_path / "flow.yml"), "--port", str(port))
    try:
        run.ready()
        yield run, port, marks
    finally:
        run.kill_all()


def _post(port: int, on: str, text: str, **kwargs) -> list:
    with Client(host="127.0.0.1", port=port) as client:
        return list(client.post(on, inputs=[GenericDoc(text=text)], **kwargs))


def test_ctrl_c_right_after_a_post_still_delivers_the_floating_request(flow):
    """The answer comes from `work` at once; the floating copy goes through `relay` (0.5 s)
    and only then to `audit`: at Ctrl-C the gateway has yet to send that hop, and `audit`'s
    worker must still be serving when it does."""
    run, port, marks = flow
    children, marker = run.children(), run.plan_marker()
    _post(port, "/ping", "last", timeout=30)
    assert not (marks / "audit.last").exists()  # the floating copy is still under way
    os.killpg(run.proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    assert run.wait(60) == 0, run.output
    assert (marks / "audit.last").exists(), run.output
    assert "gateway: stopped in" in run.output
    assert "still running" not in run.output and "Traceback" not in run.output, run.output
    assert wait_gone(set(children), marker, timeout=10) == {}


def test_a_request_whose_client_deadline_passes_in_an_executors_queue_never_runs(flow):
    run, port, marks = flow
    first = threading.Thread(target=_post, args=(port, "/slow", "long"),
                             kwargs={"parameters": {"seconds": 1.5}, "timeout": 30})
    first.start()
    deadline = time.monotonic() + 10
    while not (marks / "work.long.started").exists():
        assert time.monotonic() < deadline, run.output
        time.sleep(0.02)
    # the client's deadline, or the gateway's hop given what was left of it, ends it first
    with pytest.raises((TimeoutError, FlowcRequestError)):
        _post(port, "/slow", "late", timeout=0.5)
    first.join(timeout=30)
    assert (marks / "work.long").exists()
    _post(port, "/slow", "after", timeout=30)  # queued behind `late` at the executor
    assert (marks / "work.after").exists()
    assert not (marks / "work.late.started").exists(), run.output
    run.wait_for("work/rep-0: /slow (request ")
    assert "not executed" in run.output
    run.signal(signal.SIGTERM)
    assert run.wait(60) == 0, run.output
