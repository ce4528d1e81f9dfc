"""Documents on the wire: `DataRequest.docs` is `DocList.to_protobuf().SerializeToString()`.

Two costs decide the runtime's speed, and this module keeps both off the common path:

- importing docarray (≈0.4 s and ≈25 MiB per process): nothing here imports it until a document
  is actually decoded or encoded;
- decoding and re-encoding documents an executor does not touch: an endpoint receives a
  `LazyDocList` that decodes on first use. If the endpoint never looks at its documents (a
  pass-through, a `/status` endpoint returning a dict), the request's bytes are forwarded as they
  came, untouched and without docarray ever being imported.

`GenericDoc` (see `generic_doc.py`) is the type used when an endpoint has no `DocList[T]`
annotation and when `decode_docs` is given no type.
"""

from __future__ import annotations

import inspect
from typing import Any, Iterator

from .doc_errors import DocumentsMismatch

__all__ = ["LazyDocList", "DocumentsMismatch", "decode_docs", "encode_docs", "as_doclist",
           "generic_doc_type"]


def generic_doc_type() -> type:
    """The generic document class (imports docarray on first call)."""
    from .generic_doc import GenericDoc  # docarray: 300 ms; see the module docstring

    return GenericDoc


def _doc_class(doc_type: Any) -> type:
    """A BaseDoc subclass from a doc class, a `DocList[T]` class, or None (the generic type)."""
    if doc_type is None:
        return generic_doc_type()
    inner = getattr(doc_type, "doc_type", None)
    if inspect.isclass(inner):
        return inner
    return doc_type


def decode_docs(data: bytes, doc_type: type | None = None) -> Any:
    """A `DocList[doc_type]` from wire bytes (`doc_type` None → the generic document type);
    `DocumentsMismatch` when they do not fit it."""
    cls = _doc_class(doc_type)
    if not data:
        from docarray import DocList  # loaded already: `cls` is a docarray class

        return DocList[cls]()
    from .fastproto import decode  # docarray: 300 ms; see the module docstring

    return decode(cls, data)


def as_doclist(value: Any, doc_type: type | None = None) -> Any:
    """A DocList from what an endpoint or a client gave: a DocList, one document, an iterable."""
    from docarray import BaseDoc, DocList  # 300 ms; see the module docstring

    if isinstance(value, LazyDocList):
        return value.materialise()
    if isinstance(value, DocList):
        return value
    if isinstance(value, BaseDoc):
        return DocList[type(value)]([value])
    items = list(value)
    if not items:
        return DocList[_doc_class(doc_type)]()
    for item in items:
        if not isinstance(item, BaseDoc):
            raise TypeError(f"expected documents (docarray BaseDoc), got {type(item).__name__}")
    return DocList[type(items[0])](items)


def encode_docs(docs: Any) -> bytes:
    """Wire bytes of a DocList (or a `LazyDocList`: its original bytes when never decoded)."""
    if isinstance(docs, LazyDocList):
        if docs._docs is None:
            return docs._data
        docs = docs._docs
    if docs is None:
        return b""
    if not hasattr(docs, "to_protobuf"):
        docs = as_doclist(docs)
    from .fastproto import encode  # docarray: 300 ms; see the module docstring

    return encode(docs)


class LazyDocList:
    """A DocList that decodes its wire bytes on first use (see the module docstring).

    It behaves as the DocList it stands for: attribute access, iteration, indexing, `len`,
    `isinstance(docs, DocList)` (through `__class__`) all decode first and forward.
    """

    __slots__ = ("_data", "_doc_type", "_docs")

    def __init__(self, data: bytes, doc_type: type | None = None) -> None:
        self._data = data
        self._doc_type = doc_type
        self._docs: Any = None

    @property
    def decoded(self) -> bool:
        """True once the documents were decoded (so they may have been changed in place)."""
        return self._docs is not None

    def materialise(self) -> Any:
        if self._docs is None:
            self._docs = decode_docs(self._data, self._doc_type)
        return self._docs

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance(lazy, DocList) holds, as for the real list
        return type(self.materialise())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.materialise(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in LazyDocList.__slots__:
            object.__setattr__(self, name, value)
        else:
            setattr(self.materialise(), name, value)

    def __len__(self) -> int:
        return len(self.materialise())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.materialise())

    def __getitem__(self, item: Any) -> Any:
        return self.materialise()[item]

    def __setitem__(self, item: Any, value: Any) -> None:
        self.materialise()[item] = value

    def __delitem__(self, item: Any) -> None:
        del self.materialise()[item]

    def __contains__(self, item: Any) -> bool:
        return item in self.materialise()

    def __bool__(self) -> bool:
        return bool(self._data) and len(self.materialise()) > 0

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, LazyDocList):
            other = other.materialise()
        return self.materialise() == other

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Any) -> Any:
        return self.materialise() + other

    def __iadd__(self, other: Any) -> "LazyDocList":
        self.materialise().extend(other)
        return self

    def __reversed__(self) -> Iterator[Any]:
        return reversed(self.materialise())

    def __repr__(self) -> str:
        if self._docs is None:
            return f"<LazyDocList: {len(self._data)} bytes, not decoded>"
        return repr(self._docs)
