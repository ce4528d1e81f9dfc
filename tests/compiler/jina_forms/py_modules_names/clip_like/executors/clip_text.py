"""A package module named in `py_modules` by its dotted name, as clip-as-service does."""

from flowc.runtime import Executor, requests


class ClipLikeEncoder(Executor):
    def __init__(self, dim: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    @requests
    def encode(self, docs, **kwargs):
        for doc in docs:
            doc.tags = {**(doc.tags or {}), "dim": self.dim}
