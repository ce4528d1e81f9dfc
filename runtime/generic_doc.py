"""`GenericDoc`: the document type of an endpoint whose `docs` carry no `DocList[T]` annotation.

Its fields are those of Jina's legacy document (id, text, tags, embedding, tensor, blob, url,
chunks, matches, scores). Fields a client sent that the type does not declare are not dropped:
their protobuf nodes are kept verbatim and written back when the document is encoded, so an
executor that does not know a field passes it on unchanged; `unknown_fields()` decodes them.

Importing this module imports docarray (about 0.4 s); `flowc.runtime.docs` does it lazily.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Union

from docarray import BaseDoc, DocList
from docarray.proto import NodeProto
from docarray.typing import ID, AnyEmbedding, AnyTensor
from pydantic import Field, PrivateAttr

from .fastproto import fields_from_proto, fill_proto, new_doc_proto


class GenericDoc(BaseDoc):
    """A text/tags/embedding document; unknown fields from the wire are kept (see module doc)."""

    id: Optional[ID] = Field(default_factory=lambda: ID(os.urandom(16).hex()),
                             description="The document's id (random when not given).")
    text: Optional[str] = None
    tags: Dict[str, Any] = Field(default_factory=dict)
    embedding: Optional[AnyEmbedding] = None
    tensor: Optional[AnyTensor] = None
    blob: Optional[bytes] = None
    url: Optional[str] = None
    chunks: Optional[Union[DocList[GenericDoc], List[GenericDoc]]] = None
    matches: Optional[Union[DocList[GenericDoc], List[GenericDoc]]] = None
    scores: Optional[Dict[str, Any]] = None

    _flowc_unknown: Dict[str, bytes] = PrivateAttr(default_factory=dict)

    @classmethod
    def from_protobuf(cls, pb_msg: Any) -> "GenericDoc":
        unknown: Dict[str, bytes] = {}
        doc = cls(**fields_from_proto(cls, pb_msg, unknown))
        if unknown:
            doc._flowc_unknown = unknown
        return doc

    def to_protobuf(self) -> Any:
        message = new_doc_proto()
        fill_proto(self, message)
        data = message.data
        for key, raw in sorted(self._unknown().items()):
            if key not in data:
                data[key].MergeFromString(raw)
        return message

    def unknown_fields(self) -> dict[str, Any]:
        """Fields received from the wire that this type does not declare, decoded."""
        return {key: self._get_content_from_node_proto(NodeProto.FromString(raw), field_type=None)
                for key, raw in sorted(self._unknown().items())}

    def _unknown(self) -> Dict[str, bytes]:
        # docarray's __getattr__ bypasses pydantic's lookup of private attributes: read directly.
        return (self.__pydantic_private__ or {}).get("_flowc_unknown") or {}


GenericDoc.model_rebuild()


def _add_column_properties() -> None:
    """`DocList[GenericDoc]().text` etc. (column access).

    docarray adds these properties when `DocList[T]` is first built, which for a self-referencing
    type happens while `T` is still incomplete; add the missing ones now that it is complete.
    """
    list_cls = type(DocList[GenericDoc]())
    for name in GenericDoc._docarray_fields():
        if name in vars(list_cls):
            continue
        setattr(list_cls, name, property(
            lambda self, _n=name: self._get_data_column(_n),
            lambda self, value, _n=name: self._set_data_column(_n, value)))


_add_column_properties()
