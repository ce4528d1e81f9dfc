"""The generated schema gate (`fastcheck`): up to date, and never accepting what jsonschema rejects.

`check` trusts a "valid" from the gate without asking jsonschema, so the property that matters
is: gate valid ⇒ jsonschema valid. It is tested on every example file, on random values, and on
random mutations of the examples (one value replaced, one key added) — mutations that stay close
to valid documents, where a difference in meaning between the two validators would show.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from flowc.compiler import fastcheck
from flowc.compiler.check import detect_kind, plain
from flowc.compiler.loader import load_file
from flowc.schemas import inlined, load_schema

ROOT = Path(__file__).resolve().parents[2]
_JSONSCHEMA = {kind: Draft202012Validator(inlined(kind)) for kind in fastcheck.KINDS}


def _documents() -> list[tuple[str, str, object]]:
    """(file, kind, plain value) of every example YAML file that loads."""
    docs = []
    for path in sorted((ROOT / "examples").rglob("*.yml")):
        root, diags = load_file(path)
        if root is not None:
            docs.append((str(path.relative_to(ROOT)), detect_kind(root), plain(root)))
    return docs


DOCUMENTS = _documents()


def _agree_or_stricter(kind: str, instance: object) -> bool:
    """Assert the safety property; return the gate's answer."""
    fast = fastcheck.is_valid(kind, instance)
    if fast:
        errors = [e.message for e in _JSONSCHEMA[kind].iter_errors(instance)]
        assert not errors, f"the gate accepted a {kind} jsonschema rejects: {errors[:3]}"
    return fast


@pytest.mark.parametrize("kind", fastcheck.KINDS)
def test_generated_modules_are_up_to_date(kind: str) -> None:
    text = fastcheck.module_path(kind).read_text(encoding="utf-8")
    assert text == fastcheck.generate(kind), (
        f"compiler/fastcheck_{kind}.py is stale: run `.venv/bin/python -m flowc.compiler.fastcheck`")


def test_generated_modules_do_not_import_fastjsonschema() -> None:
    code = ("import sys\nfrom flowc.compiler import fastcheck\n"
            "for k in fastcheck.KINDS: fastcheck.is_valid(k, {})\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('fastjsonschema', 'jsonschema', 'referencing')]\nprint(bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_validating_a_valid_flow_never_imports_jsonschema() -> None:
    flow = ROOT / "examples" / "chain" / "flow.yml"
    code = ("import sys\nfrom flowc.compiler.cli import main\n"
            f"code = main(['validate', {str(flow)!r}])\n"
            "print(code, 'jsonschema' in sys.modules, 'referencing' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.splitlines()[-1].split() == ["0", "False", "False"], out.stderr


def test_a_module_made_from_other_schema_files_stands_aside(monkeypatch) -> None:
    flow = {"jtype": "Flow", "executors": [{"name": "a", "uses": "docker://x/y:1"}]}
    monkeypatch.setattr(fastcheck, "_VALIDATORS", {})
    real = fastcheck._checksums
    monkeypatch.setattr(fastcheck, "_checksums",
                        lambda names: {**real(names), "entry": 0})  # entry.schema.json edited
    assert not fastcheck.is_valid("flow", flow)  # not trusted: jsonschema decides
    assert fastcheck._VALIDATORS["flow"] is fastcheck._unknown
    monkeypatch.setattr(fastcheck, "_VALIDATORS", {})
    monkeypatch.setattr(fastcheck, "_checksums", real)
    assert fastcheck.is_valid("flow", flow)


def test_examples_exist_and_the_gate_accepts_every_valid_one() -> None:
    assert len(DOCUMENTS) >= 5
    for file, kind, instance in DOCUMENTS:
        slow = _JSONSCHEMA[kind].is_valid(instance)
        fast = _agree_or_stricter(kind, instance)
        assert fast == slow, f"{file}: gate {fast}, jsonschema {slow}"


def test_the_gate_rejects_plain_mistakes() -> None:
    flow = {"jtype": "Flow", "executors": [{"name": "a", "uses": "docker://x/y:1"}]}
    assert fastcheck.is_valid("flow", flow)
    for path, bad in [(("executors", 0, "replicas"), "two"), (("executors", 0, "replicas"), 0),
                      (("executors", 0, "replicas"), True), (("executors", 0, "bogus"), 1),
                      (("version",), [1]), (("executors", 0, "shards"), 1.5)]:
        broken = copy.deepcopy(flow)
        target = broken
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = bad
        assert not fastcheck.is_valid("flow", broken), path
        assert not _JSONSCHEMA["flow"].is_valid(broken), path
    assert not fastcheck.is_valid("flow", [])
    assert not fastcheck.is_valid("executor", {"with": {}})
    with pytest.raises(ValueError):
        fastcheck.is_valid("plan", {})


_ENTRY_KEYS = sorted(load_schema("entry")["$defs"]["entry"]["properties"])
_KEYS = _ENTRY_KEYS + ["jtype", "version", "with", "gateway", "executors", "deployments", "metas",
                       "requests", "dynamic_batching", "limits", "cpu", "memory", "k8s", "labels",
                       "name", "/search", "*", "bogus", "protocol", "port", "env", "image"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 70000), st.floats(allow_nan=True),
    st.text(max_size=6),
    st.sampled_from(["ALL", "any", "all_async", "grpc", "http", "GRPC", "500m", "1Gi", "0.5",
                     "1e3", "docker://a/b:1", "gateway", "Flow", "Deployment", "1", "ANY\n",
                     "x-y", "a.b", "key=value", "", " "]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)),
    max_leaves=12)


def _containers(value: object, path: tuple = ()) -> list[tuple]:
    """Paths of every dict and list inside `value` (where a mutation can happen)."""
    found = []
    if isinstance(value, dict):
        found.append(path)
        for key, item in value.items():
            found.extend(_containers(item, path + (key,)))
    elif isinstance(value, list):
        found.append(path)
        for i, item in enumerate(value):
            found.extend(_containers(item, path + (i,)))
    return found


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_mutated_examples_never_pass_the_gate_alone(data: st.DataObject) -> None:
    _, kind, original = data.draw(st.sampled_from(DOCUMENTS))
    instance = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_containers(instance)))
        target = instance
        for part in path:
            target = target[part]
        new = data.draw(values)
        if isinstance(target, dict):
            keys = sorted(target) + _KEYS
            target[data.draw(st.sampled_from(keys))] = new
        elif target:
            target[data.draw(st.integers(0, len(target) - 1))] = new
        else:
            target.append(new)
    event(f"gate says valid: {_agree_or_stricter(kind, instance)}")


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(fastcheck.KINDS), instance=values)
def test_random_values_never_pass_the_gate_alone(kind: str, instance: object) -> None:
    _agree_or_stricter(kind, instance)
