"""The dynamic batching queue and its settings (runtime/batching.py), without a server.

Documents here are plain lists of strings: the queue only slices and counts them. The runner
records every batch it was given and answers each segment with its documents upper-cased.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from flowc.runtime import Executor, dynamic_batching, requests
from flowc.runtime.batching import BatchQueue, BatchSettings, Expired, endpoint_settings


class Recorder:
    """A batch runner: records each batch's documents; fails a batch holding `fail_on`."""

    def __init__(self, fail_on: str | None = None, pause: float = 0.0):
        self.batches: list[list[str]] = []
        self.fail_on = fail_on
        self.pause = pause

    async def __call__(self, segments):
        docs = [d for s in segments for d in s.docs[s.start:s.stop]]
        self.batches.append(docs)
        if self.pause:
            await asyncio.sleep(self.pause)
        if self.fail_on in docs:
            raise ValueError(f"bad document {self.fail_on}")
        return [[d.upper() for d in s.docs[s.start:s.stop]] for s in segments]


def flat(parts):
    return [d for part in parts for d in part]


def settings(size=4, timeout_ms=10_000.0, flush_all=False, metric=None):
    return BatchSettings(size, timeout_ms, flush_all, metric)


def test_requests_are_batched_by_size_and_each_gets_its_own_documents_back():
    async def main():
        runner = Recorder()
        queue = BatchQueue(settings(size=4, timeout_ms=50), runner)
        answers = await asyncio.gather(*(queue.submit([f"d{i}"]) for i in range(10)))
        return runner, answers

    runner, answers = asyncio.run(main())
    assert [flat(a) for a in answers] == [[f"D{i}"] for i in range(10)]
    # arrival order kept; full batches first, the rest after the timeout
    assert runner.batches == [["d0", "d1", "d2", "d3"], ["d4", "d5", "d6", "d7"], ["d8", "d9"]]


def test_a_large_request_is_split_between_batches_and_joined_back_in_order():
    async def main():
        runner = Recorder()
        queue = BatchQueue(settings(size=4, timeout_ms=10_000), runner)
        big = [f"b{i}" for i in range(10)]
        answers = await asyncio.gather(queue.submit(big), queue.submit(["x", "y"]))
        return runner, answers

    runner, (big, small) = asyncio.run(main())
    assert flat(big) == [f"B{i}" for i in range(10)]
    assert flat(small) == ["X", "Y"]
    assert [len(b) for b in runner.batches] == [4, 4, 4]  # b8 b9 x y share the last batch
    assert runner.batches[2] == ["b8", "b9", "x", "y"]


def test_an_error_reaches_only_the_requests_of_that_batch():
    async def main():
        runner = Recorder(fail_on="d5")
        queue = BatchQueue(settings(size=2, timeout_ms=20), runner)
        return await asyncio.gather(*(queue.submit([f"d{i}"]) for i in range(7)),
                                    return_exceptions=True)

    answers = asyncio.run(main())
    failed = [i for i, a in enumerate(answers) if isinstance(a, Exception)]
    assert failed == [4, 5]  # the batch [d4, d5]
    assert all(str(answers[i]) == "bad document d5" for i in failed)
    assert [flat(a) for i, a in enumerate(answers) if i not in failed] == [
        ["D0"], ["D1"], ["D2"], ["D3"], ["D6"]]


def test_a_request_split_over_a_failing_batch_fails_and_leaves_no_documents_behind():
    async def main():
        runner = Recorder(fail_on="b1")
        queue = BatchQueue(settings(size=2, timeout_ms=10_000), runner)
        big = queue.submit(["b0", "b1", "b2", "b3", "b4"])
        answers = await asyncio.gather(big, return_exceptions=True)
        after = await queue.submit(["z", "w"])  # the queue still works
        return runner, answers, after, len(queue)

    runner, (big,), after, waiting = asyncio.run(main())
    assert isinstance(big, ValueError)
    assert flat(after) == ["Z", "W"]
    assert waiting == 0
    assert ["b2", "b3"] not in runner.batches  # its other documents were not run for nothing


