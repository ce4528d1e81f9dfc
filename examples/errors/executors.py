"""Executors of the `errors` example."""

from flowc.runtime import Executor, requests


class Mark(Executor):
    """Appends its entry name to tags['path'] (shows which hops a request went through)."""

    @requests
    def mark(self, docs, **kwargs):
        for doc in docs:
            doc.tags["path"] = doc.tags.get("path", "") + "/" + self.runtime_args.entry


class Fragile(Executor):
    @requests(on="/fail")
    def fail(self, docs, **kwargs):
        raise ValueError("fragile cannot handle", len(docs))

    @requests
    def ok(self, docs, **kwargs):
        for doc in docs:
            doc.tags["path"] = doc.tags.get("path", "") + "/fragile"
