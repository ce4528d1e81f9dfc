"""The benchmark's passthrough executor for flowc: it never looks at the documents."""

from flowc.runtime import Executor, requests


class Pass(Executor):
    @requests
    def noop(self, docs, **kwargs):
        return None
