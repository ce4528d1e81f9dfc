"""Documents written as JSON, as `flowc post` reads and prints them: `--data` (a JSON document or
list, JSON lines, `@FILE` or `-` for standard input) becomes `GenericDoc`s, and an answer's
documents become one JSON object per line. Errors are `ValueError`s in the user's words."""

from __future__ import annotations

import json
import sys
from typing import Any

from .docs import generic_doc_type

__all__ = ["doc_json", "read_inputs"]


def read_inputs(data: str | None) -> Any:
    """The documents `--data` names (None without it); OSError when its file cannot be read."""
    if data is None:
        return None
    if data == "-":
        text = sys.stdin.read()
    elif data.startswith("@"):
        with open(data[1:], encoding="utf-8") as handle:
            text = handle.read()
    else:
        text = data
    items = _parse_json_docs(text)
    doc_cls = generic_doc_type()
    docs = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict):
            raise ValueError(f"--data item {index}: a document is a JSON object or a string")
        try:
            docs.append(doc_cls(**item))
        except Exception as exc:
            raise ValueError(f"--data item {index}: {exc}") from None
    return docs


def _parse_json_docs(text: str) -> list[Any]:
    text = text.strip()
    if not text:
        return []
    try:
        value = json.loads(text)
        return value if isinstance(value, list) else [value]
    except json.JSONDecodeError as first:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError:
                raise ValueError(f"--data is not JSON (line {first.lineno}, column "
                                 f"{first.colno}: {first.msg}) nor JSON lines (line {number})") \
                    from None
        return items


def doc_json(doc: Any) -> str:
    """One document as a JSON line: its set fields, unknown ones kept, keys sorted."""
    data = json.loads(doc.json()) if hasattr(doc, "json") else dict(doc)
    data = {k: v for k, v in data.items() if v not in (None, {}, [])}
    unknown = getattr(doc, "unknown_fields", None)
    if callable(unknown):
        for key, value in unknown().items():
            data.setdefault(key, value)
    return json.dumps(data, sort_keys=True, default=str)
