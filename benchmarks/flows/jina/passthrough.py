"""The benchmark's passthrough executor for Jina 3.34 (run only by Jina's own interpreter)."""

from jina import Executor, requests


class Pass(Executor):
    @requests
    def noop(self, docs, **kwargs):
        return None
