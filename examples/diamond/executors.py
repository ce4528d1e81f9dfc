"""Executors of the `diamond` example."""

from flowc.runtime import Executor, requests


class Stamp(Executor):
    """Marks each document: `tags[key] = True` and `suffix` appended to its text."""

    def __init__(self, key: str = "stamp", suffix: str = "", **kwargs):
        super().__init__(**kwargs)
        self.key = key
        self.suffix = suffix

    @requests
    def stamp(self, docs, **kwargs):
        for doc in docs:
            doc.tags[self.key] = True
            doc.text = (doc.text or "") + self.suffix


class Merge(Executor):
    """Joins branches: with `docs_matrix` (disable_reduce) it zips the parts and joins their
    texts with ' | '; with reduced `docs` it only records that it saw a reduced list."""

    @requests
    def merge(self, docs, docs_matrix=None, **kwargs):
        if docs_matrix:
            first = docs_matrix[0]
            for row in zip(*docs_matrix):
                row[0].text = " | ".join(d.text or "" for d in row)
                for other in row[1:]:
                    row[0].tags.update(other.tags)
                row[0].tags["parts"] = len(row)
            return first
        for doc in docs:
            doc.tags["parts"] = 1
