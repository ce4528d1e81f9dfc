"""Checks of `stateful: true` entries and their `raft_configuration` (SPEC §5), run by the graph
phase beside its other per-entry checks.

What flowc does with a stateful entry: every shard's replicas form one Raft group (pysyncobj)
that orders the `@write` requests; the key meanings are in docs/decisions.md. These checks say
where that cannot work or does not do what the Flow seems to ask:

| code  | when | severity |
|---|---|---|
| FC509 | `stateful: true` with 1 or 2 replicas: Raft runs, but one failure stops the writes (1 replica: no copy at all) | warning |
| FC510 | `stateful: true` with `placement: gateway`: one in-process instance has no Raft node | error |
| FC511 | `stateful: true` on an `external: true` entry: flowc does not start it | warning |
| FC512 | `reload: true` on a stateful entry: a reloaded instance would lack the replicated state, so reload is off | warning |
| FC513 | `raft_configuration` on an entry that is not stateful | warning |
| FC514 | `leader_lease_timeout` not longer than the heartbeat (a tenth of `heartbeat_timeout`, else 100 ms) | error |
| FC515 | more than 7 replicas: each write waits for a majority and the leader replicates to all, so the cost grows with the group while 7 already survive 3 failures | warning |
"""

from __future__ import annotations

from typing import Any

from .diagnostics import CATALOGUE, Diagnostic, error, warning
from .model import ResolvedEntry
from .syntax import Mapping, Span

MIN_REPLICAS = 3  # the smallest Raft group that keeps accepting writes when a replica fails
MAX_REPLICAS = 7  # beyond this a Raft group costs more per write than its extra safety is worth
DEFAULT_HEARTBEAT_MS = 100  # pysyncobj's appendEntriesPeriod when heartbeat_timeout is not set


def check_stateful(entry: ResolvedEntry) -> list[Diagnostic]:
    """The stateful checks of one entry (none for an ordinary entry without raft settings)."""
    diags: list[Diagnostic] = []
    raft = entry.values.get("raft_configuration")
    written_raft = raft is not None and raft.provenance.kind != "default"
    if entry.get("stateful") is not True:
        if written_raft:
            diags.append(_warn("FC513", f"`raft_configuration` of `{entry.name}` has no effect: "
                                        "the entry is not `stateful: true`",
                               _span(entry, "raft_configuration")))
        return diags
    if entry.get("external") is True:
        diags.append(_warn("FC511", f"`stateful: true` has no effect on `{entry.name}`: it is "
                                    "an external executor, which flowc does not start",
                           _span(entry, "stateful")))
        return diags
    if entry.get("placement") == "gateway":
        diags.append(_err("FC510", f"`{entry.name}` is `stateful: true` and `placement: "
                                   "gateway`: an executor inside the gateway is one instance "
                                   "without a Raft node", _span(entry, "placement")))
    replicas = entry.get("replicas")
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas < MIN_REPLICAS:
        what = ("there is no other copy of its state" if replicas == 1 else
                "both replicas must be up for a write to be accepted")
        diags.append(_warn("FC509", f"`{entry.name}` is `stateful: true` with replicas: "
                                    f"{replicas}: Raft runs, but {what}",
                           _span(entry, "replicas" if "replicas" in _written(entry)
                                 else "stateful")))
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > MAX_REPLICAS:
        diags.append(_warn("FC515", f"`{entry.name}` is `stateful: true` with replicas: "
                                    f"{replicas}: every write waits for {replicas // 2 + 1} of "
                                    f"them, and the Raft leader sends each write to all "
                                    f"{replicas - 1} others", _span(entry, "replicas")))
    if entry.get("reload") is True:
        diags.append(_warn("FC512", f"`reload: true` is off for `{entry.name}`: a reloaded "
                                    "instance would start without the replicated state",
                           _span(entry, "reload")))
    if written_raft and isinstance(raft.value, dict):
        diags += _check_timeouts(entry, raft.value)
    return diags


def _check_timeouts(entry: ResolvedEntry, settings: dict[str, Any]) -> list[Diagnostic]:
    lease = settings.get("leader_lease_timeout")
    heartbeat = settings.get("heartbeat_timeout")
    if not _number(lease) or (heartbeat is not None and not _number(heartbeat)):
        return []  # absent, or left unknown by --allow-undefined (its type is checked later)
    period = heartbeat / 10 if heartbeat is not None else DEFAULT_HEARTBEAT_MS
    if lease > period:
        return []
    node = entry.values["raft_configuration"].node
    inner = node.get("leader_lease_timeout") if isinstance(node, Mapping) else None
    return [_err("FC514", f"`leader_lease_timeout: {lease}` of `{entry.name}` must be longer "
                          f"than the Raft heartbeat ({period:g} ms)",
                 inner.span if inner is not None else _span(entry, "raft_configuration"))]


def _written(entry: ResolvedEntry) -> set[str]:
    """The keys of the entry that were not filled in by a default."""
    return {k for k, v in entry.values.items() if v.provenance.kind != "default"}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _span(entry: ResolvedEntry, key: str) -> Span | None:
    value = entry.values.get(key)
    if value is not None and value.node is not None and value.node.span.line > 0:
        return value.node.span
    if value is not None and value.provenance.span is not None:
        return value.provenance.span
    return entry.name_span


def _err(code: str, message: str, span: Span | None) -> Diagnostic:
    return error(code, message, span, hint=CATALOGUE[code].default_hint)


def _warn(code: str, message: str, span: Span | None) -> Diagnostic:
    return warning(code, message, span, hint=CATALOGUE[code].default_hint)
