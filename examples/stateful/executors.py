"""Executors of the `stateful` example: a key-value store replicated with Raft.

`/put` and `/delete` are `@write` endpoints: every replica applies them in the same order, so
`/get` and `/stats` answer the same on every replica. `snapshot`/`restore` let the Raft log be
compacted: the state is one JSON file in the directory flowc hands over.
"""

from __future__ import annotations

import json
import os

from flowc.runtime import Executor, requests, write


class KeyValueStore(Executor):
    """A document's `id` is its key and its `text` the value."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.data: dict[str, str] = {}
        self.writes = 0  # write requests applied (the same number on every replica)
        self.restored = 0  # times this replica's state came from a snapshot

    @write
    @requests(on="/put")
    def put(self, docs, **kwargs):
        for doc in docs:
            self.data[doc.id] = doc.text
        self.writes += 1
        return {"keys": len(self.data), "writes": self.writes}

    @write
    @requests(on="/delete")
    def delete(self, docs, **kwargs):
        for doc in docs:
            self.data.pop(doc.id, None)
        self.writes += 1

    @requests(on="/get")
    def get(self, docs, **kwargs):
        for doc in docs:
            doc.tags["found"] = doc.id in self.data
            doc.text = self.data.get(doc.id, "")

    @requests(on="/stats")
    def stats(self, **kwargs):
        return {"keys": len(self.data), "writes": self.writes, "restored": self.restored,
                "replica": self.runtime_args.replica_id,
                "digest": sorted(self.data.items())}

    def snapshot(self, snapshot_dir: str) -> None:
        with open(os.path.join(snapshot_dir, "store.json"), "w", encoding="utf-8") as f:
            json.dump({"data": self.data, "writes": self.writes}, f)

    def restore(self, snapshot_dir: str) -> None:
        with open(os.path.join(snapshot_dir, "store.json"), encoding="utf-8") as f:
            state = json.load(f)
        self.data = state["data"]
        self.writes = state["writes"]
        self.restored += 1
