"""Dynamic batching end to end: a Flow YAML compiled by flowc, a real worker and gateway on
127.0.0.1, concurrent clients.

The executor writes into every document which call it was in (a counter), how many documents
that call had, and the `group` parameter it was given; so the answers show which requests shared
a call. The Executor file sets the timeout; the Flow entry's `uses_dynamic_batching` sets the
size (merged deeply over the file's), so the test also shows the compiler carrying the YAML to
the worker.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from flowc_gateway_harness import RunningFlow, decode, generic_docs  # noqa: E402

from flowc.compiler.driver import compile_flow  # noqa: E402
from flowc.runtime.proto import flowc_pb2  # noqa: E402

EXECUTOR = '''
import itertools
from flowc.runtime import Executor, dynamic_batching, requests


class Grouper(Executor):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = itertools.count(1)

    @requests(on="/group")
    def group(self, docs, parameters, **kwargs):
        call = next(self.calls)
        if any(doc.text == "boom" for doc in docs):
            raise ValueError("boom in the batch")
        for doc in docs:
            doc.text = f"{doc.text}|{call}|{len(docs)}|{parameters.get('group')}"

    @requests(on="/hold")
    @dynamic_batching(preferred_batch_size=100, timeout=60000)
    def hold(self, docs, **kwargs):
        for doc in docs:
            doc.text = f"{doc.text}|{len(docs)}"
'''

EXECUTOR_YAML = """\
jtype: Grouper
py_modules: [grouper.py]
dynamic_batching:
  /group:
    preferred_batch_size: 2
    timeout: 1500
"""

FLOW = """\
jtype: Flow
executors:
  - name: grouper
    uses: grouper.yml
    uses_dynamic_batching:
      /group: {preferred_batch_size: 8}
"""


def start(tmp_path: Path, flow: str = FLOW) -> RunningFlow:
    (tmp_path / "grouper.py").write_text(EXECUTOR)
    (tmp_path / "grouper.yml").write_text(EXECUTOR_YAML)
    (tmp_path / "flow.yml").write_text(flow)
    result = compile_flow(tmp_path / "flow.yml")
    assert result.ok, [d.message for d in result.diagnostics]
    return RunningFlow(result.plan, tmp_path, tmp_path / "run").start()


def post_all(flow: RunningFlow, jobs: list[tuple[str, str, str]]) -> list:
    """Every (endpoint, text, group) posted at once, one client thread each."""
    barrier = threading.Barrier(len(jobs))

    def one(job):
        endpoint, text, group = job
        barrier.wait()
        return flow.post(endpoint, generic_docs(text), parameters={"group": group})

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(one, jobs))


def test_concurrent_clients_are_batched_per_parameters_and_errors_stay_in_their_batch(
        tmp_path):
    flow = start(tmp_path)
    try:
        jobs = ([("/group", f"a{i}", "a") for i in range(8)]
                + [("/group", f"b{i}", "b") for i in range(8)]
                + [("/group", "boom" if i == 2 else f"c{i}", "c") for i in range(3)])
        answers = post_all(flow, jobs)
        log = (tmp_path / "run" / "grouper-executor-0-0.log").read_text()
    finally:
        flow.stop()
    assert "dynamic batching on /group: preferred_batch_size 8, timeout 1500 ms" in log
    calls: dict[str, set[str]] = {}
    for (_, text, group), answer in zip(jobs, answers):
        if group == "c":  # three requests, never a full batch: one call after the timeout
            assert answer.header.status.code == flowc_pb2.Status.ERROR, text
            assert "boom in the batch" in answer.header.status.description
            continue
        assert answer.header.status.code == flowc_pb2.Status.SUCCESS, answer.header.status
        own, call, size, seen = decode(answer)[0].text.split("|")
        assert (own, size, seen) == (text, "8", group)  # its own document, in a full batch
        calls.setdefault(call, set()).add(group)
    # two calls of eight, one per group: the parameters kept the groups apart
    assert sorted(calls.values(), key=sorted) == [{"a"}, {"b"}]


def test_stopping_the_worker_runs_the_requests_waiting_for_a_batch(tmp_path):
    flow = start(tmp_path)
    try:
        with ThreadPoolExecutor(3) as pool:
            waiting = [pool.submit(flow.post, "/hold", generic_docs(f"h{i}")) for i in range(3)]
            worker = next(p for label, p in flow.procs if label.startswith("grouper"))
            time.sleep(0.5)  # they wait: the batch wants 100 documents or 60 s
            assert not any(f.done() for f in waiting)
            began = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            answers = [f.result(timeout=20) for f in waiting]
            took = time.monotonic() - began
        code = worker.wait(timeout=20)
    finally:
        flow.stop()
    assert code == 0
    assert took < 10  # flushed at once, not after the 60 s timeout
    assert sorted(decode(a)[0].text for a in answers) == ["h0|3", "h1|3", "h2|3"]


def test_an_executor_in_the_gateway_s_process_batches_too(tmp_path):
    flow = start(tmp_path, FLOW + "    placement: gateway\n")
    try:
        answers = post_all(flow, [("/group", f"g{i}", "g") for i in range(8)])
    finally:
        flow.stop()
    texts = sorted(decode(a)[0].text for a in answers)
    assert [t.split("|")[0] for t in texts] == [f"g{i}" for i in range(8)]
    assert {t.split("|", 2)[2] for t in texts} == {"8|g"}  # one call of eight
