"""The documents of an answer when `Client.post` is given no `return_type`: what the Flow
returned, with every field the executors produced, as Jina's client gives them (`DocList[AnyDoc]`,
docarray's schemaless document) instead of the request's type, which dropped the fields an
executor added.

flowc's wire leaves out a field whose value is its default None (or an empty mapping that is its
default; `fastproto.py`), where docarray writes it: such a field of the request's document type
(or, without inputs, of `GenericDoc`) reads as that default, so `doc.text` and `doc.tags` work
on every answer as they did (docs/decisions.md). Importing this module imports docarray; the
client imports it only when it decodes an answer.
"""

from __future__ import annotations

import copy
import functools
import inspect
import typing
from typing import Any, Callable

from docarray import BaseDoc, DocList
from docarray.base_doc import AnyDoc

from .docs import decode_docs, generic_doc_type

__all__ = ["decode_as_returned", "AnyDoc"]


def decode_as_returned(data: bytes, fill_from: type | None) -> Any:
    """`DocList[AnyDoc]` from wire bytes: every field on the wire, plus the defaults above
    (`fill_from`: the request's document type; None: not known, `GenericDoc`'s fields)."""
    docs = decode_docs(data, AnyDoc)
    fill_from = fill_from if fill_from is not None else generic_doc_type()
    for doc in docs:
        _fill(doc, fill_from)
    return docs


def _fill(doc: Any, cls: type) -> None:
    """Give `doc` (an AnyDoc) `cls`'s defaults for the fields the wire did not carry, and the same
    to its nested documents (`matches`, `chunks`, a document field) by their declared types."""
    present = doc.__dict__
    for name, default, factory, inner in _fields_of(cls):
        if name not in present:
            present[name] = factory() if factory is not None else (
                default if isinstance(default, _IMMUTABLE) else copy.deepcopy(default))
            continue
        value = present[name]
        if inner is None or value is None:
            continue
        if isinstance(value, AnyDoc):
            _fill(value, inner)
        elif isinstance(value, (DocList, list)):
            for item in value:
                if isinstance(item, AnyDoc):
                    _fill(item, inner)


_IMMUTABLE = (type(None), bool, int, float, str, bytes, tuple, frozenset)


@functools.lru_cache(maxsize=256)
def _fields_of(cls: type) -> tuple[tuple[str, Any, Callable[[], Any] | None, type | None], ...]:
    """(name, default, default factory, nested document type) per field of `cls`, read once
    (pydantic's `get_default` costs 7 µs a call: 40 % of decoding a GenericDoc answer)."""
    return tuple((name, info.default, info.default_factory, _doc_type_in(info.annotation))
                 for name, info in cls._docarray_fields().items())


def _doc_type_in(annotation: Any) -> type | None:
    """The document type T an annotation holds (`T`, `DocList[T]`, `Optional[List[T]]`, ...)."""
    if inspect.isclass(annotation):
        if issubclass(annotation, DocList):
            inner = getattr(annotation, "doc_type", None)
            return inner if inspect.isclass(inner) and inner is not AnyDoc else None
        return annotation if issubclass(annotation, BaseDoc) and annotation is not AnyDoc \
            else None
    for arg in typing.get_args(annotation):
        found = _doc_type_in(arg)
        if found is not None:
            return found
    return None
