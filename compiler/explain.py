"""`flowc explain`: every resolved value of every node, and where it came from.

Rows are leaves: a mapping is flattened to `key.sub` paths and a list to `key[0]`, each leaf with
its own provenance (a file position, an environment variable, a `--context` value, an override, a
Flow `with:` pass-down, a default). An executor's effective `with`/`metas`/`requests`/
`dynamic_batching` is shown after the Flow entry's overrides (SPEC §3), as the worker will apply
them. The JSON form is stable and documented in docs/explain-json.md.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from . import precedence
from .graph import FlowGraph
from .model import Provenance, ResolvedEntry, ResolvedExecutor, ResolvedFlow, Value
from .resolve_files import plain as to_plain, provenance
from .syntax import Mapping, Node, Scalar, Sequence

EXPLAIN_VERSION = 1


def explain_data(flow: ResolvedFlow, graph: FlowGraph | None) -> dict[str, Any]:
    """The explain document (the JSON form, before serialisation)."""
    nodes = [
        {"name": "flow", "kind": "flow", "values": _rows(flow.values, extra={"name": flow.name})},
        {"name": "gateway", "kind": "gateway", "values": _rows(flow.gateway.values)},
    ]
    for entry in flow.entries:
        nodes.append(_entry_data(entry, graph))
    return {
        "version": EXPLAIN_VERSION,
        "flow": flow.name.value,
        "source": flow.source,
        "responders": list(graph.responders) if graph else [],
        "nodes": nodes,
    }


def explain_json(flow: ResolvedFlow, graph: FlowGraph | None) -> str:
    return json.dumps(explain_data(flow, graph), indent=2, sort_keys=True,
                      ensure_ascii=False) + "\n"


def explain_text(flow: ResolvedFlow, graph: FlowGraph | None) -> str:
    """Human form: one block per node, one line per value: key, value, kind, where it came from."""
    data = explain_data(flow, graph)
    lines: list[str] = [f"flow `{data['flow']}` from {data['source']}"]
    if data["responders"]:
        lines.append(f"response from: {', '.join(data['responders'])}")
    for node in data["nodes"]:
        lines.append("")
        title = f"{node['kind']} {node['name']}" if node["kind"] == "deployment" else node["kind"]
        if "needs" in node:
            title += f"  (needs: {', '.join(node['needs'])})"
        lines.append(title)
        if "executor" in node:
            ex = node["executor"]
            what = ex.get("path") or ex.get("image") or ex.get("jtype") or ""
            lines.append(f"  runs {ex['kind']} {what}".rstrip()
                         + (f" (class {ex['jtype']})" if ex.get("path") and ex.get("jtype") else ""))
        width = max((len(r["key"]) for r in node["values"]), default=0)
        for row in node["values"]:
            origin = row["from"]
            where = origin.get("location") or ""
            detail = origin["detail"]
            how = origin["kind"] + (f" {where}" if where else "")
            if detail and detail != origin.get("file"):
                how += f" ({detail})" if where else f": {detail}"
            text = json.dumps(row["value"], ensure_ascii=False, sort_keys=True)
            lines.append(f"  {row['key']:<{width}}  {text}  ← {how}")
    return "\n".join(lines) + "\n"


def _entry_data(entry: ResolvedEntry, graph: FlowGraph | None) -> dict[str, Any]:
    values = dict(entry.values)
    rows = _rows(values)
    rows += _executor_rows(entry.executor, "executor")
    for role in ("uses_before", "uses_after"):
        ex = getattr(entry, role)
        if ex is not None and ex.kind == "file":  # inline ones are already rows of `role`
            rows += _executor_rows(ex, f"{role}.executor")
    data: dict[str, Any] = {"name": entry.name, "kind": "deployment",
                            "executor": _executor_summary(entry.executor), "values": sorted(
                                rows, key=lambda r: r["key"])}
    if graph is not None:
        data["needs"] = list(graph.needs.get(entry.name, ()))
    for role in ("uses_before", "uses_after"):
        ex = getattr(entry, role)
        if ex is not None:
            data[role] = _executor_summary(ex)
    return data


def _executor_summary(ex: ResolvedExecutor) -> dict[str, Any]:
    out = {"kind": ex.kind, "jtype": ex.jtype, "path": ex.path, "image": ex.image,
           "py_modules": list(ex.py_modules)}
    return {k: v for k, v in out.items() if v not in (None, [])} | {"kind": ex.kind}


def _executor_rows(ex: ResolvedExecutor, prefix: str) -> list[dict[str, Any]]:
    """The Executor document's values after the entry's overrides, leaf by leaf."""
    rows: list[dict[str, Any]] = []
    for entry_key, (file_key, _kind) in precedence.OVERRIDES.items():
        written = ex.file_values.get(file_key)
        override = ex.overrides.get(entry_key)
        if written is None and override is None:
            continue
        base = written.value if written and isinstance(written.value, dict) else {}
        over = override.value if override and isinstance(override.value, dict) else None
        merged = precedence.merge_executor_config({file_key: base}, **{entry_key: over})
        effective = merged.get(file_key) or {}
        file_leaves = dict(_leaves(written)) if written else {}
        over_leaves = dict(_leaves(override)) if override else {}
        for path, value in _plain_leaves(effective):
            key = f"{prefix}.{file_key}{path}"
            if path in over_leaves:
                prov = over_leaves[path][1]
                prov = Provenance("override", f"`{entry_key}` over the Executor's `{file_key}`"
                                  + (f" ({prov.detail})" if prov.kind != "file" else ""),
                                  prov.span)
            elif path in file_leaves:
                prov = file_leaves[path][1]
                if isinstance(value, str) and "$" in value:
                    prov = Provenance(prov.kind, f"{prov.detail}; substituted by the worker at "
                                                 f"start-up", prov.span)
            else:
                prov = Provenance("default", "")
            rows.append(_row(key, value, prov))
    return rows


def _rows(values: dict[str, Value], extra: dict[str, Value] | None = None) -> list[dict]:
    rows = []
    for key, value in sorted({**values, **(extra or {})}.items()):
        for path, (leaf, prov) in _leaves(value):
            rows.append(_row(key + path, leaf, prov))
    return rows


def _row(key: str, value: Any, prov: Provenance) -> dict[str, Any]:
    origin: dict[str, Any] = {"kind": prov.kind, "detail": prov.detail}
    if prov.span is not None and prov.span.line > 0:
        origin.update(location=str(prov.span), file=prov.span.file, line=prov.span.line,
                      column=prov.span.col)
    return {"key": key, "value": value, "from": origin}


def _leaves(value: Value) -> Iterator[tuple[str, tuple[Any, Provenance]]]:
    """(path suffix, (leaf value, provenance)) pairs; nested values keep their own origins when
    the value is still what its node says, else the whole value shares the Value's provenance.
    A merged value (`parts`) takes each leaf's origin from the last part that has it."""
    if value.parts:
        origins: dict[str, tuple[Any, Provenance]] = {}
        for part in value.parts:
            origins.update(_leaves(part))
        for path, leaf in _plain_leaves(value.value):
            yield path, (leaf, origins[path][1] if path in origins else value.provenance)
        return
    node = value.node
    if node is not None and _same(node, value.value):
        yield from _node_leaves(node, "", value.provenance)
        return
    for path, leaf in _plain_leaves(value.value):
        yield path, (leaf, value.provenance)


def _same(node: Node, plain: Any) -> bool:
    return to_plain(node) == plain


def _node_leaves(node: Node, path: str, top: Provenance
                 ) -> Iterator[tuple[str, tuple[Any, Provenance]]]:
    if isinstance(node, Mapping) and node.items:
        for key, child in node.items:
            yield from _node_leaves(child, f"{path}.{key.value}", top)
    elif isinstance(node, Sequence) and node.items:
        for i, child in enumerate(node.items):
            yield from _node_leaves(child, f"{path}[{i}]", top)
    else:
        prov = top
        if isinstance(node, Scalar) and node.origin is not None:
            prov = provenance(node, top.detail)
        elif top.kind in ("file", "flow-with", "override") and node.span.line > 0:
            prov = Provenance(top.kind, top.detail, node.span)
        yield path, (to_plain(node), prov)


def _plain_leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value and "$template" not in value:
        for key in value:
            yield from _plain_leaves(value[key], f"{path}.{key}")
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from _plain_leaves(item, f"{path}[{i}]")
    else:
        yield path, value
