"""Flow-level `resources` and `gpus` (issue 10 §3): defaults for every executor's container,
overridable per entry, quantity by quantity (`precedence.PASS_DOWN_MERGE`), from the Flow file to
the k8s manifests, with `flowc explain` naming where each quantity came from."""

from __future__ import annotations

from pathlib import Path

import yaml

from flowc.compiler.driver import compile_flow
from flowc.compiler.explain import explain_data
from flowc.targets import render

FLOW = """\
jtype: Flow
with:
  name: res
  resources:
    limits:
      cpu: "1"
  gpus: 1
executors:
  - name: plain
  - name: sharded
    shards: 2
    uses_before: Executor
  - dep.yml
  - name: own_cpu
    resources:
      limits:
        cpu: 250m
  - name: own_memory
    resources:
      limits:
        memory: 8Gi
      requests:
        memory: 1Gi
    gpus: 0
"""

DEPLOYMENT = """\
jtype: Deployment
with:
  name: from_file
  replicas: 2
  resources:
    requests:
      cpu: 500m
"""


def _line(text: str) -> int:
    """The 1-based line of FLOW first holding `text`."""
    return next(i for i, line in enumerate(FLOW.splitlines()) if text in line) + 1


def _compiled(tmp_path: Path):
    (tmp_path / "flow.yml").write_text(FLOW)
    (tmp_path / "dep.yml").write_text(DEPLOYMENT)
    result = compile_flow(tmp_path / "flow.yml", env={})
    assert result.ok, result.diagnostics
    return result


def _containers(tmp_path: Path) -> dict[str, dict]:
    """Every workload's container by workload name (one container per pod here)."""
    files, diags = render("k8s", _compiled(tmp_path).plan, {"image": "team/res:1"})
    assert [d for d in diags if d.severity.name == "ERROR"] == []
    found = {}
    for name, text in files.items():
        if not (isinstance(text, str) and name.endswith(".yaml")):
            continue
        for doc in yaml.safe_load_all(text):
            if doc and doc.get("kind") in ("Deployment", "StatefulSet"):
                (container,) = doc["spec"]["template"]["spec"]["containers"]
                found[doc["metadata"]["name"]] = container
    return found


def test_every_executor_container_gets_the_flow_limit_unless_it_sets_its_own(tmp_path):
    limits = {name: c["resources"]["limits"] for name, c in _containers(tmp_path).items()}
    requests = {name: c["resources"]["requests"] for name, c in _containers(tmp_path).items()}
    gpu = "nvidia.com/gpu"
    # the Flow's cpu limit and GPU reach every executor that does not set them
    for name in ("plain", "sharded-shard-0", "sharded-shard-1", "from-file"):
        assert limits[name]["cpu"] == "1" and limits[name][gpu] == "1", name
    # heads and uses_before run no executor code that needs a GPU (as Jina: head gpus = None)
    assert limits["sharded-head"]["cpu"] == "1" and gpu not in limits["sharded-head"]
    assert limits["sharded-uses-before"]["cpu"] == "1" and gpu not in limits["sharded-uses-before"]
    # an entry's own quantity wins; the Flow's others stay (they were dropped before)
    assert limits["own-cpu"]["cpu"] == "250m" and limits["own-cpu"][gpu] == "1"
    assert limits["own-memory"]["cpu"] == "1" and limits["own-memory"]["memory"] == "8Gi"
    assert requests["own-memory"]["memory"] == "1Gi" and gpu not in limits["own-memory"]
    assert requests["from-file"]["cpu"] == "500m" and limits["from-file"]["cpu"] == "1"
    # the gateway takes the Flow's `resources` too (SPEC §3), but runs no GPU code
    assert limits["gateway"]["cpu"] == "1" and gpu not in limits["gateway"]


def test_explain_names_the_place_of_each_quantity(tmp_path):
    data = explain_data(_compiled(tmp_path).resolved, None)
    rows = {(node["name"], row["key"]): row["from"] for node in data["nodes"]
            for row in node["values"]}
    flow_cpu = rows[("own_memory", "resources.limits.cpu")]
    assert (flow_cpu["kind"], flow_cpu["line"]) == ("flow-with", _line('cpu: "1"'))
    assert "passed down from Flow `with:`" in flow_cpu["detail"]
    own = rows[("own_memory", "resources.limits.memory")]
    assert (own["kind"], own["file"].endswith("flow.yml")) == ("file", True)
    assert own["line"] == _line("memory: 8Gi")
    from_file = rows[("from_file", "resources.requests.cpu")]
    assert from_file["kind"] == "file" and from_file["file"].endswith("dep.yml")
    assert rows[("from_file", "resources.limits.cpu")]["kind"] == "flow-with"
    assert rows[("own_cpu", "resources.limits.cpu")]["line"] == _line("cpu: 250m")
    assert rows[("own_memory", "gpus")]["kind"] == "file"
    assert rows[("plain", "gpus")]["kind"] == "flow-with"
    assert ("own_cpu", "resources.limits.memory") not in rows


def test_the_plan_keeps_the_place_of_every_merged_quantity(tmp_path):
    plan = _compiled(tmp_path).plan
    sources = {d.name: d.sources for d in plan.deployments}["own_memory"]
    flow_cpu = _line('cpu: "1"')
    assert sources["/resources/limits/cpu"] == f"{flow_cpu}:7"  # in the Flow's `with:`
    assert sources["/resources/limits/memory"] == f"{_line('memory: 8Gi')}:9"  # the entry's
