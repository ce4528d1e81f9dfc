"""Executors of the `parameters` example."""

import os
import time

from flowc.runtime import Executor, requests


class Clean(Executor):
    """Strips and lower-cases text (light enough to run inside the gateway)."""

    @requests(on="/default")
    def clean(self, docs, **kwargs):
        for doc in docs:
            doc.text = (doc.text or "").strip().lower()

    @requests(on="/status")
    def status(self, parameters, **kwargs):
        return {"entry": "clean", "pid": os.getpid()}


class Score(Executor):
    """Keeps the first `top_k` documents and scores them by text length × `boost`."""

    @requests(on="/default")
    def score(self, docs, parameters, **kwargs):
        top_k = int(parameters.get("top_k", len(docs)))
        boost = float(parameters.get("boost", 1))
        for doc in docs:
            doc.tags["score"] = len(doc.text or "") * boost
        return docs[:top_k]

    @requests(on="/status")
    def status(self, parameters, **kwargs):
        return {"entry": "score", "top_k": parameters.get("top_k"),
                "boost": parameters.get("boost"), "pid": os.getpid()}


class Audit(Executor):
    """Floating: appends one line per request to `<workspace>/audit.log`, slowly."""

    def __init__(self, delay: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.delay = delay

    @requests
    def audit(self, docs, **kwargs):
        time.sleep(self.delay)
        with open(os.path.join(self.workspace, "audit.log"), "a", encoding="utf-8") as f:
            f.write(" ".join(doc.text or "" for doc in docs) + "\n")
