"""Hostile YAML: each is refused quickly with the right code at the right line and column.

The time bounds are generous (the machine is shared); they only prove "no hang" — the measured
figures are in the loader's report, not asserted here.
"""

from __future__ import annotations

import time

import pytest

from flowc.compiler.loader import Limits, load_file, load_text
from flowc.compiler.syntax import to_python

NO_HANG_SECONDS = 5.0


def timed_load(data, **kwargs):
    start = time.perf_counter()
    node, diags = load_text(data, "evil.yml", **kwargs)
    elapsed = time.perf_counter() - start
    assert elapsed < NO_HANG_SECONDS, f"took {elapsed:.2f}s"
    return node, diags


def where(diags) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.col) for d in diags]


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghijklmnop"
    for i in range(1, levels):
        refs = ", ".join([f"*{names[i - 1]}"] * width)
        lines.append(f"{names[i]}: &{names[i]} [{refs}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_fc105_at_the_alias_that_crosses_the_node_limit():
    node, diags = timed_load(billion_laughs())
    assert node is None
    # a..f expand to 9**6 * ... nodes; the first alias on line 7 (g) crosses one million
    assert where(diags) == [("FC105", 7, 8)]
    assert "1,000,000 nodes" in diags[0].message


def test_small_alias_expansions_are_fine_and_counted_by_expanded_size():
    node, diags = timed_load(billion_laughs(levels=3, width=3))
    assert diags == [] and len(to_python(node)["c"]) == 3
    _, diags = timed_load(billion_laughs(levels=4, width=4), limits=Limits(max_nodes=100))
    assert [d.code for d in diags] == ["FC105"]


def test_too_many_alias_events_is_fc105():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 300) + "]\n"
    node, diags = timed_load(text)
    assert node is None and where(diags) == [("FC105", 2, 5 + 4 * 200)]  # the 201st
    assert "more than 200 aliases" in diags[0].message


@pytest.mark.parametrize("text, line, col", [
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", 1, 68),
    ("[" * 5000 + "\n", 1, 65),
    ("a:\n" + "[\n" * 5000, 66, 1),
    ("a: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", 1, 4 + 4 * 63),
    ("- " * 5000 + "x\n", 1, 1 + 2 * 64),
    ("".join(" " * i + "k:\n" for i in range(100)), 65, 65),
])
def test_deep_nesting_is_fc104_without_recursion(text, line, col):
    node, diags = timed_load(text)
    assert node is None and where(diags) == [("FC104", line, col)]
    assert "deeper than 64 levels" in diags[0].message


def test_nesting_up_to_the_limit_is_fine():
    node, diags = timed_load("[" * 64 + "]" * 64)
    assert diags == [] and node is not None
    assert where(timed_load("[" * 65 + "]" * 65)[1]) == [("FC104", 1, 65)]


def test_a_20_mb_file_is_refused_by_size_before_reading(tmp_path):
    path = tmp_path / "huge.yml"
    with path.open("wb") as handle:
        handle.write(b"a: " + b"x" * (20 * 1024 * 1024) + b"\n")
    start = time.perf_counter()
    node, diags = load_file(path, display_name="huge.yml")
    assert time.perf_counter() - start < NO_HANG_SECONDS
    assert node is None and where(diags) == [("FC103", 1, 1)]
    assert "20,971,524 bytes" in diags[0].message and "2,097,152" in diags[0].message


def test_too_large_bytes_and_text_given_directly_are_fc103():
    data = b"a: 1\n" * (3 * 1024 * 1024)
    assert where(timed_load(data)[1]) == [("FC103", 1, 1)]
    assert where(timed_load(data.decode())[1]) == [("FC103", 1, 1)]


def test_a_device_that_never_ends_is_read_only_up_to_the_limit():
    node, diags = load_file("/dev/zero", limits=Limits(max_bytes=4096))
    assert node is None and [d.code for d in diags] == ["FC103"]


