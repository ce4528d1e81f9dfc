"""`flowc validate executor.yml` checks its `py_modules` exist (issue 11 §2): the same FC406,
at the same line, as when a Flow names the file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_jina_forms", Path(__file__).parent / "jina_forms" / "forms.py")
forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forms)

HERE = forms.FORMS / "executor_file"


def test_alone_and_from_a_flow_the_same_error():
    alone = forms.compile_file(HERE / "executor.yml")
    from_flow = forms.compile_file(HERE / "flow.yml")
    assert forms.found(alone) == forms.found(from_flow) == forms.marks(HERE / "executor.yml")
    assert [d.message for d in alone.diagnostics] == [d.message for d in from_flow.diagnostics]
    assert from_flow.diagnostics[0].related  # "included from here"


def test_paths_above_the_file_are_not_outside_anything(tmp_path):
    (tmp_path / "common.py").write_text("")
    (tmp_path / "exec").mkdir()
    path = tmp_path / "exec" / "config.yml"
    path.write_text("jtype: E\npy_modules: [../common.py]\n")
    assert forms.compile_file(path).diagnostics == []


def test_a_form_is_left_to_the_worker(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text("jtype: E\npy_modules: ['${{ ENV.MODULE }}']\n")
    assert forms.compile_file(path).diagnostics == []


def test_validate_exits_1():
    code, out, _ = forms.flowc("validate", str(HERE / "executor.yml"))
    assert code == 1 and "error[FC406]" in out
