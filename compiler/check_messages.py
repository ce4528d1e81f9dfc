"""Words for schema diagnostics: what a schema expects and what the user wrote, in YAML terms.

Kept apart from check.py so the wording rules (never a Python type name, `a mapping` not
`dict`, `an integer ≥ 1` not `minimum: 1`) are in one small place.
"""

from __future__ import annotations

import math
from typing import Any

_NOUN = {
    "string": "a string", "integer": "an integer", "number": "a number",
    "boolean": "true or false", "object": "a mapping", "array": "a list", "null": "null",
}
_PLURAL = {
    "string": "strings", "integer": "integers", "number": "numbers", "boolean": "booleans",
    "object": "mappings", "array": "lists",
}


def _fmt_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bounded(noun: str, schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"{noun} from {_fmt_number(low)} to {_fmt_number(high)}"
    if low is not None:
        return f"{noun} ≥ {_fmt_number(low)}"
    if high is not None:
        return f"{noun} ≤ {_fmt_number(high)}"
    return noun


def _one_type(kind: str, schema: dict[str, Any]) -> str:
    if kind in ("integer", "number"):
        return _bounded(_NOUN[kind], schema)
    if kind == "string" and "pattern" in schema:
        return f"a string matching `{schema['pattern']}`"
    if kind == "string" and schema.get("minLength", 0) >= 1:
        return "a non-empty string"
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, dict) and isinstance(items.get("type"), str) \
                and items["type"] in _PLURAL:
            return f"a list of {_PLURAL[items['type']]}"
    return _NOUN.get(kind, kind)


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"`{value}`"


def describe(schema: Any) -> str:
    """What a (sub)schema accepts, as a phrase that follows "must be"."""
    if not isinstance(schema, dict):
        return "a valid value"
    if "x-flowc-expected" in schema:
        return str(schema["x-flowc-expected"])
    if "const" in schema:
        return _literal(schema["const"])
    if "enum" in schema:
        options = [_literal(v) for v in schema["enum"]]
        return options[0] if len(options) == 1 else "one of " + ", ".join(options)
    kinds = schema.get("type")
    if isinstance(kinds, str):
        return _one_type(kinds, schema)
    if isinstance(kinds, list) and kinds:
        return " or ".join(_one_type(k, schema) for k in kinds)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(dict.fromkeys(describe(b) for b in schema[key]))
    return "a valid value"


def got(value: Any) -> str:
    """The value the user wrote, shown the way YAML would show it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null (an empty value)"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value).replace("inf", ".inf").replace("nan", ".nan")
    if isinstance(value, (int, float)):
        return _fmt_number(value) if isinstance(value, int) else repr(value)
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
        return "''" if not text else "'" + text.replace("'", "''") + "'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__  # not reachable from YAML input


def where(path: tuple) -> str:
    """A short, recognisable name for the place at `path`: the part after the last list
    index that is not the final step (`executors[0].needs[1]` → `needs[1]`)."""
    if not path:
        return "the document"
    start = 0
    for i, part in enumerate(path[:-1]):
        if isinstance(part, int):
            start = i + 1
    text = ""
    for part in path[start:]:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not str(part).isidentifier():
            text += f"[{str(part)!r}]"
        else:
            text += ("." if text else "") + str(part)
    return f"`{text}`"
