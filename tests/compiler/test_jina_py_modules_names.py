"""`py_modules` given as module names (issue 11 §1), as clip-as-service and marie-ai write them:
a name that is no file is looked up as a module without running any code; found, it is kept as
the name (the worker imports it by name, as Jina does); found nowhere, FC406 at the entry."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from flowc.compiler.pymodules import find_module, is_module_name

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_jina_forms", Path(__file__).parent / "jina_forms" / "forms.py")
forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forms)

HERE = forms.FORMS / "py_modules_names"


@pytest.mark.parametrize("text, ok", [
    ("json", True), ("clip_server.executors.clip_torch", True), ("a_b.c1", True),
    ("executor.py", False), ("pkg/mod.py", False), ("my-module", False), ("1abc", False),
    ("a..b", False), ("", False)])
def test_is_module_name(text, ok):
    assert is_module_name(text) is ok


def test_find_module_looks_without_importing():
    before = set(sys.modules)
    assert find_module("clip_like.executors.clip_text", [HERE]).endswith("clip_text.py")
    assert find_module("clip_like.executors", [HERE]).endswith("__init__.py")
    assert find_module("json", [HERE]) == "installed"
    assert find_module("clip_like.executors.nope", [HERE]) is None
    assert find_module("json.nope", [HERE]) is None
    assert find_module("clip_like", []) is None  # not installed, not in the folders given
    assert not {m for m in set(sys.modules) - before if m.startswith("clip_like")}


def test_flow_with_module_names_compiles_and_keeps_the_names():
    result = forms.compile_file(HERE / "flow.yml", for_build=True)
    assert result.diagnostics == [] and result.plan is not None
    modules = {d.name: d.executor.py_modules for d in result.plan.deployments}
    assert modules == {"clip": ("clip_like.executors.clip_text",), "stdlib": ("json",),
                       "from_file": ("clip_like.executors.clip_text",)}


def test_executor_file_with_a_module_name_alone_and_from_the_flow():
    assert forms.compile_file(HERE / "encoder.yml").diagnostics == []


def test_neither_file_nor_module_is_fc406_at_the_entry():
    path = HERE / "missing.yml"
    result = forms.compile_file(path)
    assert forms.found(result) == forms.marks(path)
    first = result.diagnostics[0]
    assert first.message.startswith("py_modules `clip_server_not_installed.executors.clip_torch` "
                                    "is neither a file (looked for ")
    assert first.message.endswith("nor a module Python can import")


def test_a_path_still_reads_as_a_path(tmp_path):
    path = tmp_path / "flow.yml"
    path.write_text("jtype: Flow\nexecutors:\n  - uses: E\n    py_modules: [enc.py]\n")
    (diag,) = forms.compile_file(path).diagnostics
    assert diag.message.startswith("py_modules file `enc.py` not found")
