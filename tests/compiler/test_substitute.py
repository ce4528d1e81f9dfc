"""Substitution (phase 3, SPEC §2): every form, typing, references, provenance, diagnostics."""

from __future__ import annotations

import time

import pytest

from flowc.compiler.diagnostics import Severity
from flowc.compiler.loader import load_text
from flowc.compiler.substitute import (
    SubstitutionContext, SubstitutionError, parse_parts, render_template, substitute,
    substitute_executor_config)
from flowc.compiler.syntax import Mapping, Scalar, Sequence, State, locate, to_python


def is_deferred(node) -> bool:
    return node.state is State.DEFERRED


def is_undefined(node) -> bool:
    return node.state is State.UNDEFINED


def run(text: str, env: dict | None = None, **kw):
    deferred = kw.pop("deferred", None)
    root, diags = load_text(text, "f.yml")
    assert root is not None and not diags, diags
    ctx = SubstitutionContext(env=env or {}, **kw)
    node, out = substitute(root, ctx, deferred=deferred)
    return node, out


def value(text: str, env: dict | None = None, **kw):
    """The substituted value of key `v` in a one-line document, asserting no diagnostics."""
    node, diags = run(text, env, **kw)
    assert not diags, diags
    return to_python(node)["v"]


def at(node, *path):
    return locate(node, path)


# --- every form --------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["${{ ENV.X }}", "${{ env.X }}", "${{ENV.X}}", "'${{  ENV.X\t}}'",
                                  "${X}", "$X", "${X:-d}", "${X-d}", "${X:?m}", "${X?m}"])
def test_environment_forms(form):
    assert value(f"v: {form}", {"X": "hello"}) == "hello"


@pytest.mark.parametrize("form", ["${{ CONTEXT.C }}", "${{ context.C }}", "${{ C }}", "${{C}}"])
def test_context_forms(form):
    assert value(f"v: {form}", context={"C": "ctx"}) == "ctx"


def test_context_form_falls_back_to_environment_like_jina():
    assert value("v: ${{ C }}", {"C": "from-env"}) == "from-env"
    assert value("v: ${{ C }}", {"C": "from-env"}, context={"C": "ctx"}) == "ctx"


def test_env_forms_do_not_read_the_context():
    _, diags = run("v: ${{ ENV.C }}", context={"C": "ctx"})
    assert [d.code for d in diags] == ["FC301"]


def test_default_colon_dash_replaces_unset_and_empty():
    assert value("v: ${X:-dflt}") == "dflt"
    assert value("v: ${X:-dflt}", {"X": ""}) == "dflt"
    assert value("v: ${X:-dflt}", {"X": "set"}) == "set"


def test_default_dash_replaces_only_unset():
    assert value("v: ${X-dflt}") == "dflt"
    assert value("v: '${X-dflt}'", {"X": ""}) == ""
    assert value("v: ${X-}") is None  # empty default, plain scalar: YAML null
    assert value("v: a${X-}b") == "ab"


def test_default_text_is_typed_like_any_plain_value():
    assert value("v: ${R:-3}") == 3
    assert value("v: '${R:-3}'") == "3"
    assert value("v: ${R:-a b c}") == "a b c"


def test_required_with_message():
    node, diags = run("v: ${TOKEN:?set TOKEN to your API token}")
    assert [(d.code, d.severity) for d in diags] == [("FC302", Severity.ERROR)]
    assert "TOKEN is not set: set TOKEN to your API token" in diags[0].message
    assert to_python(node)["v"] == "${TOKEN:?set TOKEN to your API token}"


def test_required_colon_rejects_empty_plain_question_accepts_it():
    _, diags = run("v: ${T:?need it}", {"T": ""})
    assert "T is empty: need it" in diags[0].message
    assert value("v: '${T?need it}'", {"T": ""}) == ""
    assert value("v: ${T:?need it}", {"T": "ok"}) == "ok"


