"""The four renderers and the source cache, on hand-made diagnostics."""

from __future__ import annotations

import json

import jsonschema
import pytest

from flowc.compiler.diagnostics import Diagnostic, Related, Severity, error, warning
from flowc.compiler.render import FORMATS, RENDERERS, render, summary
from flowc.compiler.sources import SourceCache
from flowc.compiler.syntax import Span

SOURCE = "jtype: Flow\nexecutors:\n  - name: a\n    replicas: two\n\tbad: 1\n"


def cache() -> SourceCache:
    return SourceCache({"f.yml": SOURCE})


def d_replicas() -> Diagnostic:
    return error("FC202", "`replicas` must be an integer", Span("f.yml", 4, 15, 4, 18),
                 hint="write a whole number", related=[Related(Span("f.yml", 3, 11, 3, 12),
                                                               "in this executor")])


def test_formats_are_a_plain_dict_of_renderers():
    assert FORMATS == ("human", "json", "github", "sarif")
    assert set(RENDERERS) == set(FORMATS)
    with pytest.raises(ValueError, match="unknown diagnostics format 'xml'"):
        render([], "xml")


# --- human ----------------------------------------------------------------------------------

def test_human_has_header_gutter_caret_related_and_hint():
    text = render([d_replicas()], "human", sources=cache())
    assert text == (
        "f.yml:4:15: error[FC202]: `replicas` must be an integer\n"
        "  |\n"
        "4 |     replicas: two\n"
        "  |               ^~~\n"
        "  f.yml:3:11: note: in this executor\n"
        "  |\n"
        "3 |   - name: a\n"
        "  |           ^\n"
        "  = hint: write a whole number\n"
        "\n")


def test_human_without_span_and_with_unknown_file():
    text = render([error("FC901", "no input files", None),
                   warning("FC201", "unknown key", Span("missing.yml", 2, 1, 2, 4))], "human")
    assert text == ("error[FC901]: no input files\n\n"
                    "missing.yml:2:1: warning[FC201]: unknown key\n\n")


def test_human_caret_for_multiline_zero_width_and_out_of_range_spans():
    diags = [error("FC101", "multi", Span("f.yml", 2, 1, 4, 3)),
             error("FC102", "empty", Span("f.yml", 1, 3, 1, 3)),
             error("FC103", "past the line", Span("f.yml", 1, 40, 1, 45)),
             error("FC104", "past the file", Span("f.yml", 40, 1, 40, 2)),
             error("FC105", "line zero", Span("f.yml", 0, 0, 0, 0))]
    text = render(diags, "human", sources=cache())
    assert "2 | executors:\n  | ^~~~~~~~~~\n" in text  # to the end of its first line
    assert "1 | jtype: Flow\n  |   ^\n" in text  # zero width: one caret
    assert "1 | jtype: Flow\n  |            ^\n" in text  # clamped to the end of the line
    assert "f.yml:40:1: error[FC104]: past the file\n\n" in text
    assert "f.yml:0:0: error[FC105]: line zero\n\n" in text


def test_human_expands_tabs_and_replaces_control_characters():
    sources = SourceCache({"t.yml": "a:\t{b: 1}\nx: \x1b[31m\x07\n"})
    text = render([error("FC101", "tab", Span("t.yml", 1, 5, 1, 6)),
                   error("FC101", "ctl", Span("t.yml", 2, 4, 2, 5))], "human", sources=sources)
    assert "1 | a:    {b: 1}\n  |        ^\n" in text
    assert "\x1b" not in text and "\x07" not in text
    assert "2 | x: \ufffd[31m\ufffd\n" in text


def test_human_never_prints_control_characters_from_messages():
    d = error("FC301", "variable X is '\x1b]0;pwned\x07'", Span("f\x1bx.yml", 1, 1, 1, 2),
              hint="unset \x1b[2J", related=[Related(Span("o.yml", 1, 1, 1, 1), "\x9bhere")])
    text = render([d], "human")
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "variable X is '\ufffd]0;pwned\ufffd'" in text


def test_human_aligns_under_wide_characters():
    sources = SourceCache({"w.yml": "名前: 値\n"})
    text = render([error("FC107", "dup", Span("w.yml", 1, 5, 1, 6))], "human", sources=sources)
    assert "1 | 名前: 値\n  |       ^~\n" in text  # two columns wide, two marks


