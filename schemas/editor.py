"""The schemas as editors need them: what `flowc schema NAME` prints and `schemas/editor/` holds.

The stored schemas describe a document after substitution, which is when flowc checks it. An
editor sees the file as written, so the published form (`published(name)`) differs in two ways:
- a typed value (number, boolean, a choice, a patterned string) may instead be a substitution
  expression (`${{ ENV.R }}`, `${R:-2}`): flowc checks the value once it is known;
- an Executor file may name its class with a tag (`!MyExecutor`) instead of `jtype`, and a schema
  cannot see tags, so `jtype` is not required there (`flowc validate` reports a missing class).
It is bundled (`bundle.bundled`): it stands alone, referring to no other file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .bundle import bundled

EDITOR_DIR = Path(__file__).resolve().parent / "editor"
EXPRESSION = {
    "type": "string", "pattern": r"\$\{",
    "description": "a substitution expression (`${{ ENV.X }}`, `${X:-default}`): its value is "
                   "known, and checked, when flowc resolves the Flow"}
_SCALARS = {"integer", "number", "boolean"}
_ANNOTATIONS = ("title", "description", "markdownDescription", "default", "examples",
                "deprecated")
# Documents whose class can come from a tag instead of `jtype`.
_TAGGABLE = ("executor",)


def published(name: str) -> dict[str, Any]:
    """The schema `name` as editors need it (a new copy)."""
    schema = _tolerate(bundled(name))
    schema.setdefault("$defs", {})["expression"] = EXPRESSION
    if name in _TAGGABLE and "jtype" in schema.get("required", []):
        schema["required"] = [key for key in schema["required"] if key != "jtype"]
        if not schema["required"]:
            del schema["required"]
    return schema


def published_text(name: str) -> str:
    """`published(name)` as JSON text: what `flowc schema NAME` prints."""
    return json.dumps(published(name), indent=2, ensure_ascii=False) + "\n"


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    return {kind} if isinstance(kind, str) else set(kind or ())


def _fixed(node: dict[str, Any]) -> bool:
    """A value an expression could stand for: a typed scalar, a choice, a patterned string."""
    if "const" in node:
        return False
    kinds = _types(node)
    if kinds & {"object", "array"} and not kinds & _SCALARS:
        return False
    if "enum" in node:
        return True
    if kinds & _SCALARS and "string" not in kinds:
        return True
    return kinds == {"string"} and ("pattern" in node or "format" in node)


def _tolerate(node: Any) -> Any:
    if isinstance(node, list):
        return [_tolerate(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("enum", "const", "required", "examples", "default"):
            out[key] = value
        elif key in ("properties", "patternProperties", "$defs"):
            out[key] = {k: _tolerate(v) for k, v in value.items()}
        else:
            out[key] = _tolerate(value)
    if not _fixed(out):
        return out
    notes = {k: out.pop(k) for k in _ANNOTATIONS if k in out}
    return {**notes, "anyOf": [out, {"$ref": "#/$defs/expression"}]}