def test_required_without_message_has_a_generic_one():
    _, diags = run("v: ${T:?}")
    assert diags[0].code == "FC302" and "a value is required" in diags[0].message


def test_double_dollar_is_a_literal_dollar():
    node, diags = run("v: $${{ ENV.X }}\nw: a$$b\nx: $$$X", {"X": "1"})
    assert not diags
    assert to_python(node) == {"v": "${{ ENV.X }}", "w": "a$b", "x": "$1"}
    assert at(node, "w").origin is None


@pytest.mark.parametrize("text", ["price $5", "100$", "a $ b", "$", "^x$", "$(cmd)", "a$-b"])
def test_dollar_that_starts_no_form_is_literal(text):
    root, _ = load_text(f"v: '{text}'", "f.yml")
    node, diags = substitute(root, SubstitutionContext(env={}))
    assert not diags and to_python(node)["v"] == text
    assert at(node, "v") is at(root, "v")  # untouched: the same object


def test_scalars_without_dollar_are_returned_unchanged():
    root, _ = load_text("a: 1\nb: [x, {c: d}]\n", "f.yml")
    node, diags = substitute(root, SubstitutionContext(env={}))
    assert node is root and diags == []


def test_mapping_keys_are_not_substituted():
    node, diags = run("${X}: ${X}", {"X": "v"})
    assert not diags and to_python(node) == {"${X}": "v"}


def test_non_string_scalars_are_left_alone():
    assert to_python(run("v: [1, true, null, 2.5]")[0])["v"] == [1, True, None, 2.5]


# --- types -------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [("3", 3), ("-7", -7), ("0x1f", 31), ("2.5", 2.5),
                                          ("true", True), ("False", False), ("null", None),
                                          ("", None), ("~", None), ("yes", "yes"), ("abc", "abc"),
                                          ("1e3", 1000.0), ("0o17", 15), ("007", 7)])
def test_plain_single_substitution_takes_yaml_core_type(raw, expected):
    assert value("v: ${{ ENV.R }}", {"R": raw}) == expected


@pytest.mark.parametrize("doc", ["v: '${{ ENV.R }}'", 'v: "${{ ENV.R }}"', "v: !!str ${{ ENV.R }}",
                                 "v: |-\n  ${{ ENV.R }}", "v: >-\n  ${{ ENV.R }}"])
def test_quoted_block_or_str_tagged_stays_string(doc):
    assert value(doc, {"R": "3"}) == "3"


def test_mixed_text_is_a_string():
    assert value("v: r${R}", {"R": "3"}) == "r3"
    assert value("v: ${A}${B}", {"A": "1", "B": "2"}) == "12"
    assert value("v: ${{ C }}-x", context={"C": True}) == "true-x"
    assert value("v: ${{ C }}-x", context={"C": None}) == "null-x"
    assert value("v: ${{ C }}-x", context={"C": 2.5}) == "2.5-x"


def test_context_values_keep_their_python_type():
    assert value("v: ${{ C }}", context={"C": 3}) == 3
    assert value("v: ${{ C }}", context={"C": "3"}) == 3  # text is typed like env values
    assert value("v: '${{ C }}'", context={"C": 3}) == "3"
    assert value("v: ${{ C }}", context={"C": {"a": [1, 2]}}) == {"a": [1, 2]}


def test_context_mapping_inside_text_is_an_error():
    _, diags = run("v: x${{ C }}", context={"C": {"a": 1}})
    assert [d.code for d in diags] == ["FC307"]


# --- references --------------------------------------------------------------------------------

def test_reference_keeps_the_type_of_the_target():
    node, diags = run("a: 3\nb: true\nc: x\nv:\n- ${{ root.a }}\n- ${{ root.b }}\n- ${{ root.c }}")
    assert not diags and to_python(node)["v"] == [3, True, "x"]


