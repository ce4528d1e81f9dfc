"""Shared target ground and the registry: YAML 1.1-safe emission, names, spans, image rules."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from flowc.compiler.diagnostics import CATALOGUE
from flowc.compiler.plan import (
    Deployment, ExecutorRef, FlowInfo, Gateway, Plan,
)
from flowc.compiler.syntax import Span
from flowc.targets import TARGETS, render
from flowc.compiler.names import dns_label, object_name
from flowc.targets.images import image_reference_problem, resolve_images
from flowc.targets.locations import span_from_source
from flowc.targets.yamlout import to_yaml, to_yaml_documents, yaml_scalar


def _load(text: str, version: tuple[int, int]):
    yaml = YAML(typ="safe", pure=True)
    yaml.version = version
    return yaml.load(io.StringIO(text))


def _load_all(text: str, version: tuple[int, int]):
    yaml = YAML(typ="safe", pure=True)
    yaml.version = version
    return list(yaml.load_all(io.StringIO(text)))


# Strings YAML 1.1 (kubectl, compose) or 1.2 readers resolve to non-strings when written plain.
TRAPS = ["yes", "Yes", "YES", "no", "No", "on", "On", "ON", "off", "y", "Y", "n", "N", "true",
         "False", "~", "null", "Null", "", "1:20", "190:20:30", "0777", "0o17", "0x1F", "0b101",
         "1e3", "1E3", "1.5", "1_000", "+1", "-1", ".5", "1.", ".inf", "-.Inf", ".nan",
         "2024-01-01", "2001-12-14t21:59:43.10-05:00", "=", "<<", "3.11", "1.2.3", "-", "---",
         "- x", "a: b", "#c", "x #y", "key:", "@at", "`tick", "!tag", "&anchor", "*alias",
         "|", ">", "%", "[x]", "{x}", "'q'", '"q"', " lead", "trail ", "tab\tin", "new\nline",
         "ctrl\x07", "nul\x00", "line\u2028sep", "bom\ufeff", "\u00e9t\u00e9", "emoji \U0001F600"]


@pytest.mark.parametrize("text", TRAPS)
def test_trap_strings_read_back_as_the_same_string_in_yaml_1_1_and_1_2(text):
    doc = to_yaml({"k": text, "list": [text], text or "empty": 1})
    for version in ((1, 1), (1, 2)):
        assert _load(doc, version) == {"k": text, "list": [text], text or "empty": 1}


@pytest.mark.parametrize("text", ["yes", "on", "y", "no", "off", "1:20", "0777", "1e3", "~"])
def test_yaml_1_1_booleans_and_numbers_are_quoted(text):
    assert yaml_scalar(text).startswith('"')


@pytest.mark.parametrize("text", ["worker", "--plan", "/etc/flowc/plan.json", "x/y:1.0",
                                  "dns:///a.b.svc.cluster.local:8080", "nvidia.com/gpu", "500m"])
def test_ordinary_strings_stay_plain(text):
    assert yaml_scalar(text) == text


@pytest.mark.parametrize("value", [0, -3, 10**20, 1.5, -0.25, 1e20, 1e-7, 3.0, True, False, None])
def test_non_strings_keep_their_type_in_both_versions(value):
    for version in ((1, 1), (1, 2)):
        assert _load(to_yaml({"v": value}), version) == {"v": value}


def test_multiline_strings_use_literal_blocks_when_exact():
    text = '{\n  "a": 1,\n  "b": [\n    "yes"\n  ]\n}\n' * 3
    doc = to_yaml({"data": {"plan.json": text}})
    assert "plan.json: |\n" in doc
    assert _load(doc, (1, 1)) == {"data": {"plan.json": text}}


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(), _text,
                    st.floats(allow_nan=False, allow_infinity=True))
_value = st.recursive(_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)), max_leaves=20)


@settings(max_examples=int(os.environ.get("FLOWC_HYPOTHESIS_EXAMPLES", "300")),
          deadline=None)
@given(st.dictionaries(_text, _value, max_size=5))
def test_any_data_round_trips_through_yaml_1_1_and_1_2(data):
    doc = to_yaml(data)
    assert _load(doc, (1, 1)) == data
    assert _load(doc, (1, 2)) == data


def test_documents_stream():
    text = to_yaml_documents([{"a": "on"}, {"b": [1]}])
    assert _load_all(text, (1, 1)) == [{"a": "on"}, {"b": [1]}]


def test_dns_labels_and_object_names():
    assert dns_label("my_Encoder") == "my-encoder"
    assert dns_label("9lives") == "x-9lives"
    long = object_name("e" * 60, "shard", "12")
    assert len(long) <= 63 and long != object_name("e" * 61, "shard", "12")
    assert object_name("enc", "shard", "0") == "enc-shard-0"
    assert object_name("a" * 80) == object_name("a" * 80)


def test_span_from_source():
    assert span_from_source("dir/flow.yml:12:5") == Span("dir/flow.yml", 12, 5, 12, 6)
    assert span_from_source("C:/x/flow.yml:3:1").file == "C:/x/flow.yml"
    assert span_from_source(None) is None


@pytest.mark.parametrize("ref,ok", [
    ("x/y:1.0", True), ("registry.io:5000/team/img:2.3-slim", True),
    ("img@sha256:" + "a" * 64, True), ("img", False), ("img:latest", False),
    ("Bad/Img:1", False), ("img:", False),
])
def test_pinned_images(ref, ok):
    assert (image_reference_problem(ref) is None) == ok


def _plan(*deps: Deployment, gateway_image: str | None = None) -> Plan:
    return Plan(flow=FlowInfo("f", "flow.yml"), gateway=Gateway(image=gateway_image),
                deployments=deps, responders=(deps[-1].name,))


def test_image_rules():
    local = Deployment("enc", ExecutorRef("class", jtype="Enc", py_modules=("enc.py",)),
                       ("gateway",), source="flow.yml:4:5")
    own = Deployment("own", ExecutorRef("file", path="own/config.yml"), ("enc",),
                     image="team/own:3", source="flow.yml:8:5")
    dock = Deployment("dock", ExecutorRef("docker", image="x/y:1"), ("own",),
                      source="flow.yml:12:5")
    images, diags = resolve_images(_plan(local, own, dock), "team/flow:1")
    assert diags == []
    assert images.workers == {("enc", "executor"): "team/flow:1",
                              ("own", "executor"): "team/own:3",
                              ("dock", "executor"): "x/y:1"}
    assert images.gateway == "team/flow:1"
    assert images.builds == {"team/flow:1": ("enc", "gateway"), "team/own:3": ("own",)}

    _, diags = resolve_images(_plan(local, own, dock), None)
    assert [(d.code, d.span.line if d.span else None) for d in diags] == [
        ("FC703", 4), ("FC705", 1)]
    assert "--image" in diags[0].hint

    bad = Deployment("dock", ExecutorRef("docker", image="x/y"), ("gateway",),
                     source="flow.yml:2:3")
    _, diags = resolve_images(_plan(bad), "team/flow:latest")
    assert [d.code for d in diags] == ["FC704", "FC704"]
    assert diags[0].span == Span("flow.yml", 2, 3, 2, 4)


def test_heads():
    plain = Deployment("a", ExecutorRef("docker", image="x:1"), ("gateway",))
    assert not plain.needs_head
    assert Deployment("a", ExecutorRef("docker", image="x:1"), ("gateway",), shards=2).needs_head
    assert Deployment("a", ExecutorRef("docker", image="x:1"), ("gateway",),
                      uses_before=ExecutorRef("docker", image="b:1")).needs_head


def test_registry_reports_unknown_targets():
    files, diags = render("k8", _plan(Deployment("a", ExecutorRef("docker", image="x:1"),
                                                 ("gateway",))), {})
    assert files == {}
    assert diags[0].code == "FC701" and diags[0].hint == "did you mean `k8s`?"
    assert "k8s" in TARGETS


def test_registry_reports_bad_options():
    plan = _plan(Deployment("a", ExecutorRef("docker", image="x:1"), ("gateway",)))
    files, diags = render("k8s", plan, {"image": "f:1", "namespace": "Bad_NS"})
    assert files == {} and diags[0].code == "FC711"


def test_target_codes_are_catalogued():
    for code in [f"FC7{n:02d}" for n in range(1, 13)]:
        assert CATALOGUE[code].phase == "target"


def test_version_constant_matches_pyproject():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same parser, `tomli` (the test extra)
        import tomli as tomllib
    from pathlib import Path

    from flowc.targets.images import flowc_version

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    assert flowc_version() == tomllib.loads(pyproject.read_text())["project"]["version"]


def test_trailing_newlines_never_slip_through_a_pattern():
    assert to_yaml({"A\n": "b\n"}) == '"A\\n": "b\\n"\n'
    assert image_reference_problem("x/y:1\n") is not None
