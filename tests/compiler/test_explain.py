"""`flowc explain`: each value with where it came from; the JSON form is stable."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from flowc.compiler.driver import compile_flow
from flowc.compiler.explain import explain_data, explain_json, explain_text

FLOW = """
jtype: Flow
with:
  timeout_ready: 5000
executors:
  - name: enc
    uses: enc.yml
    replicas: ${{ ENV.REPLICAS }}
    uses_with:
      model: ${{ CONTEXT.MODEL }}
    uses_requests:
      /find: search
"""
EXECUTOR = """
jtype: Enc
with:
  model: base
  device: cpu
  token: ${TOKEN}
requests:
  /search: search
  /index: index
"""


def compiled(tmp_path: Path):
    (tmp_path / "flow.yml").write_text(textwrap.dedent(FLOW))
    (tmp_path / "enc.yml").write_text(textwrap.dedent(EXECUTOR))
    result = compile_flow(tmp_path / "flow.yml", env={"REPLICAS": "2"},
                          context={"MODEL": "large"}, display_name="flow.yml")
    assert result.ok, result.diagnostics
    return result


def rows(data, node):
    [found] = [n for n in data["nodes"] if n["name"] == node]
    return {r["key"]: r for r in found["values"]}


def test_every_kind_of_origin(tmp_path):
    r = compiled(tmp_path)
    enc = rows(explain_data(r.resolved, r.graph), "enc")
    assert enc["replicas"]["value"] == 2
    assert enc["replicas"]["from"]["kind"] == "env"
    assert "REPLICAS" in enc["replicas"]["from"]["detail"]
    assert enc["uses_with.model"]["from"]["kind"] == "context"
    assert enc["timeout_ready"]["from"]["kind"] == "flow-with"
    assert enc["timeout_ready"]["from"]["line"] == 4
    assert enc["shards"]["from"] == {"kind": "default", "detail": "Jina's default"}
    assert enc["name"]["from"]["location"] == "flow.yml:6:11"
    # the Executor file's values after the entry's overrides, as the worker applies them
    assert enc["executor.with.model"]["value"] == "large"
    assert enc["executor.with.model"]["from"]["kind"] == "override"
    assert enc["executor.with.device"]["from"]["kind"] == "file"
    assert enc["executor.with.device"]["from"]["line"] == 5
    assert "worker" in enc["executor.with.token"]["from"]["detail"]
    assert enc["executor.requests./find"]["value"] == "search"
    assert "executor.requests./search" not in enc  # rebinding removed the old binding
    assert enc["executor.requests./index"]["from"]["kind"] == "file"
    assert enc["polling./search"]["value"] == "ALL"


def test_json_is_stable_and_sorted(tmp_path):
    r = compiled(tmp_path)
    text = explain_json(r.resolved, r.graph)
    assert text == explain_json(r.resolved, r.graph)
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert data["version"] == 1 and data["responders"] == ["enc"]
    assert [n["kind"] for n in data["nodes"]] == ["flow", "gateway", "deployment"]
    keys = [r["key"] for r in data["nodes"][2]["values"]]
    assert keys == sorted(keys)


def test_human_text(tmp_path):
    r = compiled(tmp_path)
    text = explain_text(r.resolved, r.graph)
    assert "deployment enc  (needs: gateway)" in text
    assert "runs file enc.yml (class Enc)" in text
    block = text.split("deployment enc")[1]
    line = next(x for x in block.splitlines() if x.strip().startswith("replicas"))
    assert "2" in line and "env flow.yml:8:15" in line
