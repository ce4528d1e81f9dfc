"""One schema that stands alone: the files it refers to embedded under its own `$defs`.

The stored schemas refer to each other by file name (`entry.schema.json#/$defs/entry`), which an
editor resolves only beside those files. `flowc schema NAME` prints `bundled(NAME)` instead:
each referenced file is embedded whole at `#/$defs/<file name>` and every reference is rewritten
to point inside the one document, so `flowc schema flow > flow.schema.json` works anywhere.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from . import load_schema

_EMBEDDED_DROP = ("$schema", "$id")  # an embedded file is part of the bundle, not a resource


def bundled(name: str) -> dict[str, Any]:
    """The schema `name` with every other schema file it needs embedded (a new copy)."""
    root = f"{name}.schema.json"
    document = _rewrite(copy.deepcopy(load_schema(name)), root, root, needed := [])
    embedded: dict[str, Any] = {}
    while needed:
        file = needed.pop()
        if file in embedded:
            continue
        schema = {k: v for k, v in load_schema(file.removesuffix(".schema.json")).items()
                  if k not in _EMBEDDED_DROP}
        embedded[file] = _rewrite(copy.deepcopy(schema), file, root, needed)
    if embedded:
        defs = document.setdefault("$defs", {})
        for file in sorted(embedded):
            defs[file] = embedded[file]
    return document


def bundled_text(name: str) -> str:
    """`bundled(name)` as JSON text (what `flowc schema NAME` prints)."""
    return json.dumps(bundled(name), indent=2, ensure_ascii=False) + "\n"


def _rewrite(node: Any, file: str, root: str, needed: list[str]) -> Any:
    """`node` (from `file`) with references made relative to the bundle; files to embed are
    appended to `needed`."""
    if isinstance(node, list):
        return [_rewrite(item, file, root, needed) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _rewrite(value, file, root, needed) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str):
        target, _, pointer = ref.partition("#")
        owner = target or file
        if owner == root:
            out["$ref"] = "#" + pointer
        else:
            needed.append(owner)
            out["$ref"] = "#/$defs/" + owner.replace("~", "~0").replace("/", "~1") + pointer
    return out
