"""The batching benchmark's executor for Jina 3.34 (benchmarks/bench_batching.py): a fixed cost
per call (5 ms asleep, as a model call waiting for a device) plus 20 µs of CPU per document.
The same code as ../flowc/cost.py, written for Jina's API (run only by Jina's interpreter)."""

import os
import time

from jina import Executor, requests

FIXED_S, PER_DOC_S = 0.005, 0.00002


class Cost(Executor):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        path = os.environ.get("BENCH_BATCH_LOG")
        self.sizes = open(path, "a") if path else None  # one line per call: its documents

    @requests
    def work(self, docs, **kwargs):
        time.sleep(FIXED_S)
        end = time.perf_counter() + PER_DOC_S * len(docs)
        while time.perf_counter() < end:
            pass
        if self.sizes is not None:
            self.sizes.write(f"{len(docs)}\n")
            self.sizes.flush()
