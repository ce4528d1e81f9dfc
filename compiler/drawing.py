"""`flowc graph`: the plan's graph as Mermaid or Graphviz DOT text (offline, no imports).

Nodes: the gateway's start, one node per deployment (shards/replicas in the label, floating ones
dashed), and the gateway's end fed by the responders. Edges follow `needs` in Flow order.
"""

from __future__ import annotations

import json

from .plan import GATEWAY, Deployment, Plan

END = "gateway_end"


def _label(dep: Deployment) -> str:
    extra = []
    if dep.shards > 1:
        extra.append(f"{dep.shards} shards")
    if dep.replicas > 1:
        extra.append(f"{dep.replicas} replicas")
    if dep.is_external:
        extra.append("external")
    if dep.placement == "gateway":
        extra.append("in gateway")
    return dep.name + (f" ({', '.join(extra)})" if extra else "")


def _id(name: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in name)


def to_mermaid(plan: Plan) -> str:
    lines = ["flowchart LR", f"  {_id(GATEWAY)}((gateway))"]
    for dep in plan.deployments:
        text = _label(dep).replace('"', "'")
        lines.append(f'  {_id(dep.name)}["{text}"]')
    if plan.responders:
        lines.append(f"  {END}((end))")
    for up, down in plan.edges():
        arrow = "-.->" if plan.deployment(down).floating else "-->"
        lines.append(f"  {_id(up)} {arrow} {_id(down)}")
    for name in plan.responders:
        lines.append(f"  {_id(name)} --> {END}")
    return "\n".join(lines) + "\n"


def to_dot(plan: Plan) -> str:
    q = json.dumps  # a JSON string is a valid DOT quoted id
    lines = [f"digraph {q(plan.flow.name)} {{", "  rankdir=LR;",
             f"  {q(GATEWAY)} [shape=circle];"]
    for dep in plan.deployments:
        style = ", style=dashed" if dep.floating else ""
        lines.append(f"  {q(dep.name)} [shape=box, label={q(_label(dep))}{style}];")
    if plan.responders:
        lines.append(f"  {q(END)} [shape=doublecircle, label=\"end\"];")
    for up, down in plan.edges():
        style = " [style=dashed]" if plan.deployment(down).floating else ""
        lines.append(f"  {q(up)} -> {q(down)}{style};")
    for name in plan.responders:
        lines.append(f"  {q(name)} -> {q(END)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
