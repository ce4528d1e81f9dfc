"""What the gateway derives from the plan, once at start-up: the routing table.

Each entry becomes a `Node` (its needs, compiled `when` filter, floating or not, reduce or
`docs_matrix`, where it runs, its addresses, timeout and retries), in a topological order that
follows the Flow's order where it is free. Per request the gateway only walks this table.

Floating entries are not awaited by the response (the compiler refuses a non-floating entry that
needs a floating one, FC520, so what depends on a floating entry is floating too). The
response is built from `plan.responders`; other non-floating entries are awaited too, so that their
errors are reported, but their documents are dropped (the compiler warns about them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from flowc.compiler.plan import GATEWAY, Deployment, Plan

from .filters import FilterError, compile_filter


class TopologyError(ValueError):
    """The plan and the addresses given do not make a routable graph (the message says why)."""


@dataclass(frozen=True)
class Node:
    name: str
    needs: tuple[str, ...]  # may contain GATEWAY
    when: Callable[[Any], bool] | None
    floating: bool  # nobody waits for it (the plan's `floating`)
    disable_reduce: bool
    in_gateway: bool  # placement: gateway → runs inside the gateway process
    addresses: tuple[str, ...]
    timeout_ms: int | None
    retries: int


@dataclass(frozen=True)
class Topology:
    nodes: tuple[Node, ...]  # topological order
    responders: tuple[str, ...]
    awaited: tuple[str, ...]  # non-floating nodes, in topological order
    chain: bool  # a straight line gateway → n1 → n2 → … (the fast path)

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    @property
    def remote(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if not n.in_gateway)


def parse_addresses(text: str) -> dict[str, list[str]]:
    """`--addresses`: JSON `{entry: [addr, ...]}` (a single string is one address), or `@FILE`."""
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise TopologyError(f"--addresses: cannot read {text[1:]}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TopologyError(f"--addresses is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise TopologyError("--addresses must be a JSON object {entry: [address, ...]}")
    result: dict[str, list[str]] = {}
    for name, value in data.items():
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
            raise TopologyError(f"--addresses[{name!r}] must be a list of address strings")
        result[name] = list(items)
    return result


def build_topology(plan: Plan, addresses: Mapping[str, Sequence[str]]) -> Topology:
    """The gateway's routing table; raises TopologyError naming what is wrong."""
    names = [d.name for d in plan.deployments]
    unknown = sorted(set(addresses) - set(names))
    if unknown:
        raise TopologyError(f"--addresses names entries the plan does not have: "
                            f"{', '.join(unknown)} (entries: {', '.join(names) or 'none'})")
    try:
        order = plan.order()
    except ValueError as exc:
        raise TopologyError(str(exc)) from None
    nodes = [_node(plan, dep, addresses) for dep in order]
    floating = {dep.name for dep in order if dep.floating}
    responders = tuple(plan.responders)
    missing = [r for r in responders if r not in names]
    if missing:
        raise TopologyError(f"the plan's responders {missing} are not entries")
    awaited = tuple(n.name for n in nodes if n.name not in floating or n.name in responders)
    chain = _is_chain(nodes, responders)
    return Topology(tuple(nodes), responders, awaited, chain)


def _node(plan: Plan, dep: Deployment, addresses: Mapping[str, Sequence[str]]) -> Node:
    in_gateway = dep.placement == "gateway"
    addrs = tuple(addresses.get(dep.name) or (a.target for a in dep.external))
    if in_gateway and dep.shards > 1:
        raise TopologyError(f"entry {dep.name!r}: placement: gateway cannot run {dep.shards} "
                            f"shards (use placement: process)")
    if not in_gateway and not addrs:
        raise TopologyError(f"no address for entry {dep.name!r}: give it in --addresses "
                            f"(or set placement: gateway)")
    when = None
    if dep.when:
        try:
            when = compile_filter(dep.when)
        except FilterError as exc:
            where = f" ({dep.source})" if dep.source else ""
            raise TopologyError(f"entry {dep.name!r}{where}: when: {exc}") from None
    timeout = dep.timeout_send if dep.timeout_send not in (None, -1) else plan.gateway.timeout_send
    retries = dep.retries if dep.retries != -1 else plan.gateway.retries
    return Node(
        name=dep.name,
        needs=tuple(dep.needs) or (GATEWAY,),
        when=when,
        floating=dep.floating,
        disable_reduce=dep.disable_reduce,
        in_gateway=in_gateway,
        addresses=addrs,
        timeout_ms=timeout if timeout and timeout > 0 else None,
        retries=retries,
    )


def _is_chain(nodes: Sequence[Node], responders: tuple[str, ...]) -> bool:
    previous = GATEWAY
    for node in nodes:
        if node.needs != (previous,) or node.floating:
            return False
        previous = node.name
    return bool(nodes) and responders == (previous,)
