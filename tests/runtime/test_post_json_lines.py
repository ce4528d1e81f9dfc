"""`flowc post` prints each document as one JSON line with one rule for nulls: a field without a
value is left out whether its type declares it or not; nulls inside a field are kept."""

from __future__ import annotations

import json

from flowc.runtime.docs import generic_doc_type
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