def test_timeout_runs_a_batch_that_does_not_fill():
    async def main():
        queue = BatchQueue(settings(size=100, timeout_ms=80), Recorder())
        began = time.monotonic()
        parts = await queue.submit(["only"])
        return parts, time.monotonic() - began

    parts, waited = asyncio.run(main())
    assert flat(parts) == ["ONLY"]
    assert 0.075 <= waited < 1.0


def test_a_full_batch_does_not_wait_for_the_timeout():
    async def main():
        queue = BatchQueue(settings(size=2, timeout_ms=10_000), Recorder())
        began = time.monotonic()
        await asyncio.gather(queue.submit(["a"]), queue.submit(["b"]))
        return time.monotonic() - began

    assert asyncio.run(main()) < 1.0


def test_the_queue_sleeps_while_it_waits():
    """No busy loop: waiting out a timeout costs (almost) no CPU."""
    async def main():
        queue = BatchQueue(settings(size=100, timeout_ms=300), Recorder())
        cpu = time.process_time()
        await queue.submit(["a"])
        return time.process_time() - cpu

    assert asyncio.run(main()) < 0.1


def test_flush_runs_waiting_requests_at_once_and_later_ones_without_waiting():
    async def main():
        queue = BatchQueue(settings(size=100, timeout_ms=60_000), Recorder())
        began = time.monotonic()
        waiting = asyncio.ensure_future(queue.submit(["a"]))
        await asyncio.sleep(0.05)
        queue.flush()
        first = await waiting
        second = await queue.submit(["b"])
        return first, second, time.monotonic() - began

    first, second, took = asyncio.run(main())
    assert (flat(first), flat(second)) == (["A"], ["B"])
    assert took < 2.0


def test_flush_all_takes_everything_waiting():
    async def main():
        runner = Recorder()
        queue = BatchQueue(settings(size=2, timeout_ms=10_000, flush_all=True), runner)
        await asyncio.gather(*(queue.submit([f"d{i}"]) for i in range(5)))
        return runner

    assert [len(b) for b in asyncio.run(main()).batches] == [5]


def test_custom_metric_weights_fill_the_batch():
    async def main():
        runner = Recorder()
        queue = BatchQueue(settings(size=4, timeout_ms=30), runner)
        weights = {"heavy": 3.0, "light": 1.0}
        docs = ["heavy", "light", "light", "heavy", "light"]
        await asyncio.gather(*(queue.submit([d], weights=[weights[d]]) for d in docs))
        return runner

    # 3+1 reaches 4; 1+3 reaches 4; the last waits for the timeout
    assert asyncio.run(main()).batches == [["heavy", "light"], ["light", "heavy"], ["light"]]


def test_a_request_whose_deadline_passed_while_waiting_is_not_run():
    async def main():
        runner = Recorder(pause=0.2)
        queue = BatchQueue(settings(size=1, timeout_ms=10_000), runner)
        first = asyncio.ensure_future(queue.submit(["slow"]))
        await asyncio.sleep(0.01)
        late = queue.submit(["late"], deadline=time.monotonic() + 0.05)
        answers = await asyncio.gather(first, late, return_exceptions=True)
        return runner, answers

    runner, (first, late) = asyncio.run(main())
    assert flat(first) == ["SLOW"]
    assert isinstance(late, Expired) and "not executed" in str(late)
    assert runner.batches == [["slow"]]


def test_a_caller_that_gave_up_is_not_run():
    async def main():
        runner = Recorder()
        queue = BatchQueue(settings(size=2, timeout_ms=100), runner)
        gone = asyncio.ensure_future(queue.submit(["gone"]))
        await asyncio.sleep(0.01)
        gone.cancel()
        kept = await queue.submit(["kept"])
        return runner, kept

    runner, kept = asyncio.run(main())
    assert flat(kept) == ["KEPT"]
    assert runner.batches == [["kept"]]