def test_reference_to_mapping_and_list_returns_the_substituted_node():
    node, diags = run("a:\n  p: ${{ ENV.P }}\nl: [1, 2]\nv: ${{ root.a }}\nw: ${{ root.l }}",
                      {"P": "80"})
    assert not diags
    assert isinstance(at(node, "v"), Mapping) and to_python(at(node, "v")) == {"p": 80}
    assert at(node, "v") is at(node, "a")  # the same node: spans point where it is written
    assert isinstance(at(node, "w"), Sequence) and to_python(at(node, "w")) == [1, 2]


def test_quoted_reference_is_a_string_and_mixed_reference_is_text():
    assert value("a: 3\nv: '${{ root.a }}'") == "3"
    assert value("a: 3\nv: port-${{ root.a }}") == "port-3"


def test_reference_to_mapping_inside_text_is_an_error_at_the_form():
    _, diags = run("a: {x: 1}\nv: pre ${{ root.a }}")
    assert [(d.code, d.span.line, d.span.col, d.span.end_col) for d in diags] == \
        [("FC307", 2, 8, 21)]


def test_reference_paths_with_indexes_and_spaces():
    doc = "executors:\n  - name: a\n    port: 1\n  - name: b\nv: ${{   root.executors[1].name  }}"
    assert value(doc) == "b"


def test_this_is_the_enclosing_mapping():
    node, diags = run("e:\n  name: enc\n  workspace: ws-${{ this.name }}\n"
                      "  list:\n  - x-${{ this.name }}")
    assert not diags
    assert to_python(node)["e"] == {"name": "enc", "workspace": "ws-enc", "list": ["x-enc"]}


def test_this_outside_any_mapping_is_an_error():
    root, _ = load_text("- ${{ this.x }}", "f.yml")
    _, diags = substitute(root, SubstitutionContext(env={}))
    assert [d.code for d in diags] == ["FC304"]


def test_references_resolve_to_a_fixed_point_with_a_provenance_chain():
    node, diags = run("a: ${{ root.b }}\nb: ${{ root.c }}\nc: ${{ ENV.P }}\n", {"P": "8080"})
    assert not diags and to_python(node) == {"a": 8080, "b": 8080, "c": 8080}
    assert str(at(node, "a").origin) == "reference root.b → root.c (environment variable P)"
    assert str(at(node, "c").origin) == "environment variable P"
    assert at(node, "a").origin.kind == "reference" and at(node, "c").origin.kind == "env"


def test_reference_through_a_value_that_is_itself_a_reference():
    doc = "x: {c: {d: deep}}\na: ${{ root.x }}\nv: ${{ root.a.c.d }}"
    assert value(doc) == "deep"


def test_reference_to_a_later_value_and_to_a_sibling_subtree():
    doc = "v: ${{ root.later.k }}\nlater:\n  k: ${{ ENV.K }}"
    assert value(doc, {"K": "v1"}) == "v1"


def test_missing_reference_target_is_located_with_existing_keys():
    _, diags = run("with: {port: 1, name: n}\nv: ${{ root.with.prot }}")
    (d,) = diags
    assert d.code == "FC304" and "no key `prot`" in d.message
    assert d.hint and "port" in d.hint and (d.span.line, d.span.col) == (2, 4)


@pytest.mark.parametrize("doc,fragment", [("l: [1]\nv: ${{ root.l[3] }}", "out of range"),
                                          ("l: [1]\nv: ${{ root.l.x }}", "in a list"),
                                          ("m: {a: 1}\nv: ${{ root.m[0] }}", "index [0] on a"),
                                          ("s: 1\nv: ${{ root.s.x }}", "single value")])
def test_bad_reference_steps(doc, fragment):
    _, diags = run(doc)
    assert [d.code for d in diags] == ["FC304"] and fragment in diags[0].message