def test_human_gutter_is_as_wide_as_the_largest_line_number():
    lines = "\n".join(f"k{i}: {i}" for i in range(1, 120)) + "\n"
    sources = SourceCache({"g.yml": lines})
    d = error("FC107", "dup", Span("g.yml", 105, 1, 105, 5),
              related=[Related(Span("g.yml", 7, 1, 7, 3), "first")])
    text = render([d], "human", sources=sources)
    assert "    |\n105 | k105: 105\n    | ^~~~\n" in text
    assert "  7 | k7: 7\n" in text
    assert "    = hint" not in text


def test_colour_only_when_asked():
    plain = render([d_replicas()], "human", sources=cache())
    coloured = render([d_replicas()], "human", sources=cache(), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[1;31merror[FC202]" in coloured
    assert coloured.replace("\x1b[0m", "").count("\x1b[") > 3


def test_sorted_and_deduplicated_in_every_format():
    a = error("FC107", "second", Span("f.yml", 3, 1, 3, 2))
    b = error("FC107", "first", Span("f.yml", 1, 1, 1, 2))
    for fmt in FORMATS:
        text = render([a, b, a], fmt, sources=cache())
        assert text.index("first") < text.index("second")
        assert text.count("second") == 1


def test_summary_counts_and_wording():
    w = warning("FC201", "w", None)
    assert summary([]) == "no problems found"
    assert summary([d_replicas()]) == "1 error"
    assert summary([d_replicas(), w, error("FC1", "x", None)]) == "2 errors, 1 warning"
    assert summary([w, Diagnostic("FC0", Severity.NOTE, "n")]) == "1 warning, 1 note"
    assert render([], "human") == ""


# --- json -----------------------------------------------------------------------------------

def test_json_is_the_documented_stable_list():
    text = render([d_replicas(), error("FC901", "no input", None)], "json")
    data = json.loads(text)
    assert text.endswith("\n") and text.startswith("[\n  {\n")
    assert data == [
        {"code": "FC901", "severity": "error", "message": "no input", "file": None, "line": None,
         "column": None, "end_line": None, "end_column": None, "hint": None, "related": []},
        {"code": "FC202", "severity": "error", "message": "`replicas` must be an integer",
         "file": "f.yml", "line": 4, "column": 15, "end_line": 4, "end_column": 18,
         "hint": "write a whole number",
         "related": [{"file": "f.yml", "line": 3, "column": 11, "end_line": 3, "end_column": 12,
                      "label": "in this executor"}]},
    ]
    assert list(json.loads(text)[1]) == sorted(data[1])  # keys sorted
    assert render([], "json") == "[]\n"


# --- github ---------------------------------------------------------------------------------

def test_github_workflow_commands_with_escaping():
    d = warning("FC201", "100% wrong,\nreally: yes", Span("dir,x/a:b.yml", 2, 3, 2, 9),
                hint="fix it", related=[Related(Span("o.yml", 1, 1, 1, 2), "here")])
    text = render([d, error("FC901", "no files", None),
                   Diagnostic("FC0", Severity.NOTE, "fyi", Span("n.yml", 1, 1, 1, 1))], "github")
    assert text.splitlines() == [
        "::error title=FC901::no files",
        "::warning file=dir%2Cx/a%3Ab.yml,line=2,col=3,endLine=2,endColumn=9,title=FC201::"
        "100%25 wrong,%0Areally: yes%0Anote: o.yml:1:1: here%0Ahint: fix it",
        "::notice file=n.yml,line=1,col=1,endLine=1,endColumn=1,title=FC0::fyi",
    ]
    assert render([], "github") == ""


# --- sarif ----------------------------------------------------------------------------------

# The parts of the SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json) that flowc's log uses,
# transcribed: required properties, enums and minimums. The full schema is not shipped offline.
_LOCATION = {
    "type": "object", "required": ["physicalLocation"],
    "properties": {
        "id": {"type": "integer", "minimum": -1},
        "message": {"$ref": "#/$defs/message"},
        "physicalLocation": {
            "type": "object", "required": ["artifactLocation"],
            "properties": {
                "artifactLocation": {"type": "object", "required": ["uri"],
                                     "properties": {"uri": {"type": "string",
                                                            "format": "uri-reference"}}},
                "region": {"type": "object", "properties": {
                    "startLine": {"type": "integer", "minimum": 1},
                    "startColumn": {"type": "integer", "minimum": 1},
                    "endLine": {"type": "integer", "minimum": 1},
                    "endColumn": {"type": "integer", "minimum": 1}}},
            }},
    }}
SARIF_SUBSET = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"],
                    "properties": {
                        "name": {"type": "string"}, "version": {"type": "string"},
                        "rules": {"type": "array", "uniqueItems": True, "items": {
                            "type": "object", "required": ["id"],
                            "properties": {"id": {"type": "string"},
                                           "shortDescription": {"$ref": "#/$defs/message"},
                                           "help": {"$ref": "#/$defs/message"},
                                           "properties": {"type": "object"}},
                            "additionalProperties": False}}},
                    "additionalProperties": False}}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": -1},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": {"$ref": "#/$defs/message"},
                        "locations": {"type": "array", "items": _LOCATION},
                        "relatedLocations": {"type": "array", "uniqueItems": True,
                                             "items": _LOCATION}},
                    "additionalProperties": False}},
            }}},
    },
    "$defs": {"message": {"type": "object", "required": ["text"],
                          "properties": {"text": {"type": "string"}}}},
}


