"""`flowc post` prints each document as one JSON line with one rule for nulls: a field without a
value is left out whether its type declares it or not; nulls inside a field are kept."""

from __future__ import annotations

import json

import numpy as np
from docarray import DocList

from flowc.runtime.answer_docs import decode_as_returned
from flowc.runtime.docs import encode_docs, generic_doc_type
from flowc.runtime.json_docs import doc_json


class _Decoded:
    """A document as the wire decodes it: declared fields plus fields its type does not know."""

    def __init__(self, declared: dict, unknown: dict) -> None:
        self.declared, self.unknown = declared, unknown

    def json(self) -> str:
        return json.dumps(self.declared)

    def unknown_fields(self) -> dict:
        return self.unknown


def test_one_rule_for_nulls() -> None:
    doc = generic_doc_type()(id="a", text=None, tags={"kept": None, "n": 1})
    assert json.loads(doc_json(doc)) == {"id": "a", "tags": {"kept": None, "n": 1}}
    decoded = _Decoded({"id": "b", "text": None}, {"score": None, "extra": [None], "empty": []})
    assert json.loads(doc_json(decoded)) == {"id": "b", "extra": [None]}


def test_keys_sorted_and_one_line() -> None:
    doc = generic_doc_type()(id="b", text="t", zeta=1, alpha=2)
    text = doc_json(doc)
    assert "\n" not in text
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_a_schemaless_answer_prints_every_field() -> None:
    """What `Client.post` returns without `return_type` (docarray's AnyDoc) prints its fields,
    not only its id."""
    doc_type = generic_doc_type()
    sent = DocList[doc_type]([doc_type(id="c", text="hi", tags={"a": 1},
                                       embedding=np.array([1.0, 2.0]))])
    (answer,) = decode_as_returned(encode_docs(sent), None)
    assert json.loads(doc_json(answer)) == {"id": "c", "text": "hi", "tags": {"a": 1},
                                            "embedding": [1.0, 2.0]}