def test_reference_cycle_shows_the_path():
    _, diags = run("a: ${{ root.b }}\nb: ${{ root.a }}\n")
    (d,) = diags
    assert d.code == "FC305"
    assert d.message == "reference cycle: root.a → root.b → root.a"
    assert (d.span.line, d.span.col, d.span.end_col) == (1, 4, 17)
    assert [(r.span.line, r.label) for r in d.related] == [(2, "root.b refers to root.a")]


def test_self_reference_and_reference_to_an_enclosing_mapping_are_cycles():
    _, diags = run("a: ${{ root.a }}")
    assert diags[0].message == "reference cycle: root.a → root.a"
    _, diags = run("a:\n  x: ${{ root.a }}")
    assert diags[0].message == "reference cycle: root.a.x → root.a"
    _, diags = run("a:\n  x: ${{ this }}")
    assert diags[0].code == "FC305"


def test_a_value_leading_into_a_cycle_fails_silently_and_the_cycle_is_reported_once():
    node, diags = run("v: ${{ root.a }}\na: ${{ root.b }}\nb: ${{ root.a }}\n")
    assert [d.message for d in diags] == ["reference cycle: root.a → root.b → root.a"]
    assert to_python(node)["v"] == "${{ root.a }}"


def test_long_reference_chain_is_bounded():
    lines = [f"a{i}: ${{{{ root.a{i + 1} }}}}" for i in range(200)] + ["a200: end"]
    started = time.perf_counter()
    node, diags = run("\n".join(lines))
    assert time.perf_counter() - started < 2
    assert "FC306" in {d.code for d in diags}
    ok = [f"a{i}: ${{{{ root.a{i + 1} }}}}" for i in range(40)] + ["a40: end"]
    assert to_python(run("\n".join(ok))[0])["a0"] == "end"


def test_a_value_with_very_many_forms_is_refused_quickly():
    root, _ = load_text("v: " + "x${A}" * 200_000, "f.yml")
    started = time.perf_counter()
    _, diags = substitute(root, SubstitutionContext(env={"A": "1"}))
    assert time.perf_counter() - started < 1  # refused before parsing: ~1 ms
    assert [d.code for d in diags] == ["FC306"] and "too many `$`" in diags[0].message
    assert value("v: " + "${A}" * 500, {"A": "1"}) == "1" * 500  # several forms: a string


def test_exponential_text_through_references_is_refused_quickly():
    lines = ["a0: " + "x" * 64] + [f"a{i + 1}: ${{{{ root.a{i} }}}}${{{{ root.a{i} }}}}"
                                   for i in range(40)]
    started = time.perf_counter()
    _, diags = run("\n".join(lines))
    assert time.perf_counter() - started < 2
    assert "FC306" in {d.code for d in diags}


def test_references_cannot_nest_a_value_past_the_depth_limit():
    # each key nests the previous one's value 50 levels deeper: every file is within the
    # loader's limits, but the substituted tree was deep enough for a RecursionError (FC999)
    def nested(i: int) -> str:
        inner = f"${{{{ root.k{i - 1} }}}}" if i else "1"
        return f"k{i}:\n" + "".join(" " * (d + 1) + "x:\n" for d in range(49)) + \
            " " * 50 + "x: " + inner + "\n"
    node, diags = run("".join(nested(i) for i in range(40)))
    assert [d.code for d in diags] == ["FC306"] * 39  # each reference, k1 to k39
    assert "nest deeper than 64 levels" in diags[0].message
    assert sorted((d.span.line, d.span.col) for d in diags)[0] == (102, 54)
    node, diags = run(nested(0) + "k1:\n  a:\n    b: ${{ root.k0 }}\n")  # 3 + 50 levels: fine
    assert diags == [] and isinstance(to_python(node)["k1"]["a"]["b"]["x"], dict)


def test_exponential_lists_through_references_are_refused_quickly():
    lines = ["a0: [x, x]"] + [f"a{i + 1}:\n- ${{{{ root.a{i} }}}}\n- ${{{{ root.a{i} }}}}"
                              for i in range(40)]
    started = time.perf_counter()
    _, diags = run("\n".join(lines))
    assert time.perf_counter() - started < 2
    assert "FC306" in {d.code for d in diags}


