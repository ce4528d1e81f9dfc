"""Phase 5 — graph: entry names and `needs` → a checked DAG (SPEC §4).

The checks run on plain tuples and dicts: importing networkx costs 0.12–0.16 s on this machine,
half of `flowc validate`'s 0.3 s cold-start budget, and nothing here needs it. `FlowGraph.digraph()`
builds the networkx `DiGraph` of node ids on demand (imported lazily) for callers that want graph
algorithms. Order is always Flow order, so every output derived from the graph is byte-stable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import CATALOGUE, Diagnostic, Related, error, warning
from .model import ResolvedEntry, ResolvedFlow
from .names import EntryShape, gateway_names_of, names_of
from .plan import GATEWAY
from .stateful import check_stateful
from .syntax import Span

# An executor name: starts with a letter; letters, digits, `_`, `-`; at most 63 characters (it
# becomes part of DNS names, unit names and process names).
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")
# Executor protocols that cannot sit behind a sharding head.
UNSHARDABLE_PROTOCOLS = frozenset({"http", "websocket"})
MAX_PROCESSES = 100_000  # executor processes (shards × replicas) in one Flow (FC521)


@dataclass(frozen=True)
class FlowGraph:
    """Nodes are `gateway` then the entries in Flow order; `needs` is each entry's effective list
    (defaults filled in); `responders` feed the gateway's end (SPEC §4)."""

    nodes: tuple[str, ...]
    needs: dict[str, tuple[str, ...]]
    responders: tuple[str, ...]
    floating: frozenset[str] = field(default_factory=frozenset)

    def edges(self) -> list[tuple[str, str]]:
        """(upstream, downstream) in Flow order, then `needs` order."""
        return [(up, name) for name in self.nodes[1:] for up in self.needs.get(name, ())]

    def downstream(self, name: str) -> list[str]:
        return [d for u, d in self.edges() if u == name]

    def digraph(self) -> Any:
        """The networkx `DiGraph` of node ids (imported lazily); `end` marks the responders."""
        import networkx as nx  # 120 ms that `flowc validate` never pays

        graph = nx.DiGraph()
        for node in self.nodes:
            graph.add_node(node, kind="gateway" if node == GATEWAY else "deployment",
                           floating=node in self.floating, responder=node in self.responders)
        graph.add_edges_from(self.edges())
        return graph


def dns_label(name: str) -> str:
    """How a name appears in DNS-based targets: lower case with `_` turned into `-`."""
    return name.lower().replace("_", "-")


def _err(code: str, message: str, span: Span | None, **kw: Any) -> Diagnostic:
    kw.setdefault("hint", CATALOGUE[code].default_hint)
    return error(code, message, span, **kw)


