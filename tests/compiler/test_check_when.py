"""`when` filters are checked as written with the rules the gateway compiles them by.

The compiler has its own reading of docarray's query language (check_when.py) so that
`flowc validate` stays fast and never imports the runtime; these tests hold the two to the same
answer: a filter the compiler accepts compiles in the runtime (`flowc.runtime.filters`), and a
filter the runtime refuses is a compiler error.
"""

from __future__ import annotations

import json

import pytest

from flowc.compiler.check import check
from flowc.compiler.loader import load_text
from flowc.runtime.filters import FilterError, compile_filter

QUERIES = [
    {"tags__x": {"$eq": 1}},
    {"tags__x": {"$eqq": 1}},
    {"tags__x": {"$lt": 3, "$gte": 1}},
    {"$and": [{"tags__x": {"$eq": 1}}, {"text": {"$regex": "^a$"}}]},
    {"$or": {"tags__x": {"$eq": 1}, "tags__y": {"$exists": True}}},
    {"$or": []},
    {"$or": [1]},
    {"$not": {"tags__x": {"$in": [1, 2]}}},
    {"$not": [{"tags__x": {"$eq": 1}}]},
    {"$nor": [{"tags__x": {"$eq": 1}}]},
    {"tags__x": {"$not": {"$eq": 1}}},
    {"tags__x": {"$not": {"tags__y": {"$eq": 1}}}},
    {"tags__x": {"$and": [{"tags__y": {"$eq": 1}}]}},
    {"tags__x": {"$or": [{"$eq": 1}]}},
    {"tags__x": {"$in": "abc"}},
    {"tags__x": {"$in": 3}},
    {"tags__x": {"$nin": [3]}},
    {"tags__x": {"$exists": "yes"}},
    {"tags__x": {"$regex": "(a"}},
    {"tags__x": {"$regex": 5}},
    {"tags__x": {"$size": 2}},
    {"tags__x": {}},
    {"tags__x": 1},
    {"$not": {}},
    {"tags__x": {"$ne": None, "$neq": 2}},
]


def compiler_accepts(query: dict) -> bool:
    doc = {"jtype": "Flow", "executors": [{"name": "a", "when": query}]}
    root, diags = load_text(json.dumps(doc), "flow.yml")
    assert root is not None and diags == []
    errors = [d for d in check(root, "flow") if d.severity >= 2]
    assert all(d.span is not None and d.span.line >= 1 for d in errors)
    return not errors


def runtime_accepts(query: dict) -> bool:
    try:
        compile_filter(query)
    except FilterError:
        return False
    return True


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: json.dumps(q))
def test_the_compiler_and_the_gateway_agree(query):
    assert compiler_accepts(query) == runtime_accepts(query)


def test_both_answers_occur():
    answers = {compiler_accepts(q) for q in QUERIES}
    assert answers == {True, False}


def test_an_empty_when_filters_nothing():
    assert compiler_accepts({})