@pytest.mark.parametrize("text, code, line, col", [
    ("a: " + "x" * 2_000_000 + "\n", "FC106", 1, 1),
    ("a: 1\nb: |\n" + ("  " + "x" * 99 + "\n") * 20_000 + "c: 2\n", "FC106", 2, 4),
    ("- |-\n" + (" " + "y" * 199 + "\n") * 10_000, "FC106", 1, 3),
])
def test_a_2_mb_scalar_is_fc106_before_the_scanner_reads_it(text, code, line, col):
    node, diags = timed_load(text)
    assert node is None and where(diags) == [(code, line, col)]


@pytest.mark.parametrize("text, line, col", [
    ('a: "' + ("z" * 99 + "\n") * 12_000 + '"\n', 1, 4),
    ("x: 1\nitems:\n  - 'it''s " + ("z" * 99 + "\n") * 12_000 + "'\n", 3, 5),
    ('- [1, "' + ("z\\\"\n" * 300_000) + '"]\n', 1, 7),
])
def test_a_long_multiline_quoted_scalar_is_fc106_before_the_scanner_reads_it(text, line, col):
    node, diags = timed_load(text)
    assert node is None and where(diags) == [("FC106", line, col)]
    assert "quoted scalar is about" in diags[0].message


def test_a_long_scalar_the_pre_flight_cannot_see_is_caught_by_the_exact_check():
    text = "# a plain scalar over many lines\na: " + ("word " * 20 + "\n  ") * 12_000 + "end\n"
    node, diags = timed_load(text)
    assert node is None and where(diags) == [("FC106", 2, 4)]
    assert diags[0].message.startswith("scalar is ")


def test_a_big_file_of_small_scalars_is_not_mistaken_for_a_long_scalar():
    def items(count: int) -> str:
        return "items:\n" + "".join(
            f"  - key_{i}: |\n      line {i}: don't \"stop\"\n"
            f"    name: 'it''s {i}'  # don't [[[ {{{{\n    say: [\"a \\\" b\", x, 'y']\n"
            for i in range(count))

    node, diags = load_text(items(3), "small.yml")  # the same shapes, parsed for real
    assert diags == [] and to_python(node)["items"][2]["say"] == ['a " b', "x", "y"]
    text = items(20_000)
    assert len(text) > 1024 * 1024
    start = time.perf_counter()
    from flowc.compiler.loader import _preflight  # the pre-flight alone: parsing 1.5 MB is slow

    assert _preflight(text, "evil.yml", Limits()) is None
    assert time.perf_counter() - start < NO_HANG_SECONDS


def test_bad_utf8_in_the_middle_of_line_3_is_fc102_at_its_column():
    data = "a: 1\nb: 2\nc: héllo".encode() + b"\xff\xfe" + b" world\nd: 4\n"
    node, diags = timed_load(data)
    assert node is None and where(diags) == [("FC102", 3, 9)]
    assert "0xff" in diags[0].message and diags[0].hint == "save the file as UTF-8"


def test_truncated_multibyte_sequence_and_utf16_are_fc102():
    assert where(timed_load("a: é".encode()[:-1])[1]) == [("FC102", 1, 4)]
    assert where(timed_load("a: 1\n".encode("utf-16"))[1]) == [("FC102", 1, 1)]


@pytest.mark.parametrize("text, tag, col", [
    ("a: !!python/object/apply:os.system ['rm -rf /']\n", "!!python/object/apply:os.system", 4),
    ("a: !!python/name:os.system\n", "!!python/name:os.system", 4),
    ("a: !!python/object/new:subprocess.Popen {args: [ls]}\n",
     "!!python/object/new:subprocess.Popen", 4),
    ("a: !<tag:yaml.org,2002:python/object/apply:os.system> [ls]\n",
     "!<tag:yaml.org,2002:python/object/apply:os.system>", 4),
    ("a: !!binary aGVsbG8=\n", "!!binary", 4),
    ("a: !!timestamp 2001-12-14\n", "!!timestamp", 4),
    ("a: !!set {x, y}\n", "!!set", 4),
    ("a: &x !ruby/object:Gem::Installer\n", "!ruby/object:Gem::Installer", 7),
    ("%TAG !! tag:evil.example,2000:\n---\na: !!str x\n", "!!str", 4),
    ("!Flow.Evil\na: 1\n", "!Flow.Evil", 1),
])
def test_tags_outside_the_allow_list_are_fc108_and_construct_nothing(text, tag, col):
    node, diags = timed_load(text)
    line = text.count("\n", 0, text.index(tag[:3])) + 1
    assert where(diags) == [("FC108", line, col)]
    assert f"tag '{tag}'" in diags[0].message
    if node is not None:  # the tree holds plain data only
        for value in str(to_python(node)):
            assert isinstance(value, str)
        assert node.tag is None


