"""Faster document ⇄ protobuf conversion, wire-compatible with docarray's own.

docarray decodes every field of every document through a generic path that inspects the field's
type annotation each time (~100 µs per TextDoc); encoding is ~30 µs. Most fields are plain
strings, numbers or empty. Here those are read and written directly, and every other field
(tensors, nested documents, dicts, lists) goes through docarray's own code, so the bytes mean
the same to any docarray reader. Two differences in the bytes, none in meaning: a field whose
value is its default None (or an empty mapping that is its default) is left out, and a reader
fills in that same default; typed strings (`ID`, URLs) are read as text and typed by pydantic.

A document class that overrides `from_protobuf`/`to_protobuf` keeps its own methods.
Importing this module imports docarray; `docs.py` imports it lazily.
"""

from __future__ import annotations

from typing import Any

from docarray import BaseDoc, DocList
from docarray.base_doc.mixins.io import _type_to_protobuf
from docarray.proto import DocListProto, DocProto
from docarray.typing import ID
from google.protobuf.message import DecodeError

from .doc_errors import DocumentsMismatch

_SCALAR_CONTENT = frozenset({"text", "integer", "float", "boolean", "blob"})
_BASE_FROM = BaseDoc.from_protobuf.__func__  # type: ignore[attr-defined]
_BASE_TO = BaseDoc.to_protobuf


def default_codec(cls: type) -> bool:
    """True when `cls` uses docarray's standard conversion (so the fast path is equivalent)."""
    return (getattr(cls.from_protobuf, "__func__", None) is _BASE_FROM
            and cls.to_protobuf is _BASE_TO)


def fill_proto(doc: Any, message: Any) -> None:
    """Write `doc`'s fields into the empty `DocProto` `message`."""
    data = message.data
    fields = type(doc)._docarray_fields()
    for key, value in doc:
        kind = type(value)
        if value is None:
            info = fields.get(key)
            if info is None or info.default is not None:
                data[key]  # an explicit None: an empty node, as docarray writes it
            continue  # None is the field's default: leave it out
        if kind is str:
            data[key].text = value
        elif kind is ID:
            node = data[key]
            node.text = value
            node.type = "id"
        elif kind is dict and not value and _empty_by_default(fields.get(key)):
            continue  # an empty mapping is the field's default: leave it out
        elif kind is bool:
            data[key].boolean = value
        elif kind is int and -(2 ** 31) <= value < 2 ** 31:
            data[key].integer = value
        elif kind is float:
            data[key].float = value
        elif kind is bytes:
            data[key].blob = value
        else:
            data[key].CopyFrom(_type_to_protobuf(value))


def _empty_by_default(info: Any) -> bool:
    if info is None:
        return False
    return info.default_factory is dict or (isinstance(info.default, dict) and not info.default)


def fields_from_proto(cls: type, message: Any, unknown: dict | None = None) -> dict[str, Any]:
    """Constructor arguments of `cls` from a `DocProto`; fields `cls` lacks go to `unknown`,
    unless `cls` takes every field (docarray's `AnyDoc`: `_load_extra_fields_from_protobuf`)."""
    known = cls._docarray_fields()
    every = bool(cls.model_config.get("_load_extra_fields_from_protobuf"))
    values: dict[str, Any] = {}
    for key, node in message.data.items():
        info = known.get(key)
        if info is None and not every:
            if unknown is not None:
                unknown[key] = node.SerializeToString(deterministic=True)
            continue
        content = node.WhichOneof("content")
        if content is None:
            if info is None or info.default is not None:
                values[key] = None
        elif content == "text":
            # typed strings (`ID`, URLs) too: pydantic turns the str into the field's type,
            # where docarray would build a TypeAdapter for every single value
            values[key] = node.text
        elif content in _SCALAR_CONTENT and not node.type:
            values[key] = getattr(node, content)
        else:
            values[key] = cls._get_content_from_node_proto(node, key)
    return values


def encode(docs: Any) -> bytes:
    """Wire bytes of a DocList (same meaning as `docs.to_protobuf().SerializeToString()`)."""
    message = DocListProto()
    add = message.docs.add
    for doc in docs:
        if default_codec(type(doc)):
            fill_proto(doc, add())
        else:
            message.docs.append(doc.to_protobuf())
    return message.SerializeToString()


def decode(cls: type, data: bytes) -> Any:
    """A `DocList[cls]` from wire bytes; `DocumentsMismatch` when they are not documents or do
    not fit `cls` (fields are matched by name, as docarray does; see docs/decisions.md)."""
    try:
        message = DocListProto.FromString(data)
    except DecodeError as exc:
        detail = str(exc).rpartition("': ")[2] or type(exc).__name__
        raise DocumentsMismatch(f"the documents for DocList[{cls.__name__}] are not docarray "
                                f"protobuf bytes ({len(data)} bytes: {detail})") from None
    fast = default_codec(cls)
    docs = []
    for index, item in enumerate(message.docs):
        try:
            if fast:
                values = fields_from_proto(cls, item)
                if len(values) != len(item.data):  # some field unknown (or empty): look closer
                    _check_shares_fields(cls, item, index)
                docs.append(cls(**values))
            else:
                docs.append(cls.from_protobuf(item))
        except DocumentsMismatch:
            raise
        except (ValueError, TypeError, KeyError) as exc:  # pydantic's ValidationError included
            raise DocumentsMismatch(f"the documents do not match DocList[{cls.__name__}]: "
                                    f"{_which(item, index)}: {_problems(exc)}") from None
    return DocList[cls](docs)


def _check_shares_fields(cls: type, item: Any, index: int) -> None:
    """A document whose fields (its id aside) are all unknown to `cls` is another schema:
    matching by name would leave it empty, a silent success with the wrong data."""
    known = cls._docarray_fields()
    names = [key for key in item.data.keys() if key != "id"]
    if names and not any(key in known for key in names):
        declared = ", ".join(sorted(k for k in known if k != "id")) or "no field but id"
        raise DocumentsMismatch(
            f"the documents do not match DocList[{cls.__name__}]: {_which(item, index)} has "
            f"none of its fields (it has {', '.join(sorted(names))}; "
            f"{cls.__name__} has {declared})")


def _which(item: Any, index: int) -> str:
    node = item.data["id"] if "id" in item.data else None
    return f"document {index} (id {node.text})" if node is not None and node.text \
        else f"document {index}"


def _problems(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(f"field '{'.'.join(str(p) for p in err['loc']) or '?'}': "
                             f"{err['msg']}" for err in errors())
        except (TypeError, KeyError):
            pass
    return f"{type(exc).__name__}: {exc}"


def new_doc_proto() -> Any:
    return DocProto()
