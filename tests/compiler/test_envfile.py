"""--env-file (dotenv), --context K=V and --context-file readers."""

from __future__ import annotations

import json

import pytest

from flowc.compiler.envfile import (load_context_file, parse_context_args, parse_env_file,
                                    parse_env_text)


def test_dotenv_forms(tmp_path):
    path = tmp_path / ".env"
    path.write_text(
        "# comment\n"
        "\n"
        "export A=1\n"
        "B = two words   # trailing comment\n"
        "C=#fff\n"
        "D='single $X \\n kept'\n"
        'E="tab\\tnew\\nline \\"q\\" \\$ \\x"\n'
        "F=\n"
        "  G=indented\n"
        "H='multi\nline'   # ok\n"
        "A=override\n"
        "export=plain\n", encoding="utf-8")
    values, diags = parse_env_file(path)
    assert diags == []
    assert values == {"A": "override", "B": "two words", "C": "#fff", "D": "single $X \\n kept",
                      "E": 'tab\tnew\nline "q" $ \\x', "F": "", "G": "indented",
                      "H": "multi\nline", "export": "plain"}


def test_bom_and_crlf(tmp_path):
    path = tmp_path / "w.env"
    path.write_bytes(b"\xef\xbb\xbfA=1\r\nB=2\r\n")
    assert parse_env_file(path) == ({"A": "1", "B": "2"}, [])


@pytest.mark.parametrize("text,line,col,fragment", [
    ("A=1\nnot a line\n", 2, 1, "expected `=` after not"),
    ("A=1\n  =x\n", 2, 3, "expected a variable name"),
    ("1A=x\n", 1, 1, "expected a variable name"),
    ("K='it''s'\n", 1, 7, "unexpected text after the closing quote of K"),
    ('K="ok" junk\n', 1, 8, "unexpected text after the closing quote"),
    ("A=1\nK=\"never closed\nB=2\n", 2, 3, "the quote opened for K is never closed"),
    ("export K\n", 1, 8, "expected `=` after K"),
])
def test_malformed_lines_are_located(text, line, col, fragment):
    _, diags = parse_env_text(text, ".env")
    (d,) = diags
    assert d.code == "FC310" and fragment in d.message
    assert (d.span.file, d.span.line, d.span.col) == (".env", line, col)


def test_every_bad_line_is_reported_and_good_lines_kept():
    values, diags = parse_env_text("x\nA=1\ny\n", ".env")
    assert values == {"A": "1"} and [d.span.line for d in diags] == [1, 3]


def test_unreadable_and_non_utf8_files(tmp_path):
    _, diags = parse_env_file(tmp_path / "missing.env")
    assert diags[0].code == "FC311" and "missing.env" in diags[0].message
    bad = tmp_path / "bad.env"
    bad.write_bytes(b"A=1\nB=\xff\xfe\n")
    _, diags = parse_env_file(bad)
    assert (diags[0].code, diags[0].span.line, diags[0].span.col) == ("FC311", 2, 3)


def test_context_args_are_typed_as_yaml_scalars():
    values, diags = parse_context_args(["a=3", "b=true", "c=hello world", "d=", "e=1.5",
                                        "f=x=y", "a=4"])
    assert diags == []
    assert values == {"a": 4, "b": True, "c": "hello world", "d": None, "e": 1.5, "f": "x=y"}


def test_bad_context_args_are_located():
    values, diags = parse_context_args(["ok=1", "novalue", "1bad=2", "=3"])
    assert values == {"ok": 1}
    assert [(d.code, d.span.file) for d in diags] == [
        ("FC312", "<--context #2>"), ("FC312", "<--context #3>"), ("FC312", "<--context #4>")]
    assert "has no `=`" in diags[0].message


def test_context_file_yaml_and_json(tmp_path):
    yml = tmp_path / "ctx.yml"
    yml.write_text("a: 1\nb: {c: [x, y]}\n", encoding="utf-8")
    assert load_context_file(yml) == ({"a": 1, "b": {"c": ["x", "y"]}}, [])
    js = tmp_path / "ctx.json"
    js.write_text(json.dumps({"n": 2, "s": "t"}), encoding="utf-8")
    assert load_context_file(js) == ({"n": 2, "s": "t"}, [])


def test_context_file_must_be_a_mapping(tmp_path):
    path = tmp_path / "ctx.yml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    values, diags = load_context_file(path)
    assert values == {} and diags[0].code == "FC313" and "a list" in diags[0].message
    _, diags = load_context_file(tmp_path / "none.yml")
    assert diags and diags[0].span is not None  # the loader's located read error
