"""The generated schema gate (`fastcheck`): cached per user under a key that follows what it was
made from, safe without a cache, and never accepting what jsonschema rejects.

`check` trusts a "valid" from the gate without asking jsonschema, so the property that matters
is: gate valid ⇒ jsonschema valid. It is tested on every example file, on random values, and on
random mutations of the examples (one value replaced, one key added) — mutations that stay close
to valid documents, where a difference in meaning between the two validators would show.
"""

from __future__ import annotations

import copy
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from flowc.compiler import cache, fastcheck
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


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, empty per-user cache and a process with no validator loaded yet."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("FLOWC_NO_CACHE", raising=False)
    monkeypatch.setattr(fastcheck, "_VALIDATORS", {})
    return tmp_path / "flowc"


FLOW = {"jtype": "Flow", "executors": [{"name": "a", "uses": "docker://x/y:1"}]}
_PROBE = ("import sys\nfrom flowc.compiler import fastcheck\n"
          "print([fastcheck.is_valid(k, {'jtype': 'Flow'}) for k in fastcheck.KINDS], "
          "sorted({m.split('.')[0] for m in sys.modules} & "
          "{'fastjsonschema', 'jsonschema', 'referencing'}))\n")


def _probe(env: dict[str, str]) -> str:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True, env=env)
    return out.stdout.strip()


def test_a_warm_cache_spares_fastjsonschema_and_jsonschema(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("FLOWC_NO_CACHE", None)
    cold = _probe(env)
    assert cold.endswith("['fastjsonschema']")  # the first run generates
    assert sorted(p.name.split("-")[1] for p in (tmp_path / "flowc").glob("fastcheck-*")) == \
        sorted(fastcheck.KINDS)
    warm = _probe(env)
    assert warm.endswith("[]") and warm.split("]")[0] == cold.split("]")[0]


def test_the_cached_validator_is_reused_not_regenerated(cache_home: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert fastcheck.is_valid("flow", FLOW)
    path = fastcheck.cache_path("flow")
    assert path is not None and path.parent == cache_home and path.exists()
    assert path.stat().st_mode & 0o077 == 0  # private to the user
    monkeypatch.setattr(fastcheck, "_VALIDATORS", {})
    monkeypatch.setattr(fastcheck, "generate", lambda kind: pytest.fail("regenerated"))
    assert fastcheck.is_valid("flow", FLOW) and not fastcheck.is_valid("flow", [])


def test_the_key_follows_the_schema_files_and_the_generator(cache_home: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    assert fastcheck.is_valid("flow", FLOW)
    before = fastcheck.cache_path("flow")
    edited = tmp_path / "schemas"
    edited.mkdir()
    for path in fastcheck.schema_files():
        (edited / path.name).write_bytes(path.read_bytes())
    (edited / "entry.schema.json").write_bytes(
        (edited / "entry.schema.json").read_bytes() + b"\n")  # an edited schema file
    monkeypatch.setattr(fastcheck, "schema_files", lambda: sorted(edited.iterdir()))
    after = fastcheck.cache_path("flow")
    assert after is not None and after != before and not after.exists()
    monkeypatch.setattr(fastcheck, "_VALIDATORS", {})
    assert fastcheck.is_valid("flow", FLOW)  # regenerated under the new key, the old one gone
    assert after.exists() and not before.exists()
    real_find_spec = fastcheck.find_spec

    def other_version(name: str):  # another fastjsonschema release: its version.py differs
        spec = real_find_spec(name)
        fake = tmp_path / "fastjsonschema"
        fake.mkdir(exist_ok=True)
        (fake / "version.py").write_text("VERSION = '9.9.9'\n")
        return type(spec)(name, spec.loader, origin=str(fake / "__init__.py"))

    monkeypatch.setattr(fastcheck, "find_spec", other_version)
    assert fastcheck.cache_path("flow") not in (before, after)


def test_without_a_usable_cache_the_validator_is_made_in_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    for env in ({"XDG_CACHE_HOME": str(blocker)}, {"FLOWC_NO_CACHE": "1",
                                                    "XDG_CACHE_HOME": str(tmp_path)}):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(fastcheck, "_VALIDATORS", {})
        assert fastcheck.cache_path("flow") is None
        assert fastcheck.is_valid("flow", FLOW) and not fastcheck.is_valid("flow", [])
        monkeypatch.delenv("FLOWC_NO_CACHE", raising=False)
    assert not (tmp_path / "flowc").exists()


def test_a_folder_refusing_writes_only_costs_time(cache_home: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(cache.tempfile, "mkstemp", refuse)  # root ignores chmod: refuse here
    assert fastcheck.is_valid("flow", FLOW) and not fastcheck.is_valid("flow", [])
    assert list(cache_home.iterdir()) == []


def test_a_damaged_cache_entry_is_regenerated(cache_home: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = fastcheck.cache_path("flow")
    for damage in (b"", b"\x00garbage", marshal.dumps(42)):
        path.write_bytes(damage)
        monkeypatch.setattr(fastcheck, "_VALIDATORS", {})
        assert fastcheck.is_valid("flow", FLOW) and not fastcheck.is_valid("flow", [])
        assert path.read_bytes() not in (b"", b"\x00garbage", marshal.dumps(42))


def test_without_fastjsonschema_jsonschema_decides_alone(cache_home: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastcheck, "find_spec", lambda name: None)
    monkeypatch.setitem(sys.modules, "fastjsonschema", None)  # `import fastjsonschema` fails
    assert fastcheck.cache_key() is None
    assert not fastcheck.is_valid("flow", FLOW)  # not known valid: the caller asks jsonschema
    assert fastcheck._VALIDATORS["flow"] is None


def test_write_atomic_leaves_nothing_half_written(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "entry"
    assert cache.write_atomic(target, b"one") and target.read_bytes() == b"one"

    def fail_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(cache.os, "replace", fail_replace)
    assert not cache.write_atomic(target, b"two")
    assert target.read_bytes() == b"one" and sorted(tmp_path.iterdir()) == [target]


def test_the_cache_folder_is_refused_when_others_can_write_it(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("FLOWC_NO_CACHE", raising=False)
    assert cache.cache_dir() == tmp_path / "flowc"
    (tmp_path / "flowc").chmod(0o777)
    assert cache.cache_dir() is None


def test_validating_a_valid_flow_never_imports_jsonschema() -> None:
    flow = ROOT / "examples" / "chain" / "flow.yml"
    code = ("import sys\nfrom flowc.compiler.cli import main\n"
            f"code = main(['validate', {str(flow)!r}])\n"
            "print(code, 'jsonschema' in sys.modules, 'referencing' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.splitlines()[-1].split() == ["0", "False", "False"], out.stderr


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
