"""Property: whatever the Flow says, the whole pipeline returns diagnostics and never raises."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowc.compiler.api import Flow
from flowc.compiler.driver import compile_flow

ROOT = Path(__file__).resolve().parents[2]
CHAIN_TEXT = (ROOT / "examples" / "chain" / "flow.yml").read_text(encoding="utf-8")

KEYS = ["name", "uses", "needs", "shards", "replicas", "polling", "floating", "external", "host",
        "port", "ports", "host_in", "protocol", "env", "env_from_secret", "uses_with",
        "uses_requests", "uses_before", "when", "py_modules", "gpus", "resources", "placement",
        "workspace", "no_reduce", "disable_reduce", "timeout_ready", "retries", "bogus"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 70000),
                    st.sampled_from(["a", "b", "gateway", "x.yml", "docker://i:1", "ALL",
                                     "grpc://h:1", "${{ ENV.X }}", "${Y:-2}", "$", "A", "1st",
                                     "my_enc", "my-enc", "http", "jinaai://x", "../up.py"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS + ["k", "/x", "*"]), inner,
                                                 max_size=3)), max_leaves=6)
ENTRIES = st.lists(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5), max_size=5)
FLOW_WITH = st.dictionaries(st.sampled_from(["name", "port", "protocol", "workspace", "env",
                                            "timeout_ready", "resources", "py_modules"]),
                            VALUES, max_size=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flow_with=FLOW_WITH, entries=ENTRIES)
def test_random_flows_never_raise(flow_with, entries):
    flow = Flow(**flow_with)
    for entry in entries:
        flow.add(**entry)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flow.yml"
        path.write_text(flow.to_yaml(), encoding="utf-8")
        result = compile_flow(path, env={"X": "1"})
    assert (result.plan is None) == (not result.ok)
    assert not any(d.code == "FC999" for d in result.diagnostics)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_mutated_example_never_raises(data):
    text = CHAIN_TEXT
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["delete", "insert", "dup"]))
        if action == "delete":
            text = text[:pos] + text[pos + data.draw(st.integers(1, 12)):]
        elif action == "insert":
            text = text[:pos] + data.draw(st.sampled_from(
                [":", "- ", "\n  ", "needs: upper\n", "[", "{", "'", "$", "name: tag\n",
                 "uses: nope.yml", "\t"])) + text[pos:]
        else:
            text = text[:pos] + text[max(0, pos - 40):pos] + text[pos:]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for name in ("upper.yml", "executors.py"):
            (base / name).write_text((ROOT / "examples" / "chain" / name).read_text())
        (base / "flow.yml").write_text(text, encoding="utf-8")
        result = compile_flow(base / "flow.yml", env={})
    assert (result.plan is None) == (not result.ok)
