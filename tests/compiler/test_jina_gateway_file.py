"""Gateway files (issue 11 §1): a fourth document kind with its own schema (`flowc schema
gateway`). Jina's keys there are recognised, then FC220 (flowc serves its own gateway and does
not read the file); a key nobody reads is still FC201."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from flowc.compiler.check import detect_kind
from flowc.compiler.loader import load_text

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_jina_forms", Path(__file__).parent / "jina_forms" / "forms.py")
forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forms)

HERE = forms.FORMS / "gateway_file"


@pytest.mark.parametrize("text, kind", [
    ("jtype: Gateway\n", "gateway"),
    ("!Gateway\nwith: {}\n", "gateway"),
    ("jtype: MyGateway\nretries: 2\n", "gateway"),
    ("timeout_send: 100\nwith: {}\n", "gateway"),
    ("jtype: MyExecutor\nwith: {a: 1}\n", "executor"),
    ("jtype: MyExecutor\nrequests: {/a: a}\ndynamic_batching: {}\ntimeout_send: 1\n", "executor"),
    ("jtype: Flow\nwith: {retries: 2}\n", "flow"),
    ("executors: []\nretries: 2\n", "flow"),
])
def test_kind(text, kind):
    root, _ = load_text(text, "x.yml")
    assert detect_kind(root) == kind


def test_jinas_gateway_file_is_accepted_with_warnings():
    result = forms.compile_file(HERE / "gateway.yml")
    assert result.ok and result.kind == "gateway"
    assert [(d.code, d.span.line) for d in result.diagnostics] == [
        ("FC220", 5), ("FC220", 8), ("FC220", 9), ("FC220", 10), ("FC220", 11)]
    assert "Flow's `gateway:` section" in result.diagnostics[1].hint


def test_custom_gateway_class_file():
    result = forms.compile_file(HERE / "custom.yml")
    assert result.ok and result.kind == "gateway"
    assert {d.message.split("`")[1] for d in result.diagnostics} == {"py_modules", "with",
                                                                      "retries"}


def test_a_key_nobody_reads_is_an_error_with_a_suggestion():
    (diag,) = forms.compile_file(HERE / "typo.yml").diagnostics
    assert (diag.code, diag.span.line) == ("FC201", 2)
    assert "timeout_send" in diag.hint


def test_gateway_uses_in_a_flow_stays_unsupported():
    result = forms.compile_file(HERE / "flow.yml")
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("FC220", 3)]


def test_commands_that_need_a_flow_refuse_it_in_one_line():
    code, _, err = forms.flowc("explain", str(HERE / "gateway.yml"))
    assert code == 1 and "is a Gateway file; this command needs a Flow or Deployment" in err


def test_schema_command_prints_it():
    code, out, _ = forms.flowc("schema", "gateway")
    assert code == 0 and json.loads(out)["title"] == "flowc Gateway file"
