"""The names targets derive from an entry name: one table, read by the targets and by `validate`.

An entry `a` with `shards: 2` makes the k8s objects `a-shard-0`, `a-shard-1` and `a-head`; an
entry written as `a-head` (or `a_head`) makes `a-head` too. The targets build every such name
with `derived_name(form, entry, ...)` from `FORMS`, and the graph phase checks `DERIVED_NAMES`
(which target derives which forms, for which entries), so a clash is a located error at
`validate` (FC522) instead of a failed build. The local target's Procfile names are the compose
service names without lower-casing (`a/shard-0/rep-1` → `a-shard-0-rep-1`), and its other names
hold a `/` that entry names cannot, so the compose rows cover it.

The compiler owns this table (targets may import from the compiler, not the other way round).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable, Iterator

__all__ = ["MAX_LABEL", "dns_label", "object_name", "FORMS", "derived_name", "EntryShape",
           "DERIVED_NAMES", "GATEWAY_NAMES", "names_of", "gateway_names_of"]

_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
MAX_LABEL = 63


def dns_label(name: str) -> str:
    """A DNS-1035 label for `name` (lowercase, `_` → `-`, starts with a letter, ≤ 63 chars)."""
    label = _NOT_LABEL.sub("-", name.lower().replace("_", "-")).strip("-")
    if not label or not label[0].isalpha():
        label = "x-" + label if label else "x"
    return _fit(label)


def object_name(*parts: str) -> str:
    """Join DNS labels with '-' into one name of at most 63 characters.

    Too-long names keep their start and get a short stable hash of the whole name, so two long
    entry names never collapse into the same object name and output stays deterministic.
    """
    return _fit("-".join(dns_label(p) if i == 0 else _NOT_LABEL.sub("-", p.lower()).strip("-")
                         for i, p in enumerate(parts) if p))


def _fit(label: str) -> str:
    if len(label) <= MAX_LABEL:
        return label
    digest = hashlib.sha256(label.encode()).hexdigest()[:8]
    return label[: MAX_LABEL - 9].rstrip("-") + "-" + digest


# What follows the entry's label in each derived name ({shard}, {replica}: numbers; "/" ends a
# name that the rest extends, as k8s names the Raft Service after the finished workload name).
FORMS: dict[str, tuple[str, ...]] = {
    "entry": (),
    "shard": ("shard", "{shard}"),
    "replica": ("rep", "{replica}"),
    "shard_replica": ("shard", "{shard}", "rep", "{replica}"),
    "head": ("head",),
    "uses_before": ("uses-before",),
    "uses_after": ("uses-after",),
    "raft": ("raft",),
    "shard_raft": ("shard", "{shard}", "/", "raft"),
    "workspace": ("workspace",),
}


def derived_name(form: str, entry: str, shard: int = 0, replica: int = 0) -> str:
    """The name of `form` (a key of FORMS) for the entry (or gateway) called `entry`."""
    name, parts = entry, []
    for part in FORMS[form] + ("/",):
        if part == "/":
            name, parts = object_name(name, *parts), []
        else:
            parts.append(part.format(shard=shard, replica=replica))
    return name


@dataclass(frozen=True)
class EntryShape:
    """What decides an entry's derived names."""

    name: str
    shards: int = 1
    replicas: int = 1
    head: bool = False  # shards > 1, or uses_before / uses_after
    uses_before: bool = False
    uses_after: bool = False
    stateful: bool = False


_WHEN: dict[str, Callable[[EntryShape], bool]] = {
    "always": lambda e: True,
    "one shard": lambda e: e.shards == 1,
    "several shards": lambda e: e.shards > 1,
    "a head": lambda e: e.head,
    "uses_before": lambda e: e.uses_before,
    "uses_after": lambda e: e.uses_after,
    "stateful, one shard": lambda e: e.stateful and e.shards == 1,
    "stateful, several shards": lambda e: e.stateful and e.shards > 1,
}

# (where names clash, form, which hosted entries get it): every name a target derives from an
# entry name. Two equal names in the same place are two objects that cannot both exist.
DERIVED_NAMES: tuple[tuple[str, str, str], ...] = (
    ("k8s object", "entry", "one shard"),
    ("k8s object", "shard", "several shards"),
    ("k8s object", "head", "a head"),
    ("k8s object", "uses_before", "uses_before"),
    ("k8s object", "uses_after", "uses_after"),
    ("k8s object", "raft", "stateful, one shard"),
    ("k8s object", "shard_raft", "stateful, several shards"),
    ("compose service", "replica", "one shard"),
    ("compose service", "shard_replica", "several shards"),
    ("compose service", "head", "a head"),
    ("compose service", "uses_before", "uses_before"),
    ("compose service", "uses_after", "uses_after"),
    ("compose volume", "workspace", "always"),
    ("systemd unit", "entry", "always"),
    ("systemd unit", "head", "a head"),
    ("systemd unit", "uses_before", "uses_before"),
    ("systemd unit", "uses_after", "uses_after"),
)

# The gateway's names: (where, form, whose name: the gateway's `name`, or the literal it uses).
GATEWAY_NAMES: tuple[tuple[str, str, str], ...] = (
    ("k8s object", "entry", "name"),
    ("compose service", "entry", "name"),
    ("compose volume", "workspace", "gateway"),
    ("systemd unit", "entry", "gateway"),
)


# How a message names the thing behind each form ({entry} is the entry's name as written).
_WHAT = {
    "entry": "`{entry}`",
    "shard": "shard {shard} of `{entry}`",
    "replica": "replica {replica} of `{entry}`",
    "shard_replica": "replica {replica} of shard {shard} of `{entry}`",
    "head": "the head of `{entry}`",
    "uses_before": "the uses_before of `{entry}`",
    "uses_after": "the uses_after of `{entry}`",
    "raft": "the Raft Service of `{entry}`",
    "shard_raft": "the Raft Service of shard {shard} of `{entry}`",
    "workspace": "the workspace volume of `{entry}`",
}


def names_of(entry: EntryShape) -> Iterator[tuple[str, str, str]]:
    """Every (where, name, what it names) the targets derive from one hosted entry."""
    for where, form, when in DERIVED_NAMES:
        if not _WHEN[when](entry):
            continue
        fields = "".join(FORMS[form])
        shards = range(entry.shards) if "{shard}" in fields else (0,)
        replicas = range(entry.replicas) if "{replica}" in fields else (0,)
        for s in shards:
            for r in replicas:
                yield (where, derived_name(form, entry.name, s, r),
                       _WHAT[form].format(entry=entry.name, shard=s, replica=r))


def gateway_names_of(name: str) -> Iterator[tuple[str, str, str]]:
    """Every (where, name, what it names) the targets give the gateway called `name`."""
    for where, form, whose in GATEWAY_NAMES:
        what = "the gateway's workspace volume" if form == "workspace" else "the gateway"
        yield where, derived_name(form, name if whose == "name" else whose), what