# --- undefined variables, allow_undefined ------------------------------------------------------

def test_undefined_variable_error_names_it_and_where_flowc_looked():
    _, diags = run("with:\n  port: ${{ ENV.PORT }}\n", env_file={"A": "1"}, env_file_name=".env")
    (d,) = diags
    assert (d.code, d.severity) == ("FC301", Severity.ERROR)
    assert d.message == ("environment variable PORT is not defined "
                         "(looked in the environment, --env-file .env)")
    assert (d.span.file, d.span.line, d.span.col, d.span.end_col) == ("f.yml", 2, 9, 24)


def test_undefined_context_variable_lists_the_context():
    _, diags = run("v: ${{ CONTEXT.K }}")
    assert diags[0].message == "context variable K is not defined (looked in --context values, " \
        "the environment)"


def test_every_undefined_variable_in_one_scalar_is_reported():
    _, diags = run("v: ${A}-${B}")
    assert [(d.span.col, d.message.split()[2]) for d in diags] == [(4, "A"), (9, "B")]


def test_allow_undefined_warns_and_keeps_the_text():
    node, diags = run("v: ${{ ENV.R }}\nw: ${{ root.v }}\nx: ${T:?need}", allow_undefined=True)
    assert {(d.code, d.severity) for d in diags} == {("FC301", Severity.WARNING),
                                                      ("FC302", Severity.WARNING)}
    v = at(node, "v")
    assert v.value == "${{ ENV.R }}" and is_undefined(v)
    assert str(v.origin) == "undefined: environment variable R" and v.origin.kind == "file"
    assert is_undefined(at(node, "w")) and is_undefined(at(node, "x"))
    assert not is_undefined(Scalar("a", v.span))


# --- provenance ------------------------------------------------------------------------------

def test_origins_name_the_source_of_each_value():
    node, diags = run("a: ${{ ENV.E }}\nb: ${F}\nc: ${{ CONTEXT.C }}\nd: ${D:-3}\n"
                      "e: ${{ root.a }}\n"
                      "f: literal\ng: x${E}${F}", {"E": "1"}, env_file={"F": "2"},
                      env_file_name=".env", context={"C": 3})
    assert not diags
    origins = {k.value: v.origin and v.origin.detail for k, v in node.items}
    assert origins == {
        "a": "environment variable E", "b": "--env-file .env: F", "c": "--context C",
        "d": "default of ${D:-3}", "e": "reference root.a (environment variable E)",
        "f": None, "g": "environment variable E, --env-file .env: F"}
    kinds = {k.value: v.origin and v.origin.kind for k, v in node.items}
    assert kinds == {"a": "env", "b": "env-file", "c": "context", "d": "file", "e": "reference",
                     "f": None, "g": "env"}


def test_environment_wins_over_env_file():
    node, _ = run("v: ${X}", {"X": "env"}, env_file={"X": "file"}, env_file_name=".env")
    assert at(node, "v").value == "env" and str(at(node, "v").origin) == "environment variable X"


# --- columns -------------------------------------------------------------------------------------

def test_columns_in_plain_and_quoted_scalars():
    _, diags = run('a: x ${A} y\nb: "x ${B}"\nc: \'${C}\'\n')
    assert [(d.span.line, d.span.col, d.span.end_col) for d in diags] == \
        [(1, 6, 10), (2, 7, 11), (3, 5, 9)]


def test_columns_after_comments_tags_anchors_and_in_flow_lists():
    _, diags = run("a: ${{ ENV.P }}  # comment\nb:\n  - x ${Y}\nc: [\"${Z}\", '${W}']\n"
                   "d: !!str ${V}\ne: &anc ${U}\n")
    assert [(d.span.line, d.span.col, d.span.end_col) for d in diags] == \
        [(1, 4, 16), (3, 7, 11), (4, 6, 10), (4, 14, 18), (5, 10, 14), (6, 9, 13)]


