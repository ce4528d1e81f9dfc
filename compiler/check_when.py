"""Phase 2 — check, continued: `when` filters are docarray's query language (SPEC §4).

The schema only says `when` is a mapping; the language inside is checked here, with the rules
the gateway applies when it compiles a filter at start-up (`flowc.runtime.filters`), so a
misspelt operator is a located error in `flowc validate` instead of a gateway that refuses to
start. The language:

- a query is a mapping whose keys all hold (AND; an empty one holds); `when: {}` is no filter;
- `$and` / `$or` take a non-empty list of queries (or a mapping, one query per key);
  `$not` takes a query;
- any other key is a field path (`tags__x` walks `tags`, then `x`) whose value is a non-empty
  mapping of operators: the comparisons below, or `$and`/`$or`/`$not` over operators of that
  field (`{tags__x: {$not: {$eq: 1}}}`) or over queries;
- `$exists` takes true/false, `$in`/`$nin` a list (or a string), `$regex` a valid pattern.
"""

from __future__ import annotations

import re
from typing import Iterator

from .check_messages import got
from .diagnostics import Diagnostic, error
from .suggest import did_you_mean, listing
from .syntax import Mapping, Node, Scalar, Sequence

LOGICAL = ("$and", "$or", "$not")
COMPARE = ("$eq", "$neq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin", "$regex",
           "$size", "$exists")
_SUBSTITUTION = re.compile(r"\$(?:\{|\$|[A-Za-z_])")  # a value phase 3 has still to fill in


def when_diagnostics(root: Node, kind: str) -> list[Diagnostic]:
    """Every problem in the `when` filters of a Flow or Deployment document as written."""
    diags: list[Diagnostic] = []
    for path, node in _filters(root, kind):
        if isinstance(node, Mapping):
            diags += _query(node, path)
    return diags


def _filters(root: Node, kind: str) -> Iterator[tuple[tuple, Node]]:
    if not isinstance(root, Mapping):
        return
    if kind == "deployment":
        body = root.get("with")
        if isinstance(body, Mapping) and body.get("when") is not None:
            yield ("with", "when"), body.get("when")
        return
    if kind != "flow":
        return
    for section in ("executors", "deployments"):
        items = root.get(section)
        if not isinstance(items, Sequence):
            continue
        for i, item in enumerate(items.items):
            if not isinstance(item, Mapping):
                continue
            body, path = item, (section, i)
            inner = item.get("with")
            if _is_deployment(item) and isinstance(inner, Mapping):
                body, path = inner, (section, i, "with")
            if body.get("when") is not None:
                yield path + ("when",), body.get("when")


def _is_deployment(item: Mapping) -> bool:
    jtype = item.get("jtype")
    return (isinstance(jtype, Scalar) and jtype.value == "Deployment") \
        or item.tag == "!Deployment"


def _query(node: Mapping, path: tuple) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for key_node, value in node.items:
        key = str(key_node.value)
        if key in LOGICAL:
            diags += _logical(key, value, path + (key,))
        elif key.startswith("$"):
            diags.append(_unknown(key, key_node, path, LOGICAL,
                                  "a field path (`tags__x`) or `$and`, `$or`, `$not`"))
        else:
            diags += _field(key, value, path + (key,))
    return diags


def _logical(op: str, value: Node, path: tuple) -> list[Diagnostic]:
    if op == "$not" or isinstance(value, Mapping):
        if not isinstance(value, Mapping):
            return [error("FC202", f"{where(path)} must be a query (a mapping), got "
                                   f"{_got(value)}", value.span)]
        return _query(value, path)
    if not isinstance(value, Sequence) or not value.items:
        return [error("FC202", f"{where(path)} must be a non-empty list of queries, got "
                               f"{_got(value)}", value.span)]
    diags: list[Diagnostic] = []
    for i, item in enumerate(value.items):
        if isinstance(item, Mapping):
            diags += _query(item, path + (i,))
        else:
            diags.append(error("FC202", f"{where(path + (i,))} must be a query (a mapping), "
                                        f"got {_got(item)}", item.span))
    return diags


def _field(name: str, value: Node, path: tuple) -> list[Diagnostic]:
    if not isinstance(value, Mapping) or not value.items:
        return [error("FC202", f"{where(path)} must be a mapping of operators such as "
                               f"`{{$eq: 1}}`, got {_got(value)}", value.span)]
    diags: list[Diagnostic] = []
    for op_node, operand in value.items:
        op = str(op_node.value)
        if op in LOGICAL:
            if _operators_only(operand):  # `{tags__x: {$not: {$eq: 1}}}`: this field's operators
                diags += _field(name, operand, path + (op,))
            else:
                diags += _logical(op, operand, path + (op,))
        elif op in COMPARE:
            diags += _operand(op, operand, path + (op,))
        else:
            diags.append(_unknown(op, op_node, path, COMPARE + LOGICAL, None))
    return diags


def _operators_only(node: Node) -> bool:
    return isinstance(node, Mapping) and bool(node.items) and all(
        str(k.value).startswith("$") and str(k.value) not in LOGICAL for k, _ in node.items)


def _operand(op: str, node: Node, path: tuple) -> list[Diagnostic]:
    if isinstance(node, Scalar) and isinstance(node.value, str) \
            and _SUBSTITUTION.search(node.value):
        return []  # known after substitution
    if op == "$exists" and not (isinstance(node, Scalar) and isinstance(node.value, bool)):
        return [error("FC202", f"{where(path)} must be true or false, got {_got(node)}",
                      node.span)]
    if op in ("$in", "$nin") and not isinstance(node, Sequence) and not (
            isinstance(node, Scalar) and isinstance(node.value, str)):
        return [error("FC202", f"{where(path)} must be a list, got {_got(node)}", node.span)]
    if op == "$regex":
        if not (isinstance(node, Scalar) and isinstance(node.value, str)):
            return [error("FC202", f"{where(path)} must be a pattern (a string), got "
                                   f"{_got(node)}", node.span)]
        try:
            re.compile(node.value)
        except re.error as exc:
            return [error("FC206", f"{where(path)} is not a valid pattern: {exc}", node.span)]
    return []


def _unknown(word: str, key: Scalar, path: tuple, valid: tuple[str, ...],
             instead: str | None) -> Diagnostic:
    hint = did_you_mean(word, valid) or (f"write {instead}" if instead else
                                         f"operators: {listing(valid, limit=20)}")
    return error("FC201", f"unknown operator `{word}` in {where(path)}", key.span, hint=hint)


def where(path: tuple) -> str:
    """`when.$and[0].tags__x.$in`: the place from the entry's `when` on, in backticks."""
    start = max(i for i, part in enumerate(path) if part == "when")
    text = "when"
    for part in path[start + 1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return f"`{text}`"


def _got(node: Node) -> str:
    if isinstance(node, Scalar):
        return got(node.value)
    return "a list" if isinstance(node, Sequence) else "a mapping"
