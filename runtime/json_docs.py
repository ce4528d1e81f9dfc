"""Documents written as JSON, as `flowc post` reads and prints them: `--data` (a JSON document or
list, JSON lines, `@FILE` or `-` for standard input) becomes `GenericDoc`s, and an answer's
documents become one JSON object per line. Errors are `ValueError`s in the user's words."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, TextIO

from .docs import generic_doc_type

__all__ = ["doc_json", "post_stream", "read_inputs"]


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
    """One document as a JSON line, keys sorted. One rule for nulls: a field without a value
    (null, {} or []) is left out, whether the document's type declares it or not; what is inside
    a field (tags, lists) is printed as it is, nulls included."""
    data = _fields(doc)
    unknown = getattr(doc, "unknown_fields", None)
    if callable(unknown):
        for key, value in unknown().items():
            data.setdefault(key, value)
    data = {k: v for k, v in data.items() if v not in (None, {}, [])}
    return json.dumps(data, sort_keys=True, default=str)


def _fields(doc: Any) -> dict[str, Any]:
    """A document's fields as JSON data. docarray's schemaless `AnyDoc` (what `Client.post`
    returns without `return_type`) keeps its fields out of pydantic's view, so its `json()` has
    only the id: read them from the instance."""
    if _schemaless(doc):
        return {key: _plain(value) for key, value in vars(doc).items()}
    return json.loads(doc.json()) if hasattr(doc, "json") else dict(doc)


def _schemaless(value: Any) -> bool:
    return type(value).__name__ == "AnyDoc" and hasattr(value, "__dict__")


def _plain(value: Any) -> Any:
    if _schemaless(value) or hasattr(value, "model_fields"):
        return _fields(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if hasattr(value, "tolist"):  # numpy arrays, tensors
        return value.tolist()
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return value
    return [_plain(item) for item in value]


def post_stream(client: Any, on: str, inputs: Any, parameters: Any, out: TextIO,
                err: TextIO) -> int:
    """`flowc post --stream`: send the one document of `--data` to a streaming endpoint and
    print each document it streams back on its own line as it arrives; the exit code."""
    from .client import FlowcRequestError  # grpc: loaded already by the caller's client

    if not inputs or len(inputs) != 1:
        err.write(f"flowc post: --stream sends one document; --data holds {len(inputs or [])}\n")
        return 1

    async def run() -> None:
        async for doc in client.stream_doc(on=on, inputs=inputs[0], parameters=parameters):
            out.write(doc_json(doc) + "\n")
            out.flush()

    try:
        asyncio.run(run())
    except FlowcRequestError as error:
        err.write(f"flowc post: error: {error}\n")
        if error.stacks:
            err.write("".join(error.stacks).rstrip() + "\n")
        return 1
    except (ConnectionError, TimeoutError) as exc:
        err.write(f"flowc post: {exc}\n")
        return 1
    finally:
        client.close()
    return 0