def test_multi_line_or_escaped_scalars_point_at_the_whole_scalar():
    _, diags = run('a: "\\t${A}"\nb: |\n  ${B}\n')
    spans = [(d.span.line, d.span.col) for d in diags]
    assert spans == [(1, 4), (2, 4)]


def test_malformed_substitution_points_at_its_start():
    _, diags = run("v: ok ${X:=1} end\nw: ${{ ENV.X\nx: ${}")
    assert [(d.code, d.span.line, d.span.col) for d in diags] == \
        [("FC303", 1, 7), ("FC303", 2, 4), ("FC303", 3, 4)]
    assert "`${X:=1}`" in diags[0].message and "$$" in diags[0].hint


@pytest.mark.parametrize("form", ["${{ foo.bar }}", "${{ ENV.A.B }}", "${{ 0 }}", "${{ ENV[0] }}"])
def test_unknown_expressions(form):
    _, diags = run(f"v: {form}")
    assert [d.code for d in diags] == ["FC308"]


# --- deferred (env_from_secret) --------------------------------------------------------------

SECRET_DOC = """executors:
  - name: a
    env_from_secret: {TOKEN: {name: s, key: k}}
    uses_with:
      token: ${{ ENV.TOKEN }}
      url: https://${HOST}/$TOKEN/${{ CONTEXT.P }}
      plain: ${HOST}
  - name: b
    uses_with:
      token: ${{ ENV.TOKEN }}
      ref: '${{ root.executors[0].uses_with.token }}'
"""


def _secrets(path):
    return frozenset({"TOKEN"}) if path[:2] == ("executors", 0) else frozenset()


def test_deferred_variables_stay_runtime_references():
    node, diags = run(SECRET_DOC, {"TOKEN": "s3cr3t", "HOST": "h$x", "P": "1"}, deferred=_secrets,
                      context={"P": "p"})
    assert not diags
    token = at(node, "executors", 0, "uses_with", "token")
    assert is_deferred(token) and token.value == "${{ ENV.TOKEN }}"
    assert str(token.origin) == "runtime reference: environment variable TOKEN"
    assert token.origin.kind == "env"
    url = at(node, "executors", 0, "uses_with", "url")
    assert is_deferred(url) and url.value == "https://h$$x/$TOKEN/p"  # other forms done now
    assert at(node, "executors", 0, "uses_with", "plain").value == "h$x"
    # entry b does not list TOKEN as a secret: substituted at build time
    assert at(node, "executors", 1, "uses_with", "token").value == "s3cr3t"
    # a reference to a deferred value is deferred as well
    ref = at(node, "executors", 1, "uses_with", "ref")
    assert is_deferred(ref) and ref.value == "${{ ENV.TOKEN }}"
    assert "s3cr3t" not in repr(to_python(at(node, "executors", 0)))


def test_deferred_context_name_is_not_read_from_the_build_environment():
    doc = "executors:\n  - name: a\n    uses_with:\n      t: ${{ TOKEN }}\n      u: ${{ C }}\n"
    node, diags = run(doc, {"TOKEN": "s3cr3t", "C": "env"}, context={"C": "ctx"},
                      deferred=lambda p: frozenset({"TOKEN", "C"}))
    assert not diags
    assert is_deferred(at(node, "executors", 0, "uses_with", "t"))
    assert at(node, "executors", 0, "uses_with", "u").value == "ctx"  # given as context: not secret
    assert render_template("${{ TOKEN }}", {"TOKEN": "x"}) == "x"