def test_sarif_log_matches_the_spec_subset_and_points_rules_right():
    diags = [d_replicas(), error("FC107", "dup", Span("dir with space/f.yml", 1, 1, 1, 3)),
             warning("FC201", "unknown", Span("/abs/f.yml", 2, 2, 2, 5)),
             error("FC901", "no input", None), error("FC999x", "not in catalogue", None)]
    log = json.loads(render(diags, "sarif"))
    jsonschema.validate(log, SARIF_SUBSET, format_checker=jsonschema.FormatChecker())
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "flowc"
    rules = [r["id"] for r in driver["rules"]]
    assert rules == sorted(rules) == ["FC107", "FC201", "FC202", "FC901", "FC999x"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["FC202"]["level"] == "error" and by_rule["FC201"]["level"] == "warning"
    region = by_rule["FC202"]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 4, "startColumn": 15, "endLine": 4, "endColumn": 18}
    assert by_rule["FC202"]["relatedLocations"][0]["message"]["text"] == "in this executor"
    assert "write a whole number" in by_rule["FC202"]["message"]["text"]
    uris = {r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"] if "locations" in r}
    assert uris["FC107"] == "dir%20with%20space/f.yml"
    assert uris["FC201"] == "file:///abs/f.yml"
    assert "locations" not in by_rule["FC901"]
    assert driver["rules"][0]["shortDescription"]["text"] == "duplicate mapping key"


def test_sarif_of_nothing_is_a_valid_empty_run():
    log = json.loads(render([], "sarif"))
    jsonschema.validate(log, SARIF_SUBSET)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


# --- the source cache -----------------------------------------------------------------------

def test_source_cache_reads_once_replaces_bad_bytes_and_strips_the_bom(tmp_path):
    path = tmp_path / "s.yml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\r\nb: \xff\rc: 3\n")
    sources = SourceCache()
    assert sources.line(str(path), 1) == "a: 1"
    assert sources.line(str(path), 2) == "b: \ufffd"
    assert sources.line(str(path), 3) == "c: 3"
    assert sources.line(str(path), 4) == ""
    assert sources.line(str(path), 5) is None and sources.line(str(path), 0) is None
    path.write_text("changed\n")
    assert sources.line(str(path), 1) == "a: 1"  # read once


def test_source_cache_never_raises_for_missing_or_odd_names(tmp_path):
    sources = SourceCache()
    for name in ("", "<stdin>", str(tmp_path / "nope.yml"), str(tmp_path)):
        assert sources.lines(name) is None and sources.line(name, 1) is None
    sources.add("<stdin>", b"x: \xfe\n")
    assert sources.line("<stdin>", 1) == "x: \ufffd"


def test_renderers_survive_non_utf8_files_on_disk(tmp_path):
    path = tmp_path / "latin1.yml"
    path.write_bytes("name: café\n".encode("latin-1"))
    d = error("FC102", "bad", Span(str(path), 1, 10, 1, 11))
    for fmt in FORMATS:
        assert render([d], fmt)
    assert "1 | name: caf\ufffd\n" in render([d], "human")
