"""The error of documents that do not fit: its own module, so that `docs.py` (no docarray) and
`fastproto.py` (docarray) both raise it without importing each other."""

from __future__ import annotations

__all__ = ["DocumentsMismatch"]


class DocumentsMismatch(ValueError):
    """A request's documents are not documents, or do not fit the endpoint's declared type.

    Fields are matched by name, as docarray does (fields the type lacks are dropped), but a
    document that shares no field with the type, lacks a required field, or holds a value its
    field's type refuses is refused: never a silent success with the wrong data."""
