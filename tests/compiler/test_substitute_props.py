"""Property tests: any scalar text, any document of forms, never raises; parts cover the text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.compiler.diagnostics import Diagnostic
from flowc.compiler.substitute import (SubstitutionContext, parse_parts, render_template,
                                       SubstitutionError, substitute)
from flowc.compiler.syntax import Mapping, Node, Scalar, Sequence, Span, to_python

PIECES = ["$", "$$", "{", "}", "{{", "}}", ":-", "-", ":?", "?", ".", "[", "]", "0", "12", " ",
          "\t", "\n", "X", "ENV", "env", "CONTEXT", "root", "this", "a", "b", "k0", "k1", "é", "'",
          '"', "\\", "${", "${{", "${{ ENV.X }}", "${{ root.k0 }}", "${{ this.k1 }}", "${X:-d}"]

texts = st.one_of(st.text(max_size=40),
                  st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
envs = st.dictionaries(st.sampled_from(["X", "Y", "a", "ENV"]),
                       st.one_of(st.text(max_size=8),
                                 st.sampled_from(["", "3", "$X", "${{ root }}"])),
                       max_size=3)
span = Span("p.yml", 1, 1, 1, 1)


def _check(node: Node, diags: list[Diagnostic]) -> None:
    assert isinstance(node, (Scalar, Mapping, Sequence))
    for d in diags:
        assert isinstance(d, Diagnostic) and d.span is not None and d.code.startswith("FC3")
    to_python(node)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.sampled_from(["", '"', "'", "|"]), envs, st.booleans())
def test_any_scalar_text_returns_diagnostics_never_raises(text, style, env, allow):
    width = len(text) + (2 if style in ("'", '"') else 0)
    scalar = Scalar(text, Span("p.yml", 3, 5, 3, 5 + width), style)
    ctx = SubstitutionContext(env=env, context={"C": 1}, allow_undefined=allow)
    node, diags = substitute(scalar, ctx, deferred=lambda path: frozenset({"Y"}))
    _check(node, diags)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_parts_cover_the_text_exactly(text):
    parsed = parse_parts(text)
    if isinstance(parsed, tuple):
        assert "".join(p.source for p in parsed) == text
        assert all(text[p.start:p.end] == p.source for p in parsed)
    else:
        assert 0 <= parsed.start < parsed.end <= max(len(text), parsed.start + 1)


@settings(max_examples=200, deadline=None)
@given(texts, envs)
def test_render_template_raises_only_substitution_error(text, env):
    try:
        render_template(text, env)
    except SubstitutionError:
        pass


FORMS = st.sampled_from(["${{ root.k0 }}", "${{ root.k1 }}", "${{ root.k2.k0 }}", "${{ this.k1 }}",
                         "${{ root.k3[0] }}", "${{ root }}", "${{ ENV.X }}", "x", "1",
                         "${{ root.k2 }}", "${{ this.k2 }}"])
values = st.recursive(
    st.lists(FORMS, min_size=1, max_size=3).map(lambda parts: "".join(parts)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["k0", "k1", "k2", "k3"]), inner,
                                            max_size=3)),
    max_leaves=12)


def _node(value: object) -> Node:
    if isinstance(value, dict):
        return Mapping(tuple((Scalar(k, span), _node(v)) for k, v in value.items()), span)
    if isinstance(value, list):
        return Sequence(tuple(_node(v) for v in value), span)
    return Scalar(value, span)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["k0", "k1", "k2", "k3"]), values, min_size=1))
def test_documents_of_references_terminate_with_values_or_diagnostics(doc):
    node, diags = substitute(_node(doc), SubstitutionContext(env={"X": "1"}))
    _check(node, diags)
