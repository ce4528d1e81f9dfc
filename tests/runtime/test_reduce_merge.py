"""Deterministic document merge (fan-in at the gateway, shards at the head)."""

from __future__ import annotations

import subprocess
import sys
from typing import Optional

from docarray import BaseDoc, DocList

from flowc.runtime import reduce as r


class Match(BaseDoc):
    text: Optional[str] = None
    score: Optional[float] = None


class Doc(BaseDoc):
    text: Optional[str] = None
    tags: dict = {}
    score: Optional[float] = None
    matches: Optional[DocList[Match]] = None
    chunks: Optional[DocList[Match]] = None


def enc(*docs: Doc) -> bytes:
    return DocList[Doc](list(docs)).to_protobuf().SerializeToString()


def dec(data: bytes) -> DocList[Doc]:
    return DocList[Doc].from_protobuf(r.parse_docs(data))


def test_merge_by_id_appends_new_docs_in_part_order():
    p0 = enc(Doc(id="a", text="a0"), Doc(id="b", text="b0"))
    p1 = enc(Doc(id="c", text="c1"), Doc(id="b", text="b1"), Doc(id="d"))
    p2 = enc(Doc(id="e"), Doc(id="a"))
    out = dec(r.reduce_bytes([p0, p1, p2]))
    assert [d.id for d in out] == ["a", "b", "c", "d", "e"]
    assert out[1].text == "b0"  # earlier part wins the conflicting field


def test_conflict_precedence_follows_part_order_not_arrival():
    x = enc(Doc(id="a", text="from-x", score=1.0))
    y = enc(Doc(id="a", text="from-y", score=2.0))
    assert dec(r.reduce_bytes([x, y]))[0].text == "from-x"
    assert dec(r.reduce_bytes([y, x]))[0].text == "from-y"


def test_null_in_earlier_part_takes_later_value():
    x = enc(Doc(id="a", text=None))
    y = enc(Doc(id="a", text="set", score=0.5))
    out = dec(r.reduce_bytes([x, y]))[0]
    assert (out.text, out.score) == ("set", 0.5)


def test_tags_merge_key_by_key():
    x = enc(Doc(id="a", tags={"k": 1, "both": "x", "nest": {"p": 1}}))
    y = enc(Doc(id="a", tags={"j": 2, "both": "y", "nest": {"q": 2}}))
    out = dec(r.reduce_bytes([x, y]))[0]
    assert out.tags == {"k": 1, "both": "x", "j": 2, "nest": {"p": 1, "q": 2}}


def test_matches_and_chunks_merge_recursively():
    x = enc(Doc(id="a", matches=DocList[Match]([Match(id="m1", text="t", score=None)]),
                chunks=DocList[Match]([Match(id="c1")])))
    y = enc(Doc(id="a", matches=DocList[Match]([Match(id="m2", score=0.2),
                                                 Match(id="m1", text="other", score=0.9)]),
                chunks=DocList[Match]([Match(id="c1", text="ct")])))
    out = dec(r.reduce_bytes([x, y]))[0]
    assert [(m.id, m.text, m.score) for m in out.matches] == [("m1", "t", 0.9), ("m2", None, 0.2)]
    assert [(c.id, c.text) for c in out.chunks] == [("c1", "ct")]


def test_single_part_is_returned_untouched_and_empty_parts_ignored():
    p = enc(Doc(id="a"))
    assert r.reduce_bytes([p]) is p
    assert r.reduce_bytes([b"", p, b""]) is p
    assert r.reduce_bytes([]) == b""


def test_merge_is_byte_stable_and_inputs_unchanged():
    x = enc(Doc(id="a", tags={"b": 1, "a": 2}), Doc(id="z"))
    y = enc(Doc(id="a", tags={"c": 3}), Doc(id="q"))
    first = r.reduce_bytes([x, y])
    for _ in range(5):
        assert r.reduce_bytes([x, y]) == first
    px = r.parse_docs(x)
    before = px.SerializeToString()
    r.merge_doc_lists([px, r.parse_docs(y)])
    assert px.SerializeToString() == before


def test_concat_bytes_is_the_concatenated_list():
    x = enc(Doc(id="a"), Doc(id="b"))
    y = enc(Doc(id="a"), Doc(id="c"))
    assert [d.id for d in dec(r.concat_bytes([x, y]))] == ["a", "b", "a", "c"]


def test_order_like_follows_reference_and_adds_kept_docs():
    docs = r.parse_docs(enc(Doc(id="c"), Doc(id="new"), Doc(id="a")))
    kept = list(r.parse_docs(enc(Doc(id="b", text="kept"), Doc(id="a", text="dup"))).docs)
    out = dec(r.serialize_docs(r.order_like(docs, ["a", "b", "c"], kept)))
    assert [d.id for d in out] == ["a", "b", "c", "new"]
    assert out[0].text is None  # a doc already present is not replaced by a kept copy
    assert out[1].text == "kept"


def test_doc_pb_does_not_import_the_docarray_package():
    code = ("import sys; from flowc.runtime import reduce as r; m = r.doc_pb();"
            "m.DocListProto(); print('docarray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