def test_references_to_shared_alias_nodes_are_sized_once():
    lines = ["base: &b [1, 2, 3]", "a0: [*b, *b, *b]"] + [
        f"a{i + 1}:\n- ${{{{ root.a{i} }}}}\n- ${{{{ root.a{i} }}}}" for i in range(12)]
    node, diags = run("\n".join(lines))
    assert not diags and len(to_python(node)["a12"]) == 2


def test_looking_inside_a_deferred_or_unknown_value():
    doc = "e:\n  t: ${{ ENV.T }}\n  v: ${{ root.e.t.x }}\n"
    _, diags = run(doc, deferred=lambda p: frozenset({"T"}))
    assert [d.code for d in diags] == ["FC304"] and "single value" in diags[0].message
    node, diags = run(doc, allow_undefined=True)
    assert [d.code for d in diags] == ["FC301"] and is_undefined(at(node, "e", "v"))


def test_deferred_template_renders_at_runtime():
    node, _ = run(SECRET_DOC, {"HOST": "h$x"}, deferred=_secrets, context={"P": "p"})
    url = at(node, "executors", 0, "uses_with", "url").value
    assert render_template(url, {"TOKEN": "tk"}) == "https://h$x/tk/p"
    assert render_template("${{ ENV.TOKEN }}", {"TOKEN": "0123"}) == 123
    assert render_template("${{ ENV.TOKEN }}", {"TOKEN": "0123"}, quoted=True) == "0123"


def test_render_template_errors_name_the_variable():
    with pytest.raises(SubstitutionError, match="TOKEN"):
        render_template("x-${{ ENV.TOKEN }}", {})
    with pytest.raises(SubstitutionError, match="need the token"):
        render_template("${TOKEN:?need the token}", {})
    assert render_template("${TOKEN:-none}", {}) == "none"


def test_substitute_executor_config_uses_the_worker_environment_only():
    root, _ = load_text("jtype: E\nwith:\n  a: ${{ ENV.A }}\n  b: ${{ B }}\n  c: ${{ this.a }}\n",
                        "e.yml")
    node, diags = substitute_executor_config(root, {"A": "1", "B": "two"})
    assert not diags and to_python(node)["with"] == {"a": 1, "b": "two", "c": 1}
    _, diags = substitute_executor_config(root, {})
    assert {d.code for d in diags} == {"FC301"}


def test_every_scalar_says_what_substitution_made_of_it():
    doc = ("with:\n  port: ${{ ENV.P }}\n  name: plain\n  esc: $$3\n"
           "executors:\n  - replicas: ${{ root.with.port }}\n    env:\n      T: ${{ ENV.T }}\n"
           "      U: ${{ ENV.U }}\n      V: price $5\n      W: ${{ ENV.NOPE:x }}\n")
    root, _ = load_text(doc, "f.yml")
    node, _ = substitute(root, SubstitutionContext(env={"P": "1", "T": "t"}, allow_undefined=True),
                         deferred=lambda p: frozenset({"T"}))
    states = {path: at(node, *path).state for path in [
        ("with", "port"), ("with", "name"), ("with", "esc"), ("executors", 0, "replicas"),
        ("executors", 0, "env", "T"), ("executors", 0, "env", "U"),
        ("executors", 0, "env", "V"), ("executors", 0, "env", "W")]}
    assert states == {
        ("with", "port"): State.SUBSTITUTED, ("with", "name"): State.LITERAL,
        ("with", "esc"): State.LITERAL, ("executors", 0, "replicas"): State.SUBSTITUTED,
        ("executors", 0, "env", "T"): State.DEFERRED, ("executors", 0, "env", "U"):
            State.UNDEFINED, ("executors", 0, "env", "V"): State.LITERAL,
        ("executors", 0, "env", "W"): State.FAILED}
    assert [at(node, *p).known for p in (("with", "esc"), ("executors", 0, "env", "T"))] == [
        True, False]


# --- the grammar's parts -------------------------------------------------------------------------

