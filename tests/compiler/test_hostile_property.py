"""Property: whatever bytes or text `load_text` gets, it returns `(node, diagnostics)`.

Arbitrary text, arbitrary bytes, YAML-punctuation soup and random mutations of a valid flow:
never an exception, every diagnostic a catalogued load code with a real place, a missing tree
always explained by an error, the same answer twice, and every renderer copes with the result.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.compiler.diagnostics import CATALOGUE, Diagnostic, Severity
from flowc.compiler.loader import load_text
from flowc.compiler.render import FORMATS, render
from flowc.compiler.sources import SourceCache
from flowc.compiler.syntax import Mapping, Scalar, Sequence

VALID_FLOW = """\
jtype: Flow
version: '1'
with:
  port: 8080
  protocol: grpc
defaults: &defaults
  replicas: 2
  env: {MODE: prod}
executors:
  - name: encoder
    uses: docker://encoder:1.0
    <<: *defaults
    uses_with:
      model: "bert"
      dims: [1, 2, 3]
  - name: indexer
    uses: Indexer
    needs: [encoder]
    shards: 2
    polling: {/search: ALL, '*': ANY}
    when: {tags__x: {$eq: 1}}
    description: |
      multi
      line
"""

YAML_SOUP = ":-[]{},#&*!|>'\"\t\n ?%@`~.<=\\abcxyz0189\r\x85\u2028\ufeff\x00\x07é名"

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def walk(node):
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, Sequence):
            stack.extend(item.items)
        elif isinstance(item, Mapping):
            for key, value in item.items:
                stack.extend((key, value))


def check(data):
    result = load_text(data, "prop.yml")
    assert isinstance(result, tuple) and len(result) == 2
    node, diags = result
    assert isinstance(diags, list)
    for d in diags:
        assert isinstance(d, Diagnostic)
        assert d.code in CATALOGUE and CATALOGUE[d.code].phase == "load"
        assert d.span is not None and d.span.file == "prop.yml"
        assert d.span.line >= 1 and d.span.col >= 1
        assert (d.span.end_line, d.span.end_col) >= (d.span.line, d.span.col)
        assert "Traceback" not in d.message
    if node is None:
        assert any(d.severity is Severity.ERROR for d in diags)
    else:
        for item in walk(node):
            assert isinstance(item, (Scalar, Sequence, Mapping))
            assert item.span.line >= 1 and item.span.col >= 1
    assert load_text(data, "prop.yml") == (node, diags)  # deterministic
    sources = SourceCache({"prop.yml": data})
    for fmt in FORMATS:
        assert isinstance(render(diags, fmt, sources=sources), str)
    return node, diags


@SETTINGS
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    check(text)


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data):
    check(data)


@SETTINGS
@given(st.text(alphabet=YAML_SOUP, max_size=300))
def test_yaml_punctuation_soup_never_raises(text):
    check(text)


@st.composite
def mutated_flows(draw):
    text = VALID_FLOW
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "replace", "dup_line", "truncate"]))
        at = draw(st.integers(0, len(text)))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
        elif kind == "insert":
            text = text[:at] + draw(st.text(alphabet=YAML_SOUP, min_size=1, max_size=8)) + text[at:]
        elif kind == "replace" and at < len(text):
            text = text[:at] + draw(st.sampled_from(list(YAML_SOUP))) + text[at + 1:]
        elif kind == "dup_line":
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        else:
            text = text[:at]
    return text


def test_the_unmutated_flow_is_valid():
    node, diags = check(VALID_FLOW)
    assert diags == [] and node.get("executors").items[0].get("replicas").value == 2


@SETTINGS
@given(mutated_flows())
def test_mutations_of_a_valid_flow_never_raise(text):
    check(text)


@SETTINGS
@given(mutated_flows(), st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_mutated_flows_in_other_encodings_never_raise(text, encoding):
    check(text.encode(encoding, "replace"))
