"""`jcloud:` (JCloud's settings) at the top level, in entries and in `gateway:`: FC220, never an
error, and nothing of it reaches the plan (issue 11 §1)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_jina_forms", Path(__file__).parent / "jina_forms" / "forms.py")
forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forms)

FLOW = forms.FORMS / "jcloud" / "flow.yml"


def test_jcloud_is_warned_where_written_and_nothing_else():
    result = forms.compile_file(FLOW)
    assert forms.found(result) == forms.marks(FLOW)
    assert {d.message for d in result.diagnostics} == {
        "`jcloud` is not supported by flowc yet; it is ignored"}


def test_jcloud_never_reaches_the_plan():
    result = forms.compile_file(FLOW, for_build=True)
    assert result.ok and result.plan is not None
    assert "jcloud" not in result.plan.to_json()
    assert [d.name for d in result.plan.deployments] == ["encoder"]


def test_jcloud_in_a_deployment_file(tmp_path):
    path = tmp_path / "deployment.yml"
    path.write_text("jtype: Deployment\njcloud:\n  labels: {a: b}\nwith:\n  name: enc\n"
                    "  uses: docker://enc:1.0\n  jcloud:\n    resources: {cpu: 2}\n")
    result = forms.compile_file(path)
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("FC220", 2), ("FC220", 7)]


def test_validate_exits_0_and_strict_exits_1():
    code, out, _ = forms.flowc("validate", str(FLOW), "--format", "json")
    assert code == 0 and {d["code"] for d in json.loads(out)} == {"FC220"}
    assert forms.flowc("validate", "--strict", str(FLOW))[0] == 1
