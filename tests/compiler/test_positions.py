"""Positions in the plan are written and read in one place (`compiler/positions.py`)."""

from __future__ import annotations

from flowc.compiler.positions import position_span, position_text
from flowc.compiler.syntax import Span


def test_a_position_round_trips_relative_to_the_flow_directory():
    span = Span("flows/dir/dep.yml", 12, 5, 12, 9)
    text = position_text(span, "flows")
    assert text == "dir/dep.yml:12:5"
    assert position_span(text) == Span("dir/dep.yml", 12, 5, 12, 6)


def test_a_place_in_the_entry_file_is_line_and_column_only():
    entry = Span("flow.yml", 3, 5, 3, 6)
    text = position_text(Span("flow.yml", 7, 9, 7, 12), "", local_file="flow.yml")
    assert text == "7:9"
    assert position_span(text, entry) == Span("flow.yml", 7, 9, 7, 10)
    assert position_span(text) is None  # no file to put it in


def test_odd_texts_and_missing_positions():
    assert position_text(None, "") is None and position_text(Span("<api>", 0, 0, 0, 0), "") is None
    assert position_span(None) is None and position_span("") is None
    assert position_span("C:/x/flow.yml:3:1") == Span("C:/x/flow.yml", 3, 1, 3, 2)
    assert position_span("flow.yml") == Span("flow.yml", 0, 0, 0, 0)
    assert position_span("a:b:c") == Span("a:b:c", 0, 0, 0, 0)
