"""`when` filters evaluated on protobuf documents, checked against docarray's own filter_docs."""

from __future__ import annotations

from typing import Optional

import pytest
from docarray import BaseDoc, DocList
from docarray.utils.filter import filter_docs

from flowc.runtime.filters import FilterError, compile_filter, filter_indices
from flowc.runtime.reduce import parse_docs


class Doc(BaseDoc):
    text: Optional[str] = None
    tags: dict = {}
    price: Optional[float] = None


DOCS = DocList[Doc]([
    Doc(id="0", text="hello world", tags={"x": 1, "kind": "a", "nest": {"deep": True}}, price=3.0),
    Doc(id="1", text="goodbye", tags={"x": 2, "kind": "b", "list": [1, 2, 3]}, price=10.0),
    Doc(id="2", text=None, tags={"x": 1, "kind": "b"}, price=None),
    Doc(id="3", text="hello again", tags={}, price=7.5),
])
PROTOS = list(parse_docs(DOCS.to_protobuf().SerializeToString()).docs)

QUERIES = [
    {"tags__x": {"$eq": 1}},
    {"tags__x": {"$neq": 1}},
    {"tags__kind": {"$in": ["a", "c"]}},
    {"tags__kind": {"$nin": ["a"]}},
    {"price": {"$gt": 5}},
    {"price": {"$lte": 3}},
    {"text": {"$regex": "^hello"}},
    {"tags__list": {"$size": 3}},
    {"tags__nest__deep": {"$eq": True}},
    {"tags__x": {"$exists": False}},
    {"tags__x": {"$exists": True}},
    {"$and": [{"tags__x": {"$eq": 1}}, {"tags__kind": {"$eq": "b"}}]},
    {"$or": [{"tags__x": {"$eq": 2}}, {"price": {"$gt": 7}}]},
    {"tags__x": {"$eq": 1}, "price": {"$gte": 3}},
    {"$not": {"tags__x": {"$eq": 1}}},
    {"tags__x": {"$gte": 1, "$lt": 2}},
]


@pytest.mark.parametrize("query", QUERIES, ids=[str(q) for q in QUERIES])
def test_matches_docarray_filter_docs(query):
    expected = [d.id for d in filter_docs(DOCS, query)]
    got = [PROTOS[i].data["id"].text for i in filter_indices(PROTOS, compile_filter(query))]
    assert got == expected


def test_order_is_preserved():
    pred = compile_filter({"$or": [{"tags__x": {"$eq": 2}}, {"tags__x": {"$eq": 1}}]})
    assert filter_indices(PROTOS, pred) == [0, 1, 2]


def test_missing_field_and_type_mismatch_do_not_match():
    assert filter_indices(PROTOS, compile_filter({"nope": {"$eq": 1}})) == []
    assert filter_indices(PROTOS, compile_filter({"text": {"$gt": 3}})) == []


@pytest.mark.parametrize("bad", [
    {}, [], {"tags__x": 1}, {"tags__x": {"$near": 1}}, {"$xor": []}, {"$and": "x"},
    {"tags__x": {"$exists": "yes"}}, {"text": {"$regex": "("}}, {"tags__x": {"$in": 3}},
])
def test_invalid_queries_raise_filter_error(bad):
    with pytest.raises(FilterError):
        compile_filter(bad)
