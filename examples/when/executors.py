"""Executors of the `when` example."""

from flowc.runtime import Executor, requests


class Label(Executor):
    """Sets `tags[field] = label` on every document it receives."""

    def __init__(self, label: str = "seen", field: str = "label", **kwargs):
        super().__init__(**kwargs)
        self.label = label
        self.field = field

    @requests
    def label_docs(self, docs, **kwargs):
        for doc in docs:
            doc.tags[self.field] = self.label