def test_an_empty_request_is_answered_without_a_batch():
    async def main():
        runner = Recorder()
        queue = BatchQueue(settings(), runner)
        return runner, await queue.submit([])

    runner, parts = asyncio.run(main())
    assert parts == [] and runner.batches == []


def test_the_queue_says_when_it_is_idle():
    idle = []

    async def main():
        queue = BatchQueue(settings(size=1), Recorder(), on_idle=lambda: idle.append(True))
        await queue.submit(["a"])
        await asyncio.sleep(0)

    asyncio.run(main())
    assert idle == [True]


# -- settings ---------------------------------------------------------------------------------

class Batched(Executor):
    @requests(on=["/a", "/b"])
    @dynamic_batching(preferred_batch_size=8, timeout=200)
    def encode(self, docs, **kwargs):
        return None

    @dynamic_batching
    @requests(on="/c")
    def plain(self, docs, **kwargs):
        return None

    @requests(on="/d")
    def other(self, docs, **kwargs):
        return None


def test_decorator_in_either_order_with_requests():
    found, unknown = endpoint_settings(Batched().requests, None)
    assert set(found) == {"/a", "/b", "/c"}
    assert found["/a"] == BatchSettings(8, 200.0, False, None)
    assert found["/c"] == BatchSettings(4, 10_000.0, False, None)  # Jina's defaults
    assert unknown == []


def test_yaml_settings_merge_over_the_decorator_setting_by_setting():
    config = {"encode": {"timeout": 50}, "/b": {"preferred_batch_size": 2},
              "other": {"flush_all": True}, "/c": {"use_dynamic_batching": False},
              "/nowhere": {"timeout": 1}, "missing": {"timeout": 1}}
    found, unknown = endpoint_settings(Batched().requests, config)
    assert found["/a"] == BatchSettings(8, 50.0, False, None)  # method key over decorator
    assert found["/b"] == BatchSettings(2, 50.0, False, None)  # endpoint key over method key
    assert found["/d"] == BatchSettings(4, 10_000.0, True, None)  # YAML alone turns it on
    assert "/c" not in found  # use_dynamic_batching: false
    assert unknown == ["/nowhere", "missing"]


def test_a_null_setting_changes_nothing():
    found, _ = endpoint_settings(Batched().requests, {"/a": {"timeout": None}})
    assert found["/a"].timeout_ms == 200.0


def test_custom_metric_counts_only_with_use_custom_metric():
    metric = len
    found, _ = endpoint_settings(Batched().requests, {
        "/a": {"custom_metric": metric}, "/b": {"custom_metric": metric,
                                                 "use_custom_metric": True}})
    assert found["/a"].metric is None and found["/b"].metric is metric


@pytest.mark.parametrize("kwargs, message", [
    ({"preferred_batch_size": 0}, "preferred_batch_size must be an integer ≥ 1, got 0"),
    ({"preferred_batch_size": "4"}, "preferred_batch_size must be an integer ≥ 1, got '4'"),
    ({"timeout": -1}, "timeout must be a number of milliseconds ≥ 0, got -1"),
    ({"flush_all": "yes"}, "flush_all must be true or false, got 'yes'"),
    ({"custom_metric": 3}, "custom_metric must be a function of a document"),
])
def test_bad_decorator_values_fail_where_they_are_written(kwargs, message):
    with pytest.raises(ValueError) as caught:
        dynamic_batching(**kwargs)
    assert str(caught.value) == f"@dynamic_batching: {message}"


def test_importing_the_decorator_stays_light():
    code = ("import sys; from flowc.runtime import Executor, requests, dynamic_batching; "
            "heavy = [m for m in ('docarray', 'grpc', 'pydantic', 'numpy') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
