"""Did-you-mean suggestions."""

from __future__ import annotations

from flowc.compiler.suggest import closest, did_you_mean, listing

KEYS = ["replicas", "shards", "uses", "uses_with", "uses_metas", "polling", "port", "ports"]


def test_nearest_key():
    assert closest("replcas", KEYS) == "replicas"
    assert closest("shard", KEYS) == "shards"
    assert closest("usess_with", KEYS) == "uses_with"


def test_case_and_dashes_are_ignored():
    assert closest("Replicas", KEYS) == "replicas"
    assert closest("uses-with", KEYS) == "uses_with"


def test_nothing_close():
    assert closest("colour", KEYS) is None
    assert closest("x", []) is None
    assert did_you_mean("colour", KEYS) is None


def test_hint_sentence():
    assert did_you_mean("polling_", KEYS) == "did you mean `polling`?"


def test_deterministic_whatever_the_candidate_order():
    assert closest("por", KEYS) == closest("por", list(reversed(KEYS)))


def test_listing_only_when_short():
    assert listing(["b", "a", "a"]) == "`a`, `b`"
    assert listing([f"k{i}" for i in range(13)]) is None
    assert listing([]) is None