def test_parts_cover_the_text_with_offsets():
    text = "a $$ ${X:-d} $Y ${{ root.a[0] }} $"
    parts = parse_parts(text)
    assert "".join(p.source for p in parts) == text
    assert [(p.kind, p.start, p.end) for p in parts] == [
        ("text", 0, 2), ("text", 2, 4), ("text", 4, 5), ("env", 5, 12), ("text", 12, 13),
        ("env", 13, 15), ("text", 15, 16), ("ref", 16, 32), ("text", 32, 33), ("text", 33, 34)]
    braced = parts[3]
    assert (braced.value, braced.op, braced.arg) == ("X", ":-", "d")
    assert parts[7].path == ("root", "a", 0)


# --- scale ---------------------------------------------------------------------------------------

def test_thousand_executors_with_a_variable_each_substitute_quickly():
    lines = ["jtype: Flow", "executors:"]
    for i in range(1000):
        lines += [f"  - name: e{i}", "    replicas: ${{ ENV.R }}", f"    host: h{i}-${{HOST}}"]
    root, _ = load_text("\n".join(lines), "big.yml")
    started = time.perf_counter()
    node, diags = substitute(root, SubstitutionContext(env={"R": "2", "HOST": "x"}))
    elapsed = time.perf_counter() - started
    assert not diags and to_python(node)["executors"][999] == \
        {"name": "e999", "replicas": 2, "host": "h999-x"}
    assert elapsed < 3  # measured ~0.2 s; generous for a shared 2-core machine


# --- lark is loaded only when needed; its tables are cached per user ---------------------------

def _python(code: str, **env: str) -> str:
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env}, check=True)
    return done.stdout.strip()


def test_scalars_without_dollar_never_import_lark(tmp_path):
    code = ("import sys\nfrom flowc.compiler.loader import load_text\n"
            "from flowc.compiler.substitute import substitute, SubstitutionContext\n"
            "root, _ = load_text('a: 1\\nb: [x, y]\\nc: {d: e}\\n', 'f.yml')\n"
            "substitute(root, SubstitutionContext(env={}))\nprint('lark' in sys.modules)")
    assert _python(code, XDG_CACHE_HOME=str(tmp_path)) == "False"


def test_parse_tables_are_cached_in_the_user_cache_folder(tmp_path):
    code = ("from flowc.compiler.substitute import render_template\n"
            "print(render_template('${X}', {'X': '1'}))")
    assert _python(code, XDG_CACHE_HOME=str(tmp_path / "a"), FLOWC_NO_CACHE="") == "1"
    assert [p.name for p in (tmp_path / "a" / "flowc").iterdir()][0].startswith("substitution-")
    assert _python(code, XDG_CACHE_HOME=str(tmp_path / "a"), FLOWC_NO_CACHE="") == "1"  # reused
    assert _python(code, XDG_CACHE_HOME=str(tmp_path / "b"), FLOWC_NO_CACHE="1") == "1"
    assert not (tmp_path / "b").exists()


def test_cache_folder_writable_by_others_is_not_used(tmp_path):
    folder = tmp_path / "flowc"
    folder.mkdir()
    folder.chmod(0o777)
    code = ("from flowc.compiler.substitute import render_template\n"
            "print(render_template('${X}', {'X': '1'}))")
    assert _python(code, XDG_CACHE_HOME=str(tmp_path), FLOWC_NO_CACHE="") == "1"
    assert list(folder.iterdir()) == []


def test_every_code_substitution_emits_is_in_the_catalogue():
    import re
    from pathlib import Path

    from flowc.compiler import envfile, substitute as module, substitution_parse
    from flowc.compiler.diagnostics import CATALOGUE

    codes = set()
    for mod in (module, envfile, substitution_parse):
        codes |= set(re.findall(r'"(FC\d{3})"', Path(mod.__file__).read_text(encoding="utf-8")))
    assert codes and codes <= set(CATALOGUE)
    assert all(CATALOGUE[c].phase == "substitute" for c in codes)
