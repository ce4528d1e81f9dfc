"""Executors of the `shards` example: each answer says which shard and replica made it."""

from flowc.runtime import Executor, GenericDoc, requests


class ShardLookup(Executor):
    def _where(self):
        return self.runtime_args.shard_id, self.runtime_args.replica_id

    @requests(on=["/search", "/lookup"])
    def search(self, docs, **kwargs):
        shard, replica = self._where()
        for doc in docs:
            doc.matches = [GenericDoc(id=f"{doc.id}-shard-{shard}",
                                      text=f"shard {shard} replica {replica}",
                                      tags={"shard": shard, "replica": replica})]
            doc.tags[f"seen_by_shard_{shard}"] = True

    @requests
    def where(self, docs, **kwargs):
        shard, replica = self._where()
        for doc in docs:
            doc.tags["shard"] = shard
            doc.tags["replica"] = replica

    @requests(on="/status")
    def status(self, **kwargs):
        """Lands in `parameters['__results__']['lookup/shard-<s>/rep-<r>']`."""
        shard, replica = self._where()
        return {"shard": shard, "replica": replica}


class Before(Executor):
    """For a `uses_before` variant: runs in the head's path before the shards."""

    @requests
    def before(self, docs, **kwargs):
        for doc in docs:
            doc.tags["before"] = True


class After(Executor):
    """For a `uses_after` variant: receives one list per answering shard (`docs_matrix`), in
    shard order, and keeps the first list with every shard's matches gathered."""

    @requests
    def after(self, docs, docs_matrix=None, **kwargs):
        parts = docs_matrix or [docs]
        first = parts[0]
        for row in zip(*parts):
            gathered = [m for doc in row for m in (doc.matches or [])]
            row[0].matches = gathered
            row[0].tags["after_parts"] = len(row)
        return first
