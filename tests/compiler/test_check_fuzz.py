"""check() never raises and always places its diagnostics, whatever tree it is given."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.compiler.check import KINDS, check, detect_kind
from flowc.compiler.diagnostics import Diagnostic
from flowc.compiler.syntax import Mapping, Scalar, Sequence, Span
from flowc.schemas import load_schema

_ENTRY_KEYS = sorted(load_schema("entry")["$defs"]["entry"]["properties"])
_KEYS = _ENTRY_KEYS + ["jtype", "version", "with", "gateway", "executors", "deployments",
                       "metas", "requests", "dynamic_batching", "requests", "limits", "cpu",
                       "k8s", "labels", "name", "key", "/search", "*", "bogus", "Replicas"]
_JTYPES = st.sampled_from(["Flow", "Deployment", "MyExec", "", "Flow2"])


def _span(i: int) -> Span:
    return Span("fuzz.yml", i + 1, 1, i + 1, 5)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 70000), st.floats(allow_nan=True),
    st.text(max_size=8), st.sampled_from(["ALL", "any", "grpc", "http", "500m", "1Gi",
                                          "${{ ENV.X }}", "$Y", "docker://a:1", "gateway"]))

values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5)),
    max_leaves=30)


def _node(value, counter=[0], tag=None):
    counter[0] += 1
    span = _span(counter[0] % 500)
    if isinstance(value, dict):
        items = tuple((Scalar(k, span), _node(v)) for k, v in value.items())
        return Mapping(items, span, tag)
    if isinstance(value, list):
        return Sequence(tuple(_node(v) for v in value), span)
    return Scalar(value, span)


documents = st.builds(
    lambda body, jtype, tagged: (body, jtype, tagged),
    st.dictionaries(st.sampled_from(_KEYS), values, max_size=6), _JTYPES, st.booleans())


def _assert_placed(diags: list[Diagnostic]) -> None:
    for diag in diags:
        assert isinstance(diag, Diagnostic) and diag.span is not None
        # never jsonschema's own wording (Python reprs, "not valid under any of ...")
        assert "is not valid" not in diag.message, diag.message
        assert "under any of the given schemas" not in diag.message, diag.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_check_never_raises(document):
    body, jtype, tagged = document
    if tagged:
        root = _node(body, tag=f"!{jtype}" if jtype else None)
    else:
        root = _node({**body, "jtype": jtype})
    kind = detect_kind(root)
    assert kind in KINDS
    for k in KINDS:
        _assert_placed(check(root, k))
    _assert_placed(check(root, kind, substituted=True))


@settings(max_examples=100, deadline=None)
@given(values)
def test_any_root_value(value):
    root = _node(value)
    _assert_placed(check(root, detect_kind(root)))
