"""Where a target's diagnostic points: a plan entry's recorded positions back as spans.

The planner records where each key a target validates was written (`Deployment.sources`,
`Gateway.sources`, `flowc.compiler.positions`); a target names `entry_span(dep, "env", "X")`
and gets the key's span, else the nearest enclosing key's, else the entry's.
"""

from __future__ import annotations

from typing import Any

from flowc.compiler.plan import Deployment, Plan
from flowc.compiler.positions import position_span
from flowc.compiler.syntax import Span


def span_from_source(source: str | None) -> Span | None:
    """Turn a plan entry's `source` ("file:line:col") back into a Span for target diagnostics
    (`flowc.compiler.positions` reads what the planner wrote). None when there is none."""
    return position_span(source)


def flow_span(plan: Plan) -> Span:
    """The Flow file itself (as the user named it), for problems of no single entry."""
    return span_from_source(plan.flow.location) or Span(plan.flow.source, 1, 1, 1, 1)


def located(sources: dict, keys: tuple[str | int, ...], base: Span | None,
            exact: bool = False) -> Span | None:
    """Where the deepest of `keys` (a path into an entry or the gateway section) that `sources`
    knows was written, else `base` (the entry; its file is the one a `line:col` place is in);
    with `exact`, where `keys` itself was recorded, or None. `sources` is a plan's JSON pointer
    → place map (a key written where its parent is is not recorded: the parent answers)."""
    steps = ["/" + str(k).replace("~", "~0").replace("/", "~1") for k in keys]
    for n in range(len(steps), -1 if not exact else len(steps) - 1, -1):
        where = sources.get("".join(steps[:n]))
        if where:
            span = position_span(where, base)
            if span is None:
                break  # a place in a file nobody named: no better answer than none
            return span
    return None if exact else base


def entry_span(dep: Deployment, *keys: str | int, exact: bool = False) -> Span | None:
    """Where `keys` of an entry were written (e.g. `entry_span(dep, "env", name)`), or the entry
    (`exact`: None when that very key has no recorded place)."""
    return located(dep.sources, keys, span_from_source(dep.source), exact)


def env_span(at: Any, name: str) -> Span | None:
    """Where an environment variable name was written, given `at` (`partial(entry_span, dep)`
    or `partial(gateway_span, plan)`): under `env`, else under `env_from_secret`, else the
    nearest place known."""
    return (at("env", name, exact=True) or at("env_from_secret", name, exact=True)
            or at("env", name))


def gateway_span(plan: Plan, *keys: str | int, exact: bool = False) -> Span | None:
    """Where `keys` of the gateway were written, or the Flow file (`exact`: or None)."""
    flow = flow_span(plan)
    return located(plan.gateway.sources, keys, flow, exact)
