"""The driver: phases in order, timings, no cascades, the Python `load`, the phase table."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import flowc.compiler as compiler
from flowc.compiler.diagnostics import DiagnosticError
from flowc.compiler.driver import compile_flow

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "flow.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_timings_and_results(tmp_path):
    r = compile_flow(write(tmp_path, "jtype: Flow\nexecutors:\n  - name: a\n"), env={})
    assert r.ok and r.kind == "flow" and r.plan is not None
    assert list(r.timings) == ["load", "env", "substitute", "includes", "check", "resolve",
                               "graph", "plan", "lower"]
    assert all(t >= 0 for t in r.timings.values())


def test_unreadable_file_stops_after_load(tmp_path):
    r = compile_flow(tmp_path / "missing.yml", env={})
    assert not r.ok and r.plan is None and list(r.timings) == ["load"]
    assert [d.code for d in r.diagnostics] == ["FC109"]


def test_every_independent_problem_is_reported_once(tmp_path):
    path = write(tmp_path, "jtype: Flow\nexecutors:\n  - name: a\n    replicas: two\n"
                           "    colour: red\n  - name: b\n    needs: x\n"
                           "    uses_with: {k: '${UNSET}'}\n")
    r = compile_flow(path, env={})
    assert sorted(d.code for d in r.diagnostics) == ["FC201", "FC202", "FC301", "FC501"]
    assert r.plan is None


def test_no_cascade_from_a_bad_type(tmp_path):
    # `needs` of the wrong type is reported by check; resolve and graph must not add to it
    path = write(tmp_path, "jtype: Flow\nexecutors:\n  - name: a\n    needs: {x: 1}\n"
                           "  - name: [b]\n")
    r = compile_flow(path, env={})
    assert all(d.code.startswith("FC2") for d in r.diagnostics), r.diagnostics
    assert len(r.diagnostics) == 2


def test_executor_and_deployment_files_validate_alone(tmp_path):
    r = compile_flow(write(tmp_path, "jtype: MyExec\nwith: {a: 1}\n", "e.yml"), env={})
    assert r.ok and r.kind == "executor" and r.plan is None
    r = compile_flow(write(tmp_path, "jtype: Deployment\nwith:\n  name: d\n  uses: e.yml\n",
                           "d.yml"), env={})
    assert r.ok and r.kind == "deployment"
    assert [d.name for d in r.plan.deployments] == ["d"]
    assert r.plan.flow.name == "d"


def test_load_raises_one_exception_with_every_diagnostic(tmp_path):
    path = write(tmp_path, "jtype: Flow\nexecutors:\n  - needs: x\n  - needs: y\n")
    with pytest.raises(DiagnosticError) as info:
        compiler.load(path, env={})
    assert [d.code for d in info.value.diagnostics] == ["FC501", "FC501"]
    assert "flow.yml:3:12" in str(info.value)


def test_load_with_env_and_context(tmp_path):
    path = write(tmp_path, "jtype: Flow\nexecutors:\n  - name: a\n    replicas: ${{ ENV.R }}\n"
                           "    uses_with: {m: '${{ CONTEXT.M }}'}\n")
    plan = compiler.load(path, env={"R": "3"}, context={"M": "x"})
    assert plan.deployment("a").replicas == 3
    assert plan.deployment("a").executor.uses_with == {"m": "x"}


def test_env_file(tmp_path):
    (tmp_path / ".env").write_text("R=4\n")
    path = write(tmp_path, "jtype: Flow\nexecutors:\n  - name: a\n    replicas: ${R}\n")
    plan = compiler.load(path, env={}, env_file=tmp_path / ".env")
    assert plan.deployment("a").replicas == 4


def test_every_module_in_the_phase_table_imports():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text.split("## Phases")[1].split("##")[0]
    modules = set(re.findall(r"`(flowc\.[a-z_.]+)`", table))
    assert {"flowc.compiler.loader", "flowc.compiler.resolve", "flowc.compiler.graph",
            "flowc.compiler.plan"} <= modules
    for name in sorted(modules):
        importlib.import_module(name)
    for name in ("flowc.compiler.driver", "flowc.compiler.cli", "flowc.compiler.explain",
                 "flowc.compiler.planner", "flowc.compiler.precedence", "flowc.compiler.api",
                 "flowc.compiler.model"):
        importlib.import_module(name)


def test_a_literal_dollar_is_still_type_checked(tmp_path):
    # check runs after substitution: a `$` that stays literal (`'$'`, `$$3`) is type-checked
    path = write(tmp_path, "jtype: Flow\nwith:\n  port: '$'\nexecutors:\n  - replicas: $$3\n")
    r = compile_flow(path, env={})
    assert [(d.code, d.span.line) for d in r.diagnostics] == [("FC202", 3), ("FC202", 5)]
    assert r.plan is None
