"""`when` filters: docarray's query language evaluated on documents as protobuf messages.

The gateway routes documents without knowing their Python type, so a filter reads the
`DocProto` fields directly (`tags__x` walks the `tags` field, then the key `x`). The semantics
follow docarray's `filter_docs`: several keys in one mapping are AND-ed, `$and`/`$or` take a list,
`$not` negates, a missing field fails every comparison except `$exists: false`, and a null value
fails ordering comparisons. A query is compiled once (at gateway start) into a predicate.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

Predicate = Callable[[Any], bool]

_MISSING = object()

_LOGICAL = {"$and", "$or", "$not"}
_COMPARE = {
    "$eq", "$neq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin", "$regex", "$size",
    "$exists",
}


class FilterError(ValueError):
    """A `when` query that is not valid docarray query language (says which part)."""


def compile_filter(query: Any) -> Predicate:
    """Turn a `when` mapping into a predicate over `DocProto` messages (raises FilterError)."""
    if not isinstance(query, dict) or not query:
        raise FilterError(f"a `when` filter must be a non-empty mapping, got {query!r}")
    return _compile_mapping(query)


def filter_indices(docs: Iterable[Any], predicate: Predicate) -> list[int]:
    """Positions of the documents that match, in their original order."""
    return [i for i, doc in enumerate(docs) if predicate(doc)]


def _compile_mapping(query: dict) -> Predicate:
    preds = [_compile_item(key, value) for key, value in query.items()]
    return preds[0] if len(preds) == 1 else _all(preds)


def _compile_list(value: Any, op: str) -> list[Predicate]:
    if isinstance(value, dict):
        value = [{k: v} for k, v in value.items()]
    if not isinstance(value, list) or not value:
        raise FilterError(f"`{op}` takes a non-empty list of conditions, got {value!r}")
    for item in value:
        if not isinstance(item, dict):
            raise FilterError(f"each condition under `{op}` must be a mapping, got {item!r}")
    return [_compile_mapping(v) for v in value]


def _compile_item(key: str, value: Any) -> Predicate:
    if key in _LOGICAL:
        return _logical(key, value)
    if key.startswith("$"):
        raise FilterError(f"the operator `{key}` is not supported (supported: "
                          f"{', '.join(sorted(_LOGICAL | _COMPARE))})")
    if not isinstance(value, dict) or not value:
        raise FilterError(f"`{key}` needs a mapping of operators, e.g. {{'$eq': 1}}, "
                          f"got {value!r}")
    path = tuple(key.split("__"))
    preds = []
    for op, operand in value.items():
        if op in _LOGICAL:
            preds.append(_logical(op, _scope(key, operand)))
        elif op in _COMPARE:
            preds.append(_leaf(path, op, operand))
        else:
            raise FilterError(f"the operator `{op}` (under `{key}`) is not supported")
    return preds[0] if len(preds) == 1 else _all(preds)


def _scope(key: str, inner: Any) -> Any:
    """`{'tags__x': {'$not': {'$eq': 1}}}` means `$not` of `{'tags__x': {'$eq': 1}}`."""
    if isinstance(inner, dict) and all(k.startswith("$") and k not in _LOGICAL for k in inner):
        return {key: inner}
    return inner


def _logical(op: str, value: Any) -> Predicate:
    if op == "$not":
        if not isinstance(value, dict):
            raise FilterError(f"`$not` takes a mapping, got {value!r}")
        inner = _compile_mapping(value)
        return lambda doc: not inner(doc)
    preds = _compile_list(value, op)
    return _all(preds) if op == "$and" else _any(preds)


def _all(preds: list[Predicate]) -> Predicate:
    return lambda doc: all(p(doc) for p in preds)


def _any(preds: list[Predicate]) -> Predicate:
    return lambda doc: any(p(doc) for p in preds)


def _leaf(path: tuple[str, ...], op: str, operand: Any) -> Predicate:
    if op == "$exists":
        if not isinstance(operand, bool):
            raise FilterError("`$exists` takes true or false")
        return lambda doc: (lookup(doc, path) is not _MISSING) == operand
    if op in ("$in", "$nin") and not isinstance(operand, (list, tuple, set, str)):
        raise FilterError(f"`{op}` takes a list, got {operand!r}")
    if op == "$regex":
        try:
            pattern = re.compile(operand)
        except (re.error, TypeError) as exc:
            raise FilterError(f"`$regex` pattern {operand!r} is invalid: {exc}") from None
        operand = pattern
    test = _TESTS[op]

    def predicate(doc: Any) -> bool:
        value = lookup(doc, path)
        if value is _MISSING:
            return False
        try:
            return bool(test(value, operand))
        except TypeError:  # comparing text with a number, and similar: no match, as docarray
            return False

    return predicate


def _not_none(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda value, operand: value is not None and fn(value, operand)


_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": lambda v, o: v == o,
    "$neq": lambda v, o: v != o,
    "$ne": lambda v, o: v != o,
    "$lt": _not_none(lambda v, o: v < o),
    "$lte": _not_none(lambda v, o: v <= o),
    "$gt": _not_none(lambda v, o: v > o),
    "$gte": _not_none(lambda v, o: v >= o),
    "$in": lambda v, o: v in o,
    "$nin": lambda v, o: v not in o,
    "$regex": _not_none(lambda v, o: isinstance(v, str) and o.search(v) is not None),
    "$size": _not_none(lambda v, o: len(v) == o),
}


# --- reading values out of DocProto / NodeProto messages -------------------------------------

def lookup(doc: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` in a DocProto as plain Python, or _MISSING when absent."""
    data = doc.data
    first = path[0]
    if first not in data:
        return _MISSING
    value: Any = _value(data[first])
    for part in path[1:]:
        value = _step(value, part)
        if value is _MISSING:
            return _MISSING
    return value


def _step(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return value.get(key, _MISSING)
    if isinstance(value, list):
        if key.lstrip("-").isdigit() and -len(value) <= int(key) < len(value):
            return value[int(key)]
        return _MISSING
    if hasattr(value, "data"):  # a nested DocProto
        return lookup(value, (key,))
    return _MISSING


def _value(node: Any) -> Any:
    kind = node.WhichOneof("content")
    if kind is None:
        return None
    if kind in ("text", "integer", "float", "boolean", "blob"):
        return getattr(node, kind)
    if kind == "dict":
        return {k: _value(v) for k, v in node.dict.data.items()}
    if kind in ("list", "tuple", "set"):
        return [_value(v) for v in getattr(node, kind).data]
    if kind == "doc":
        return node.doc
    if kind == "doc_array":
        return list(node.doc_array.docs)
    if kind == "ndarray":
        return node.ndarray  # compared by $exists/$size-less operators only
    return None