def test_duplicate_keys_deep_inside_are_located():
    text = "executors:\n  - name: a\n    uses: X\n    name: b\n"
    node, diags = timed_load(text)
    assert where(diags) == [("FC107", 4, 5)]
    assert (diags[0].related[0].span.line, diags[0].related[0].span.col) == (2, 5)


@pytest.mark.parametrize("text, line, col", [
    ("a:\n\t- b\n", 2, 1),
    ("a:\n  b: 1\n\tc: 2\n", 3, 1),
    ("a: |\n\ttext\n", 2, 1),
])
def test_tabs_used_as_indentation_are_fc101(text, line, col):
    node, diags = timed_load(text)
    assert node is None and where(diags) == [("FC101", line, col)]
    assert "tab" in diags[0].message


def test_nul_bytes_and_escape_sequences_are_refused_not_rendered():
    assert where(timed_load(b"a: 1\nb: \x00\n")[1]) == [("FC101", 2, 4)]
    assert where(timed_load("a: \x1b[31mred\n")[1]) == [("FC101", 1, 4)]


def test_deep_block_indentation_over_a_megabyte_is_fc104_quickly():
    # 1,500 nested block mappings, one space deeper each: 1.1 MB of indentation. The pre-flight
    # scan for block scalars used to backtrack quadratically over the spaces (10 s).
    lines = ["executors:", "  - uses_with:"] + [" " * (6 + i) + f"k{i}:" for i in range(1500)]
    text = "\n".join(lines + [" " * 1506 + "v: 1"]) + "\n"
    assert len(text) > Limits().max_scalar_chars
    node, diags = timed_load(text)
    assert node is None and [d.code for d in diags] == ["FC104"]


@pytest.mark.parametrize("line", ["-" + " " * 2000, "- " * 1000, " " * 1000 + "- " * 500])
def test_lines_of_spaces_and_dashes_over_a_megabyte_load_in_linear_time(line):
    # the same quadratic scan, on list dashes followed by long runs of spaces (21 s)
    text = "jtype: Flow\n" + (line + "\n") * (1_200_000 // len(line))
    timed_load(text)


def test_nesting_built_out_of_aliases_is_fc104_not_a_recursion_error():
    # each anchor nests the previous one 60 levels deeper: 40 aliases and 50,000 nodes, within
    # those limits, but 2,400 levels deep once expanded (RecursionError in later phases)
    lines = ["anchors:"]
    for i in range(40):
        inner = f"*a{i - 1}" if i else "1"
        lines.append(f"  k{i}: &a{i} " + "{x: " * 60 + inner + "}" * 60)
    node, diags = timed_load("\n".join(lines) + "\n")
    assert node is None and where(diags) == [("FC104", 3, 251)]
    assert "once aliases are expanded" in diags[0].message
    # the same anchors used where they fit are fine
    node, diags = timed_load("a: &a {x: {y: 1}}\nb: {c: *a, d: [*a, *a]}\n")
    assert diags == [] and to_python(node)["b"]["d"][1] == {"x": {"y": 1}}
    deep = "a: &a " + "[" * 30 + "]" * 30 + "\n" + "b: " + "[" * 33 + "*a" + "]" * 33 + "\n"
    node, diags = timed_load(deep)
    assert node is not None and diags == []  # 1 + 33 + 30 = 64 levels: the limit itself
    node, diags = timed_load(deep.replace("[" * 33, "[" * 34).replace("]" * 33, "]" * 34))
    assert where(diags) == [("FC104", 2, 38)]
