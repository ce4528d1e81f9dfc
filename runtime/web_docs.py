"""Documents between JSON (the HTTP and WebSocket gateways) and the wire's docarray bytes.

Into the graph: each endpoint's input document class is rebuilt from the JSON Schema its
executor published (endpoint discovery, as Jina's gateway does with
`create_base_doc_from_schema`), so a body is validated against the executor's real type and
encoded with the runtime's fast encoder (`fastproto.encode`). Out of the graph: the answer's
`DocListProto` is turned into JSON values node by node, without building documents (any schema
reads back, and the gateway never imports the executor's classes).

Importing this module imports docarray; `web.py` imports it only when a web port is served.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from docarray import BaseDoc
from docarray.proto import DocListProto
from docarray.typing import NdArray

from .docs import generic_doc_type
from .fastproto import encode
from .proto import flowc_pb2

__all__ = ["EndpointModels", "docs_from_json", "docs_to_json", "endpoint_models"]


@dataclass(frozen=True)
class EndpointModels:
    """One endpoint the executors expose, with its document classes (rebuilt from schemas)."""

    endpoint: str  # '/index'
    input_doc: type  # a docarray BaseDoc subclass
    output_doc: type
    input_schema: dict  # the JSON Schemas as the executor published them ({} when none)
    output_schema: dict
    parameters_schema: dict = field(default_factory=dict)  # {} = any object
    write: bool = False
    streaming: bool = False


def endpoint_models(reply: flowc_pb2.EndpointsReply) -> list[EndpointModels]:
    """The discovered endpoints, sorted, each with classes built from its schemas."""
    out = []
    for info in reply.endpoints:
        out.append(EndpointModels(
            endpoint=info.endpoint, input_doc=_doc_class(info.input_schema),
            output_doc=_doc_class(info.output_schema),
            input_schema=_schema(info.input_schema), output_schema=_schema(info.output_schema),
            parameters_schema=_schema(info.parameters_schema),
            write=info.write, streaming=bool(getattr(info, "streaming", False))))
    return sorted(out, key=lambda m: m.endpoint)


def _schema(text: str) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@lru_cache(maxsize=256)
def _doc_class(schema_text: str) -> type:
    """A BaseDoc subclass from a published JSON Schema (the generic document without one)."""
    schema = _schema(schema_text)
    if not schema.get("properties"):
        return generic_doc_type()
    # imported here: docarray's dynamic classes are only needed once per schema
    from docarray.utils.create_dynamic_doc_class import create_base_doc_from_schema

    title = str(schema.get("title") or "Document")
    try:
        return create_base_doc_from_schema(schema, title, {})
    except Exception:  # a schema docarray cannot rebuild: accept any document
        return generic_doc_type()


def docs_from_json(items: list[Any], doc_class: type) -> bytes:
    """Wire bytes of the documents a body carries (dicts), validated by `doc_class`; a document
    without an id gets a random one, as the Python client gives it. ValueError (pydantic's
    ValidationError) when one does not fit."""
    docs: list[BaseDoc] = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(f"a document is a JSON object, not {type(item).__name__}")
        if item.get("id") is None:
            item = {**item, "id": os.urandom(16).hex()}
        docs.append(doc_class(**item))
    return encode(docs)


def docs_to_json(data: bytes) -> list[dict[str, Any]]:
    """JSON values of the documents in wire bytes (fields as written; tensors as lists)."""
    if not data:
        return []
    message = DocListProto.FromString(data)
    return [_doc(doc) for doc in message.docs]


def _doc(doc: Any) -> dict[str, Any]:
    return {key: _node(node) for key, node in doc.data.items()}


def _node(node: Any) -> Any:
    kind = node.WhichOneof("content")
    if kind is None:
        return None
    if kind in ("text", "integer", "float", "boolean"):
        return getattr(node, kind)
    if kind == "blob":  # as a body gives it (pydantic reads a string as its UTF-8 bytes)
        try:
            return node.blob.decode("utf-8")
        except UnicodeDecodeError:  # binary: base64 (JSON has no bytes)
            return base64.b64encode(node.blob).decode("ascii")
    if kind == "ndarray":
        return NdArray.from_protobuf(node.ndarray).tolist()
    if kind == "doc":
        return _doc(node.doc)
    if kind == "doc_array":
        return [_doc(d) for d in node.doc_array.docs]
    if kind in ("list", "set", "tuple"):
        return [_node(n) for n in getattr(node, kind).data]
    if kind == "dict":
        return {key: _node(n) for key, n in node.dict.data.items()}
    return None
