"""Executors of the e2e Flow `fanout`: each answer says which shard and replica made it, so the
test can check `when`, polling and round robin from the outside."""

import sys
import time

from flowc.runtime import Executor, requests


class Upper(Executor):
    """Upper-cases each text; `/slow` first sleeps `parameters['seconds']` (an in-flight request
    for the drain checks)."""

    @requests
    def upper(self, docs, **kwargs):
        for doc in docs:
            doc.text = (doc.text or "").upper()

    @requests(on="/slow")
    def slow(self, docs, parameters=None, **kwargs):
        print("slow: started", file=sys.stderr, flush=True)  # the test waits for this line
        time.sleep(float((parameters or {}).get("seconds", 1)))
        self.upper(docs)


class Score(Executor):
    """Tags each document with the shard and replica that saw it."""

    @requests
    def score(self, docs, **kwargs):
        shard, replica = self.runtime_args.shard_id, self.runtime_args.replica_id
        for doc in docs:
            doc.tags[f"shard_{shard}"] = f"rep-{replica}"


class Audit(Executor):
    """Logs every request it sees (the floating entry): the log is the only trace it leaves."""

    @requests
    def audit(self, docs, **kwargs):
        for doc in docs:
            doc.tags["audited"] = True  # must never reach the client
        print("audit: " + " ".join(sorted(doc.text or "" for doc in docs)), file=sys.stderr,
              flush=True)
