"""Empty values (issue 11 §1): null where Jina accepts it (`metas` fields, option keys, which
Jina drops when null), and an error about an empty value points at its key, not at the next line
where YAML places the empty scalar."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_jina_forms", Path(__file__).parent / "jina_forms" / "forms.py")
forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forms)

HERE = forms.FORMS / "null_values"


def test_generated_template_with_empty_metas_is_accepted():
    result = forms.compile_file(HERE / "flow.yml", for_build=True)
    assert result.diagnostics == [] and result.plan is not None
    assert forms.compile_file(HERE / "encoder.yml").diagnostics == []


def test_empty_option_keys_take_their_defaults_as_in_jina():
    result = forms.compile_file(HERE / "option_nulls.yml", for_build=True)
    assert result.diagnostics == []
    (encoder,) = result.plan.deployments
    assert (encoder.replicas, encoder.shards) == (1, 2)
    assert encoder.polling == {"*": "ANY", "/search": "ALL"}
    assert list(result.plan.gateway.protocols) == ["grpc"]
    assert result.plan.flow.name == "option-nulls"


def test_error_on_an_empty_value_points_at_its_key():
    (diag,) = forms.compile_file(HERE / "empty_binding.yml").diagnostics
    assert diag.code == "FC202"
    assert (diag.span.line, diag.span.col, diag.span.end_col) == (3, 3, 9)  # `/index`, not line 4


def test_explicit_null_keeps_its_own_place(tmp_path):
    path = tmp_path / "e.yml"
    path.write_text("jtype: E\nrequests:\n  /index: ~\n")
    (diag,) = forms.compile_file(path).diagnostics
    assert (diag.span.line, diag.span.col) == (3, 11)


def test_an_empty_unknown_key_is_still_unknown(tmp_path):
    path = tmp_path / "flow.yml"
    path.write_text("jtype: Flow\nexecutors:\n  - name: a\n    replicsa:\n")
    (diag,) = forms.compile_file(path).diagnostics
    assert (diag.code, diag.span.line) == ("FC201", 4)
