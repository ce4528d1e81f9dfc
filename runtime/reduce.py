"""Deterministic merge of document lists (fan-in at the gateway, shards at the head).

Works on docarray's protobuf messages, not on Python documents: the gateway and the head do not
know the executors' document types, and a protobuf merge keeps every field, typed or not.

Rules (SPEC §4): documents are merged by id; for a field set in several parts, the part earlier in
`needs` order (or shard order) wins; `matches`, `chunks` and any other document-list field are
merged recursively by id, nested documents field by field and `tags`-like mappings key by key; a
field left empty (null) in an earlier part takes the later part's value; documents seen in one part
only are appended, first part's order first, then new ones in part order. Jina merges in arrival
order; flowc never depends on timing.

`doc_pb()` loads docarray's generated protobuf module on its own, without importing the docarray
package (which costs ~0.4 s of pydantic start-up the gateway does not need).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType
from typing import Any, Iterable, Sequence

from google.protobuf import __version__ as pb_version

_PB: ModuleType | None = None


def doc_pb() -> ModuleType:
    """docarray's `docarray_pb2` module (the same classes `docarray.proto` exposes)."""
    global _PB
    if _PB is None:
        loaded = sys.modules.get("docarray.proto")
        if loaded is not None and hasattr(loaded, "DocListProto"):
            _PB = loaded  # re-exports the generated classes
        else:
            _PB = _load_pb_standalone()
    return _PB


def _load_pb_standalone() -> ModuleType:
    spec = importlib.util.find_spec("docarray")
    if spec is None or spec.origin is None:
        raise ImportError("docarray is not installed; the runtime needs it for documents")
    flavour = "pb" if pb_version.startswith("4") else "pb2"
    path = os.path.join(os.path.dirname(spec.origin), "proto", flavour, "docarray_pb2.py")
    name = f"docarray.proto.{flavour}.docarray_pb2"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location("_flowc_docarray_pb2", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def parse_docs(data: bytes) -> Any:
    """A `DocListProto` from the bytes carried in `DataRequest.docs` (empty bytes → no docs)."""
    return doc_pb().DocListProto.FromString(data)


def serialize_docs(docs: Any) -> bytes:
    """Byte-stable serialisation (map fields in sorted order)."""
    return docs.SerializeToString(deterministic=True)


def doc_id(doc: Any) -> str | None:
    if "id" not in doc.data:
        return None
    node = doc.data["id"]
    return node.text if node.WhichOneof("content") == "text" else None


def merge_doc_lists(parts: Sequence[Any]) -> Any:
    """One `DocListProto` from several, by the rules above; the inputs are not modified."""
    result = doc_pb().DocListProto()
    if not parts:
        return result
    result.CopyFrom(parts[0])
    for part in parts[1:]:
        _merge_list_into(result, part)
    return result


def reduce_bytes(parts: Sequence[bytes]) -> bytes:
    """`merge_doc_lists` on serialised lists; a single part (or only one non-empty) is returned
    untouched, so the common case never decodes anything."""
    non_empty = [p for p in parts if p]
    if len(non_empty) <= 1:
        return non_empty[0] if non_empty else b""
    return serialize_docs(merge_doc_lists([parse_docs(p) for p in non_empty]))


def concat_bytes(parts: Iterable[bytes]) -> bytes:
    """All documents of every part, in order, without decoding: a `DocListProto` is one repeated
    field, so concatenated encodings are the encoding of the concatenated list."""
    return b"".join(parts)


def order_like(docs: Any, reference_ids: Sequence[str | None], extra: Sequence[Any] = ()) -> Any:
    """Documents of `docs` plus `extra` (documents to keep whose id is not in `docs`), sorted by
    their position in `reference_ids` (the client's order); documents with an unknown id follow,
    in their current order. Returns a new `DocListProto`."""
    rank = {d: i for i, d in reversed(list(enumerate(reference_ids))) if d is not None}
    present = {doc_id(d) for d in docs.docs}
    candidates = list(docs.docs) + [d for d in extra if doc_id(d) not in present]
    known = [d for d in candidates if doc_id(d) in rank]
    unknown = [d for d in candidates if doc_id(d) not in rank]
    known.sort(key=lambda d: rank[doc_id(d)])
    result = doc_pb().DocListProto()
    for doc in known + unknown:
        result.docs.add().CopyFrom(doc)
    return result


def _merge_list_into(target: Any, other: Any) -> None:
    index: dict[str, Any] = {}
    for doc in target.docs:
        key = doc_id(doc)
        if key is not None and key not in index:
            index[key] = doc
    for doc in other.docs:
        key = doc_id(doc)
        existing = index.get(key) if key is not None else None
        if existing is None:
            added = target.docs.add()
            added.CopyFrom(doc)
            if key is not None:
                index[key] = added
        else:
            _merge_doc_into(existing, doc)


def _merge_doc_into(target: Any, other: Any) -> None:
    for key, node in other.data.items():
        if key not in target.data:
            target.data[key].CopyFrom(node)
            continue
        _merge_node_into(target.data[key], node)


def _merge_node_into(target: Any, other: Any) -> None:
    mine = target.WhichOneof("content")
    theirs = other.WhichOneof("content")
    if theirs is None:
        return
    if mine is None:
        target.CopyFrom(other)
    elif mine == theirs == "doc_array":
        _merge_list_into(target.doc_array, other.doc_array)
    elif mine == theirs == "doc":
        _merge_doc_into(target.doc, other.doc)
    elif mine == theirs == "dict":
        for key, node in other.dict.data.items():
            if key not in target.dict.data:
                target.dict.data[key].CopyFrom(node)
            else:
                _merge_node_into(target.dict.data[key], node)
    # otherwise the earlier part's value stands
