"""`--allow-undefined` on values flowc needs when building (issue 11 §1, SPEC §2): `flowc
validate` warns (FC417) and skips the checks that need the value; the commands that make
artifacts (`build`, `explain`, `graph`) still refuse them (FC415)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_jina_forms", Path(__file__).parent / "jina_forms" / "forms.py")
forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forms)

FLOW = forms.FORMS / "allow_undefined" / "flow.yml"


def _expected() -> set:
    """`# warning: FC301` marks FC301 at the start of the value; the FC301 of a form inside a
    text sits at that form's column, which the comment cannot say, so the marks list lines."""
    return forms.marks(FLOW) | {("warning", "FC301", "flow.yml", 11),
                                ("warning", "FC301", "flow.yml", 12)}


def test_validate_warns_and_makes_no_plan():
    result = forms.compile_file(FLOW, allow_undefined=True)
    assert forms.found(result) == _expected()
    assert result.ok and result.plan is None  # a plan would need the values
    fc417 = [d for d in result.diagnostics if d.code == "FC417"]
    assert fc417[0].message.startswith("`uses` of `encoder` is unknown (--allow-undefined): the "
                                       "checks that need it are skipped")


def test_validate_command_exits_0():
    code, out, _ = forms.flowc("validate", "--allow-undefined", str(FLOW))
    assert code == 0 and "error[" not in out


def test_unknown_needs_name_is_not_an_unknown_entry():
    result = forms.compile_file(FLOW, allow_undefined=True)
    assert "FC501" not in {d.code for d in result.diagnostics}


@pytest.mark.parametrize("command", ["explain", "graph"])
def test_commands_that_need_the_plan_refuse(command):
    code, _, err = forms.flowc(command, "--allow-undefined", str(FLOW))
    assert code == 1 and "error[FC415]" in err and "warning[FC417]" not in err


def test_build_refuses(tmp_path):
    code, _, err = forms.flowc("build", str(FLOW), "--allow-undefined", "--target", "k8s",
                               "-o", str(tmp_path / "out"))
    assert code == 1 and "error[FC415]" in err
    assert not (tmp_path / "out").exists()


def test_known_values_still_compile():
    env = {"ENCODER_USES": "docker://registry.example.com/enc:1.0", "ENCODER_REPLICAS": "2",
           "MODEL_NAME": "small", "REGISTRY": "registry.example.com", "EXTRA_NEED": "gateway"}
    result = forms.compile_flow(FLOW, env=env)
    assert result.ok and result.plan is not None
    encoder, indexer = result.plan.deployments
    assert encoder.replicas == 2 and indexer.needs == ("encoder", "gateway")
