"""flowc's JSON Schemas, kept as data files beside this module.

The schemas are hand-written draft 2020-12 documents. They refer to each other by relative file
name (`entry.schema.json#/$defs/entry`) so that editors (yaml-language-server) and jsonschema
resolve the same references; `registry()` registers every file under its own name for that.
`referencing` is imported lazily so that merely reading a schema stays cheap.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent

# The documents `flowc schema NAME` prints; `entry` is the shared executor-entry definition.
SCHEMA_NAMES: tuple[str, ...] = ("flow", "executor", "deployment", "gateway", "plan")
_ALL_NAMES: tuple[str, ...] = SCHEMA_NAMES + ("entry",)


def schema_path(name: str) -> Path:
    """Path of the schema file for `name` (e.g. 'flow' -> flow.schema.json)."""
    if name not in _ALL_NAMES:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(_ALL_NAMES)}")
    return SCHEMA_DIR / f"{name}.schema.json"


def schema_text(name: str) -> str:
    """The schema exactly as stored (what `flowc schema NAME` prints)."""
    return schema_path(name).read_text(encoding="utf-8")


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema, cached for the process. Do not mutate the result."""
    return json.loads(schema_text(name))


def schema_files() -> list[Path]:
    """Every `*.schema.json` file in this folder, sorted by name."""
    return sorted(SCHEMA_DIR.glob("*.schema.json"))


@functools.cache
def registry() -> Any:
    """A `referencing.Registry` holding every schema file under its file name.

    The schemas carry no `$id`, so a relative `$ref` such as `entry.schema.json#/$defs/x` is
    resolved against the referring file's name and found here, exactly as an editor finds it
    beside the referring file on disk.
    """
    # referencing: 28 ms that a valid document never pays (only jsonschema's errors need it)
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = []
    for path in schema_files():
        name = path.name.removesuffix(".schema.json")
        contents = load_schema(name) if name in _ALL_NAMES else json.loads(path.read_text("utf-8"))
        resources.append((path.name, Resource.from_contents(contents, DRAFT202012)))
    return Registry().with_resources(resources)


def resolve_ref(ref: str, base: str) -> tuple[Any, str]:
    """The subschema a relative `$ref` names, and the file later refs inside it start from.

    `ref` is `file.schema.json#/json/pointer` or `#/json/pointer` (then `base`, a file name such
    as 'flow.schema.json', is the file). Only the reference forms flowc's schemas use.
    """
    target, _, pointer = ref.partition("#")
    file = target or base
    node: Any = load_schema(file.removesuffix(".schema.json"))
    for token in filter(None, pointer.split("/")):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node, file


_ANNOTATIONS = ("description", "title")


def inlined(name: str) -> dict[str, Any]:
    """The schema with every `$ref` replaced by what it names (a new, unshared copy).

    Validating against it gives the same answers with no reference lookups at run time, which
    makes jsonschema several times faster on large Flows. A `$ref` beside other keywords is
    merged with them (flowc's schemas only put annotations there); `$defs` are dropped.
    """
    file = f"{name}.schema.json"
    return _inline(load_schema(name), file, ())


def _inline(schema: Any, base: str, seen: tuple[str, ...]) -> Any:
    if isinstance(schema, list):
        return [_inline(item, base, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target, file = resolve_ref(ref, base)
        key = f"{file}#{ref.partition('#')[2]}"
        if key in seen:  # a recursive schema: keep the reference (the registry resolves it)
            return dict(schema)
        out.update(_inline(target, file, seen + (key,)))
    for key, value in schema.items():
        if key in ("$ref", "$defs"):
            continue
        if key in ("properties", "patternProperties"):
            out[key] = {k: _inline(v, base, seen) for k, v in value.items()}
        elif key in _ANNOTATIONS or key.startswith("x-") or key in ("enum", "const", "required"):
            out[key] = value
        else:
            out[key] = _inline(value, base, seen)
    return out
