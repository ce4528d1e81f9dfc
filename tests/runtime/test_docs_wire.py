"""Documents on the wire: encode/decode, the generic type, the lazy list."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
from docarray import BaseDoc, DocList
from docarray.typing import NdArray, TextUrl
from docarray.documents import TextDoc
from docarray.proto import DocListProto

from flowc.runtime.docs import LazyDocList, as_doclist, decode_docs, encode_docs
from flowc.runtime.generic_doc import GenericDoc


class Product(BaseDoc):
    text: str = ""
    price: int = 0
    labels: list[str] = []


def test_encoding_is_docarray_protobuf():
    docs = DocList[TextDoc]([TextDoc(text="a"), TextDoc(text="b", url="http://x/y.txt")])
    data = encode_docs(docs)
    # docarray's own reader understands flowc's bytes, and flowc reads docarray's bytes
    back = DocList[TextDoc].from_protobuf(DocListProto.FromString(data))
    assert back == docs
    assert decode_docs(docs.to_protobuf().SerializeToString(), TextDoc) == docs


class Rich(BaseDoc):
    title: str = ""
    count: int = 0
    ratio: float = 0.5
    flag: bool = False
    raw: bytes = b""
    maybe: Optional[str] = "preset"
    url: Optional[TextUrl] = None
    embedding: Optional[NdArray] = None
    meta: Dict[str, Any] = {}
    items: List[int] = []
    child: Optional[TextDoc] = None
    children: Optional[DocList[TextDoc]] = None


def test_fast_codec_matches_docarray_field_by_field():
    doc = Rich(title="t", count=-3, ratio=1.25, flag=True, raw=b"\x01", maybe=None,
               url="http://a/b.txt", embedding=np.arange(4.0), meta={"k": [1, "v"]},
               items=[1, 2], child=TextDoc(text="c"),
               children=DocList[TextDoc]([TextDoc(text="d")]))
    ours = encode_docs(DocList[Rich]([doc]))
    theirs = DocList[Rich]([doc]).to_protobuf().SerializeToString()
    for data in (ours, theirs):
        for back in (decode_docs(data, Rich)[0],
                     DocList[Rich].from_protobuf(DocListProto.FromString(data))[0]):
            assert back.maybe is None  # an explicit None over a non-None default survives
            assert (back.title, back.count, back.ratio, back.flag, back.raw) == (
                "t", -3, 1.25, True, b"\x01")
            assert str(back.url) == "http://a/b.txt" and type(back.url) is type(doc.url)
            assert np.array_equal(back.embedding, np.arange(4.0))
            assert back.meta == {"k": [1, "v"]} and back.items == [1, 2]
            assert back.child.text == "c" and back.children[0].text == "d"
            assert back.id == doc.id


def test_typed_round_trip_accepts_doc_or_doclist_class():
    docs = DocList[Product]([Product(text="x", price=3, labels=["p"])])
    data = encode_docs(docs)
    assert decode_docs(data, Product)[0].price == 3
    assert decode_docs(data, DocList[Product])[0].labels == ["p"]


def test_empty_bytes_decode_to_an_empty_list():
    assert len(decode_docs(b"")) == 0
    assert len(decode_docs(b"", TextDoc)) == 0
    assert encode_docs(None) == b""


def test_generic_document_fields_round_trip():
    doc = GenericDoc(text="hi", tags={"a": 1, "b": [1, 2], "c": {"d": "e"}},
                     embedding=np.arange(3, dtype=np.float32), url="http://x", blob=b"\x00\x01")
    back = decode_docs(encode_docs(DocList[GenericDoc]([doc])))[0]
    assert back.id == doc.id and back.text == "hi" and back.url == "http://x"
    assert back.tags == {"a": 1, "b": [1, 2], "c": {"d": "e"}}
    assert back.blob == b"\x00\x01"
    assert np.array_equal(np.asarray(back.embedding), np.arange(3, dtype=np.float32))


def test_generic_document_nested_matches_and_chunks():
    match = GenericDoc(text="m1", scores={"s": 1})
    doc = GenericDoc(text="q", matches=DocList[GenericDoc]([match]),
                     chunks=DocList[GenericDoc]([GenericDoc(text="c1")]))
    back = decode_docs(encode_docs(DocList[GenericDoc]([doc])))[0]
    assert [m.text for m in back.matches] == ["m1"]
    assert back.matches[0].scores == {"s": 1}
    assert [c.text for c in back.chunks] == ["c1"]


def test_unknown_fields_survive_a_generic_hop():
    data = encode_docs(DocList[Product]([Product(text="a", price=9, labels=["x", "y"])]))
    generic = decode_docs(data)
    assert generic[0].text == "a"
    assert generic[0].unknown_fields() == {"price": 9, "labels": ["x", "y"]}
    generic[0].text = "b"
    back = decode_docs(encode_docs(generic), Product)[0]
    assert (back.text, back.price, back.labels) == ("b", 9, ["x", "y"])


def test_generic_column_access():
    docs = DocList[GenericDoc]([GenericDoc(text="a"), GenericDoc(text="b")])
    assert docs.text == ["a", "b"]
    docs.text = ["c", "d"]
    assert [d.text for d in docs] == ["c", "d"]


def test_lazy_list_keeps_bytes_until_used():
    data = encode_docs(DocList[TextDoc]([TextDoc(text="a")]))
    lazy = LazyDocList(data, TextDoc)
    assert not lazy.decoded
    assert encode_docs(lazy) is data
    assert "not decoded" in repr(lazy)


def test_lazy_list_behaves_as_the_doclist():
    data = encode_docs(DocList[TextDoc]([TextDoc(text="a"), TextDoc(text="b")]))
    lazy = LazyDocList(data, TextDoc)
    assert isinstance(lazy, DocList)
    assert lazy.decoded
    assert len(lazy) == 2 and lazy.text == ["a", "b"] and lazy[1].text == "b"
    assert [d.text for d in lazy] == ["a", "b"]
    lazy[0].text = "z"
    lazy.append(TextDoc(text="c"))
    assert decode_docs(encode_docs(lazy), TextDoc).text == ["z", "b", "c"]


def test_empty_lazy_list_is_falsy_without_decoding():
    lazy = LazyDocList(b"")
    assert not lazy
    assert not lazy.decoded


def test_as_doclist_forms():
    one = TextDoc(text="a")
    assert as_doclist(one).text == ["a"]
    assert as_doclist([one, TextDoc(text="b")]).text == ["a", "b"]
    assert len(as_doclist([], TextDoc)) == 0
    try:
        as_doclist(["not a doc"])
    except TypeError as exc:
        assert "expected documents" in str(exc)
    else:
        raise AssertionError("plain strings are not documents")
