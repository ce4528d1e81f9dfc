"""Phase 1 (load): the syntax tree, spans, YAML 1.2 typing, tags, merges and structural errors."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import pytest

from flowc.compiler.diagnostics import Severity
from flowc.compiler.loader import DEFAULT_LIMITS, Limits, load_file, load_text, resolve_plain
from flowc.compiler.syntax import Mapping, Scalar, Sequence, Span, to_python


def load(text: str, file: str = "flow.yml"):
    return load_text(textwrap.dedent(text), file)


def codes(diags) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.col) for d in diags]


# --- the tree and its spans -----------------------------------------------------------------

def test_tree_has_spans_on_every_node_and_keeps_the_leading_tag():
    node, diags = load("""\
        !Flow
        version: '1'
        executors:
          - name: enc
            uses: Encoder
        """)
    assert diags == []
    assert isinstance(node, Mapping) and node.tag == "!Flow"
    assert node.keys() == ["version", "executors"]
    assert node.span == Span("flow.yml", 1, 1, 5, 18)
    version = node.get("version")
    assert version == Scalar("1", Span("flow.yml", 2, 10, 2, 13), "'", None)
    assert node.key_node("executors").span == Span("flow.yml", 3, 1, 3, 10)
    executors = node.get("executors")
    assert isinstance(executors, Sequence) and len(executors) == 1
    entry = executors.items[0]
    assert entry.span.line == 4 and entry.span.col == 5
    assert entry.get("uses").span == Span("flow.yml", 5, 11, 5, 18)


def test_every_node_is_frozen():
    node, _ = load("a: [1, {b: c}]\n")
    with pytest.raises(AttributeError):
        node.span = None  # type: ignore[misc]


def test_flow_collection_span_ends_after_its_closing_bracket():
    node, _ = load("a: [1, 2]   # comment\nb: {x: 1}\n")
    assert node.get("a").span == Span("flow.yml", 1, 4, 1, 10)
    assert node.get("b").span == Span("flow.yml", 2, 4, 2, 10)


def test_block_collection_ends_at_its_last_value_not_at_the_next_key():
    node, _ = load("a:\n  x: 1\n  y: 22\n\n# trailing\nb: 2\n")
    assert node.get("a").span == Span("flow.yml", 2, 3, 3, 8)


def test_multiline_scalar_span_and_crlf_line_numbers():
    node, _ = load_text("a: 1\r\nb: |\r\n  one\r\n  two\r\nc: x\r\n", "f.yml")
    assert node.get("b").value == "one\ntwo\n"
    assert node.get("c").span == Span("f.yml", 5, 4, 5, 5)


def test_tagged_and_anchored_scalar_span_starts_at_the_text():
    node, _ = load("a: !!str   &x ${{ ENV.A }}\nb: &y\n  hello\n")
    assert node.get("a").span == Span("flow.yml", 1, 15, 1, 27)
    assert node.get("a").tag == "!!str"
    assert node.get("b").span.line == 3 and node.get("b").span.col == 3


def test_display_name_is_used_in_spans(tmp_path):
    path = tmp_path / "flow.yml"
    path.write_text("a: 1\n")
    node, diags = load_file(path, display_name="examples/flow.yml")
    assert diags == [] and node.span.file == "examples/flow.yml"
    node, _ = load_file(str(path))
    assert node.span.file == str(path)


def test_utf8_bom_is_accepted_and_not_counted_as_a_column():
    node, diags = load_text(b"\xef\xbb\xbfa: 1\n", "f.yml")
    assert diags == [] and node.get("a").span == Span("f.yml", 1, 4, 1, 5)
    node, _ = load_text("\ufeffa: 1\n", "f.yml")
    assert node.get("a").span.col == 4


# --- YAML 1.2 core schema -------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("null", None), ("Null", None), ("NULL", None), ("~", None), ("", None),
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("FALSE", False),
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"),
    ("0", 0), ("-17", -17), ("+3", 3), ("010", 10), ("0o17", 15), ("0x1F", 31), ("0xff", 255),
    ("1.5", 1.5), ("-1.5e3", -1500.0), (".5", 0.5), ("1.", 1.0), ("1e3", 1000.0),
    (".inf", math.inf), ("-.Inf", -math.inf), ("+.INF", math.inf),
    ("1_000", "1_000"), ("0b101", "0b101"), ("0O17", "0O17"), ("1:30", "1:30"),
    ("2001-12-14", "2001-12-14"), ("nulls", "nulls"), ("truex", "truex"), ("-", "-"),
    ("9" * 5000, "9" * 5000),
])
def test_plain_scalars_follow_the_yaml_1_2_core_schema(text, value):
    assert resolve_plain(text) == value
    assert type(resolve_plain(text)) is type(value)


def test_nan_and_quoted_and_block_scalars():
    node, _ = load("""\
        a: .nan
        b: '1'
        c: "true"
        d: |
          3
        e: >-
          null
        f: 3
        """)
    assert math.isnan(node.get("a").value)
    assert [node.get(k).value for k in "bcdef"] == ["1", "true", "3\n", "null", 3]
    assert [node.get(k).style for k in "abcdef"] == ["", "'", '"', "|", ">", ""]
    assert node.get("b").quoted and not node.get("f").quoted


def test_keys_are_typed_scalars_too():
    node, _ = load("1: a\ntrue: b\non: c\n")
    assert [k.value for k, _ in node.items] == [1, True, "on"]


# --- tags -----------------------------------------------------------------------------------

def test_standard_tags_apply_their_type():
    node, diags = load("""\
        a: !!str 12
        b: !!int '7'
        c: !!float 1
        d: !!bool "false"
        e: !!null ''
        f: !!map {x: 1}
        g: !!seq [1]
        h: ! 12
        i: !Custom
        """)
    assert diags == []
    assert to_python(node) == {"a": "12", "b": 7, "c": 1.0, "d": False, "e": None,
                               "f": {"x": 1}, "g": [1], "h": "12", "i": None}
    assert node.get("a").tag == "!!str" and node.get("f").tag == "!!map"
    assert node.get("i").tag == "!Custom"


@pytest.mark.parametrize("text, col, message", [
    ("a: !!int abc\n", 10, "'abc' is not a valid value for tag '!!int'"),  # at the value
    ("a: !!bool yes\n", 11, "'yes' is not a valid value for tag '!!bool'"),
    ("a: !!null x\n", 11, "'x' is not a valid value for tag '!!null'"),
    ("a: !!seq {x: 1}\n", 4, "tag '!!seq' cannot be used on a mapping"),  # at the tag
    ("a: !!map x\n", 4, "tag '!!map' cannot be used on a scalar"),
    ("a: &n !!str [1]\n", 7, "tag '!!str' cannot be used on a list"),
])
def test_a_value_that_does_not_fit_its_tag_is_fc113(text, col, message):
    node, diags = load(text)
    assert node is not None
    assert [(d.code, d.span.line, d.span.col, d.message) for d in diags] == [
        ("FC113", 1, col, message)]


# --- merges and duplicates ------------------------------------------------------------------

def test_merge_key_explicit_keys_win_and_merged_keys_take_the_merge_position():
    node, diags = load("""\
        base: &base {replicas: 2, shards: 1, port: 1}
        extra: &extra {port: 9, timeout: 5}
        e:
          name: a
          <<: [*base, *extra]
          shards: 3
        """)
    assert diags == []
    e = node.get("e")
    assert e.keys() == ["name", "replicas", "port", "timeout", "shards"]
    assert to_python(e) == {"name": "a", "replicas": 2, "port": 1, "timeout": 5, "shards": 3}
    assert e.get("replicas").span.line == 1  # merged values keep where they were written


def test_aliases_reuse_the_anchored_node():
    node, diags = load("a: &x {k: [1, 2]}\nb: *x\n")
    assert diags == [] and node.get("a") is node.get("b")


def test_a_later_anchor_of_the_same_name_wins():
    node, _ = load("a: &x 1\nb: &x 2\nc: *x\n")
    assert node.get("c").value == 2


def test_bad_merge_value_is_fc114():
    node, diags = load("a: 1\n<<: [1, 2]\n")
    assert codes(diags) == [("FC114", 2, 5)]
    assert node.keys() == ["a"]


def test_duplicate_keys_are_fc107_at_the_second_with_the_first_related():
    node, diags = load("a: 1\nb:\n  x: 1\n  x: 2\na: 3\n")
    assert sorted(codes(diags)) == [("FC107", 4, 3), ("FC107", 5, 1)]
    second = next(d for d in diags if d.span.line == 5)
    assert second.message == "duplicate key 'a' in this mapping"
    assert [(r.label, r.span.line, r.span.col) for r in second.related] == [
        ("first defined here", 1, 1)]
    assert to_python(node) == {"a": 1, "b": {"x": 1}}  # the first one is kept


def test_keys_that_differ_only_in_how_they_are_written_are_duplicates():
    _, diags = load("port: 1\n'port': 2\n")
    assert codes(diags) == [("FC107", 2, 1)]


def test_two_merge_keys_in_one_mapping_are_duplicates():
    _, diags = load("a: &a {x: 1}\nb:\n  <<: *a\n  <<: *a\n")
    assert codes(diags) == [("FC107", 4, 3)]


def test_quoted_merge_key_is_an_ordinary_key():
    node, diags = load("'<<': {x: 1}\n")
    assert diags == [] and node.keys() == ["<<"]


@pytest.mark.parametrize("text, where", [("? [a, b]\n: 1\n", (1, 3)), ("{a: 1}: x\n", (1, 1)),
                                         ("a: &k [1]\n*k : 2\n", (1, 4))])
def test_non_scalar_keys_are_fc112(text, where):
    node, diags = load(text)
    assert [(d.code, d.span.line, d.span.col) for d in diags] == [("FC112", *where)]
    assert node is not None


# --- documents ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "---\n...\n"])
def test_empty_file_is_fc110(text):
    node, diags = load_text(text, "f.yml")
    assert node is None and codes(diags) == [("FC110", 1, 1)]


def test_a_null_document_is_not_empty():
    node, diags = load_text("~\n", "f.yml")
    assert diags == [] and node.value is None


def test_second_document_is_fc111_at_its_start():
    node, diags = load_text("a: 1\n---\nb: 2\n", "f.yml")
    assert node is None and codes(diags) == [("FC111", 2, 1)]
    node, diags = load_text("---\na: 1\n...\n--- !!python/object:os.system\n", "f.yml")
    assert codes(diags) == [("FC111", 4, 1)]


def test_explicit_document_markers_and_directives_are_fine():
    node, diags = load_text("%YAML 1.1\n---\na: yes\n...\n", "f.yml")
    assert diags == [] and node.get("a").value == "yes"  # YAML 1.2 typing regardless


# --- syntax errors in plain words -----------------------------------------------------------

@pytest.mark.parametrize("text, line, col, message, hint_part", [
    ("a:\n\tb: 1\n", 2, 1, "a tab character cannot be used for indentation", "spaces"),
    ("a: 'abc\nb: 2\n", 3, 1, "the file ends inside a quoted string", "close the string"),
    ("a: [1, 2\nb: 3\n", 2, 2, "expected ',' or ']' in this list", "close the list"),
    ("a: {x: 1\n", 2, 1, "expected ',' or '}' in this mapping", "close the mapping"),
    ("a: 1\n b: 2\n", 2, 3, "unexpected ':' here", "indentation"),
    ("x: @foo\n", 1, 4, "a value cannot start with '@'", "quote"),
    ('a: "\\q"\n', 1, 6, "unknown escape '\\q' in a double-quoted string", "backslash"),
    ("a: 1\n- b\n", 2, 1, "a '- ' list item is not allowed here", "indentation"),
    ("a:\n  b: 1\n c: 2\n", 3, 2, "bad indentation: this line does not line up with the lines "
     "before it", "same number of spaces"),
    ("a:\n  - b\n  c: 1\n", 3, 3, "a key is not allowed here", "indentation"),
    ("a: [1, 2]]\n", 1, 10, "unexpected ']' here: nothing is open for it to close", "opening"),
    ("a: [,]\n", 1, 5, "expected a value, found ','", "remove the ','"),
    ('"a" "b"\n', 1, 5, "unexpected text after the top-level value", "quote"),
    ("a: *\n", 1, 5, "an alias '*' or anchor '&' needs a name right after it", "&defaults"),
    ("a: !e!x y\n", 1, 4, "unknown tag handle '!e!'", "!Name"),
    ("a: 1\nb\nc: 2\n", 3, 1, "expected ':' after this key", "key: value"),
    ("b:\t2\n", 1, 3, "a tab character cannot be used here", "spaces"),
])
def test_syntax_errors_are_fc101_located_in_plain_words(text, line, col, message, hint_part):
    node, diags = load_text(text, "f.yml")
    assert node is None and len(diags) == 1
    d = diags[0]
    assert (d.code, d.severity, d.span.line, d.span.col) == ("FC101", Severity.ERROR, line, col)
    if message is not None:
        assert d.message == message
        assert hint_part in d.hint
    assert "<" not in d.message and "while " not in d.message  # no parser jargon


def test_unclosed_quote_points_back_at_where_the_string_starts():
    _, diags = load_text("a: 1\nb: \"abc\n", "f.yml")
    [related] = diags[0].related
    assert (related.span.line, related.span.col) == (2, 4)
    assert "starts here" in related.label


def test_control_character_is_fc101_at_its_position():
    _, diags = load_text("a: 1\nb: x\x07y\n", "f.yml")
    assert codes(diags) == [("FC101", 2, 5)]
    assert "U+0007" in diags[0].message


def test_undefined_and_self_referencing_aliases_are_fc101():
    _, diags = load_text("a: *nope\n", "f.yml")
    assert codes(diags) == [("FC101", 1, 4)] and "&nope" in diags[0].message
    _, diags = load_text("a: &x [1, *x]\n", "f.yml")
    assert codes(diags) == [("FC101", 1, 11)] and "contains it" in diags[0].message


# --- files ----------------------------------------------------------------------------------

def test_missing_file_and_directory_are_fc109(tmp_path):
    node, diags = load_file(tmp_path / "nope.yml", display_name="nope.yml")
    assert node is None and codes(diags) == [("FC109", 1, 1)]
    assert diags[0].message.startswith("cannot read nope.yml: ")
    node, diags = load_file(tmp_path)
    assert codes(diags) == [("FC109", 1, 1)] and "directory" in diags[0].message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_fc109(tmp_path):
    path = tmp_path / "secret.yml"
    path.write_text("a: 1\n")
    path.chmod(0)
    assert codes(load_file(path)[1]) == [("FC109", 1, 1)]


def test_limits_are_a_frozen_dataclass_with_the_documented_defaults():
    assert DEFAULT_LIMITS == Limits(2 * 1024 * 1024, 64, 200, 1_000_000, 1024 * 1024)
    with pytest.raises(AttributeError):
        DEFAULT_LIMITS.max_depth = 3  # type: ignore[misc]


def test_a_1000_executor_flow_loads_with_every_entry():
    lines = ["jtype: Flow", "version: '1'", "executors:"]
    for i in range(1000):
        lines += [f"  - name: exec_{i}", f"    uses: docker://img:{i}", "    replicas: 2",
                  f"    needs: {'gateway' if i == 0 else f'exec_{i - 1}'}",
                  "    uses_with:", f"      model: 'bert-{i}'", "      batch: 32"]
    node, diags = load_text("\n".join(lines) + "\n", "big.yml")
    assert diags == []
    executors = node.get("executors")
    assert len(executors) == 1000
    assert executors.items[999].get("uses_with").get("batch").span == Span(
        "big.yml", 3 + 7 * 999 + 7, 14, 3 + 7 * 999 + 7, 16)


# --- imports ----------------------------------------------------------------------------------

def test_the_loader_leaves_ruamel_yaml_whole_for_everyone_else():
    """The loader imports ruamel.yaml the ordinary way (no half-initialised package in
    `sys.modules`), so any other code in the process can use the whole library."""
    code = textwrap.dedent("""\
        import io
        import sys
        from flowc.compiler.loader import load_text
        node, diags = load_text("a: [1, 2]\\n", "x.yml")
        assert diags == [], diags
        import ruamel.yaml
        from ruamel.yaml import YAML
        assert ruamel.yaml.__version__ and "__getattr__" not in vars(ruamel.yaml)
        out = io.StringIO()
        YAML().dump({"k": [1, 2]}, out)
        assert YAML(typ="safe", pure=True).load(out.getvalue()) == {"k": [1, 2]}
        print("ok")
        """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["ok"]