def build_graph(flow: ResolvedFlow) -> tuple[FlowGraph, list[Diagnostic]]:
    """Effective `needs`, responders and every graph check as a located diagnostic."""
    diags = _check_names(flow.entries)
    if not diags:
        diags += _check_derived_names(flow)
    names = [e.name for e in flow.entries]
    known = set(names)
    needs: dict[str, tuple[str, ...]] = {}
    floating: set[str] = set()
    last = GATEWAY
    for entry in flow.entries:
        wanted = entry.needs if entry.needs is not None else (last,)
        spans = entry.needs_spans if entry.needs is not None else ()
        kept = []
        for i, need in enumerate(wanted):
            if need == GATEWAY or need in known:
                kept.append(need)
                continue
            if not flow.complete:  # it may name an entry whose file could not be read
                continue
            span = spans[i] if i < len(spans) else entry.name_span
            import difflib  # 1 ms, only on this error path

            close = difflib.get_close_matches(need, names + [GATEWAY], n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`?" if close else (
                "known names: " + ", ".join(f"`{n}`" for n in [GATEWAY] + names))
            diags.append(_err("FC501", f"`needs: {need}` names no executor of this Flow",
                              span, hint=hint))
        needs.setdefault(entry.name, tuple(dict.fromkeys(kept)))
        if entry.get("floating") is True:
            floating.add(entry.name)
        else:
            last = entry.name
        _check_protocol(entry, diags)
        diags += check_stateful(entry)
    diags += _check_process_count(flow.entries)
    diags += _check_cycles(flow.entries, needs)
    diags += _check_floating_needs(flow.entries, needs, floating)
    responders = (last,) if last != GATEWAY else ()
    graph = FlowGraph((GATEWAY,) + tuple(dict.fromkeys(names)), needs, responders,
                      frozenset(floating))
    if flow.complete and not any(d.code in ("FC501", "FC502", "FC503") for d in diags):
        diags += _check_dead_ends(flow.entries, graph)
    return graph, diags


def _check_names(entries: tuple[ResolvedEntry, ...]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    first: dict[str, ResolvedEntry] = {}
    labels: dict[str, ResolvedEntry] = {}
    for entry in entries:
        span = entry.name_span
        if entry.name == GATEWAY:
            diags.append(_err("FC506", "`gateway` is the Flow's own entry point and cannot name "
                                       "an executor", span))
            continue
        if not NAME_PATTERN.match(entry.name):
            diags.append(_err("FC504", f"executor name `{entry.name}` is not an identifier",
                              span))
            continue
        if entry.name in first:
            diags.append(_err("FC503", f"executor name `{entry.name}` is used twice", span,
                              related=(Related(first[entry.name].name_span, "first defined here"),)
                              if first[entry.name].name_span else ()))
            continue
        first[entry.name] = entry
        label = dns_label(entry.name)
        if label in labels:
            other = labels[label]
            diags.append(_err("FC505", f"`{entry.name}` and `{other.name}` are the same name "
                                       f"(`{label}`) in DNS-based targets", span,
                              related=(Related(other.name_span, f"`{other.name}` defined here"),)
                              if other.name_span else ()))
            continue
        labels[label] = entry
    return diags


def _shape(entry: ResolvedEntry) -> EntryShape | None:
    """What decides the entry's derived names; None when no target hosts it (external, or
    placed in the gateway) or when its process count is already an error (FC521)."""
    if entry.get("external") is True or entry.get("placement") == "gateway":
        return None
    shards, replicas = entry.get("shards", 1), entry.get("replicas", 1)
    shards = shards if isinstance(shards, int) and shards > 0 else 1
    replicas = replicas if isinstance(replicas, int) and replicas > 0 else 1
    if shards * replicas > MAX_PROCESSES:
        return None
    before, after = entry.uses_before is not None, entry.uses_after is not None
    return EntryShape(entry.name, shards, replicas, head=shards > 1 or before or after,
                      uses_before=before, uses_after=after, stateful=entry.get("stateful") is True)


def _check_derived_names(flow: ResolvedFlow) -> list[Diagnostic]:
    """Names the targets derive (`a` sharded makes `a-head`, `a-shard-0`, ...; compose makes
    `a-rep-0`) must not be another entry's (or the gateway's) names: FC522 at the later entry's
    `name`, once per pair of entries (compiler/names.py holds the table)."""
    gateway = str(flow.gateway.get("name") or GATEWAY)
    owner: dict[tuple[str, str], tuple[ResolvedEntry | None, str]] = {
        (where, name): (None, what) for where, name, what in gateway_names_of(gateway)}
    diags: list[Diagnostic] = []
    reported: set[tuple[str, str]] = set()
    for entry in flow.entries:
        shape = _shape(entry)
        if shape is None:
            continue
        for where, name, what in names_of(shape):
            first, first_what = owner.setdefault((where, name), (entry, what))
            if first is entry:
                continue
            pair = (first.name if first else GATEWAY, entry.name)
            if pair in reported:
                continue
            reported.add(pair)
            related = (Related(first.name_span, f"`{first.name}` defined here"),) if (
                first is not None and first.name_span) else ()
            diags.append(_err("FC522", f"{what} and {first_what} would both be the {where} "
                                       f"`{name}`", entry.name_span, related=related,
                              hint=f"targets name objects after the entry (`-head`, `-shard-N`, "
                                   f"`-rep-N`, `-uses-before`, `-uses-after`, `-raft`, "
                                   f"`-workspace`); rename `{entry.name}`"))
    return diags


def _check_process_count(entries: tuple[ResolvedEntry, ...]) -> list[Diagnostic]:
    """At most MAX_PROCESSES executor processes (shards × replicas, summed): every target but
    k8s writes one service/unit/process per replica, so a stray `replicas: 1000000` would exhaust
    the build's memory instead of failing. Reported once, at the largest entry."""
    sizes = []
    for entry in entries:
        shards, replicas = entry.get("shards", 1), entry.get("replicas", 1)
        if entry.get("external") is True or not (isinstance(shards, int)
                                                 and isinstance(replicas, int)):
            continue  # not started by flowc, or a type error already reported
        sizes.append((max(shards, 1) * max(replicas, 1), entry, shards, replicas))
    total = sum(size for size, *_ in sizes)
    if total <= MAX_PROCESSES:
        return []
    _, entry, shards, replicas = max(sizes, key=lambda item: item[0])
    key = "replicas" if replicas >= shards and "replicas" in entry.values else "shards"
    value = entry.values.get(key)
    span = (value.provenance.span if value is not None else None) or entry.name_span
    return [_err("FC521", f"the Flow runs {total:,} executor processes (shards × replicas), "
                          f"{shards * replicas:,} of them for `{entry.name}`; flowc's limit is "
                          f"{MAX_PROCESSES:,}", span)]


def _check_protocol(entry: ResolvedEntry, diags: list[Diagnostic]) -> None:
    protocol = entry.get("protocol")
    protocols = protocol if isinstance(protocol, list) else [protocol] if protocol else []
    shards = entry.get("shards", 1)
    bad = sorted({str(p).lower() for p in protocols} & UNSHARDABLE_PROTOCOLS)
    if bad and isinstance(shards, int) and shards > 1:
        value = entry.values["protocol"]
        diags.append(_err("FC507", f"executor `{entry.name}` uses protocol {bad[0].upper()} with "
                                   f"shards: {shards}; only GRPC executors can be sharded",
                          value.provenance.span or entry.name_span))
    elif bad:  # (a lone Deployment's protocols moved to its gateway: driver.py)
        value = entry.values["protocol"]
        diags.append(warning(
            "FC221", f"`protocol: {bad[0]}` on executor `{entry.name}` inside a Flow is not "
                     f"supported by flowc yet: it serves gRPC to the gateway",
            value.provenance.span or entry.name_span,
            hint=f"set `protocol: [grpc, {bad[0]}]` on the Flow's `with:` or `gateway:`: the "
                 f"gateway serves every endpoint over {bad[0].upper()}"))


def _check_cycles(entries: tuple[ResolvedEntry, ...], needs: dict[str, tuple[str, ...]]
                  ) -> list[Diagnostic]:
    """Every cycle once, reported at the `needs` of its first member in Flow order."""
    order = {e.name: i for i, e in enumerate(entries)}
    by_name = {e.name: e for e in reversed(entries)}
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    diags: list[Diagnostic] = []
    for start in order:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        state[start] = 1
        while stack:
            node, i = stack[-1]
            ups = needs.get(node, ())
            if i == len(ups):
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            stack[-1] = (node, i + 1)
            up = ups[i]
            if up == GATEWAY:
                continue
            if state.get(up) == 1:
                cycle = path[path.index(up):]
                diags.append(_cycle_diag(cycle, by_name, order))
            elif not state.get(up):
                state[up] = 1
                stack.append((up, 0))
                path.append(up)
    return diags


def _cycle_diag(cycle: list[str], by_name: dict[str, ResolvedEntry], order: dict[str, int]
                ) -> Diagnostic:
    # `cycle` follows needs upstream: cycle[i] needs cycle[i+1]; show it in data-flow direction.
    flow = list(reversed(cycle))
    k = min(range(len(flow)), key=lambda i: order[flow[i]])
    flow = flow[k:] + flow[:k]
    text = " → ".join(flow + [flow[0]])
    head = by_name[flow[0]]

    def needs_span(entry: ResolvedEntry, need: str) -> Span | None:
        if entry.needs and need in entry.needs:
            idx = entry.needs.index(need)
            if idx < len(entry.needs_spans):
                return entry.needs_spans[idx]
        return entry.name_span

    related = tuple(Related(span, f"`{name}` needs `{up}`")
                    for name, up in zip(flow[1:], flow)
                    if (span := needs_span(by_name[name], up)) is not None)
    return _err("FC502", f"`needs` form a cycle: {text}", needs_span(head, flow[-1]),
                related=related, hint="an executor cannot (indirectly) need itself; remove one "
                                      "of these `needs`")


def _check_floating_needs(entries: tuple[ResolvedEntry, ...], needs: dict[str, tuple[str, ...]],
                          floating: set[str]) -> list[Diagnostic]:
    """A non-floating entry cannot need a floating one: the response would wait for the
    floating entry after all (Jina silently drops its `floating` then). A floating entry may
    need one (a floating branch of several steps)."""
    out = []
    for entry in entries:
        if entry.name in floating or entry.needs is None:
            continue
        for i, need in enumerate(entry.needs):
            if need not in floating or need not in needs.get(entry.name, ()):
                continue
            span = entry.needs_spans[i] if i < len(entry.needs_spans) else entry.name_span
            out.append(_err("FC520", f"`{entry.name}` needs `{need}`, which is floating: the "
                                     f"response would have to wait for `{need}`", span,
                            hint=f"set `floating: true` on `{entry.name}` too (a floating "
                                 f"branch), or remove `floating: true` from `{need}`"))
    return out


def _check_dead_ends(entries: tuple[ResolvedEntry, ...], graph: FlowGraph) -> list[Diagnostic]:
    used = {u for u, _ in graph.edges()}
    out = []
    for entry in entries:
        if entry.name in used or entry.name in graph.responders or entry.name in graph.floating:
            continue
        out.append(warning("FC508", f"the output of `{entry.name}` reaches nothing: no later "
                                    f"executor needs it and it is not the last one, so it is "
                                    f"dropped", entry.name_span,
                           hint=CATALOGUE["FC508"].default_hint))
    return out
