"""load_executor with `py_modules` given as module names (issue 11 §1): imported by name, as
Jina does, with the base directory (and an Executor file's folder) on `sys.path`; a file that
exists wins; a name that is neither is a one-line ExecutorLoadError, and a module whose own
import fails raises that error, not a "not found"."""

from __future__ import annotations

import sys
import textwrap

import pytest

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.runtime.loading import ExecutorLoadError, load_executor

PACKAGE = "flowc_test_modnames_pkg"  # unique: imported by name into this process


def plan_with(ref: ExecutorRef) -> Plan:
    dep = Deployment(name="enc", executor=ref, needs=("gateway",))
    return Plan(flow=FlowInfo(name="f", source="flow.yml"), gateway=Gateway(), deployments=(dep,),
                responders=("enc",))


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder holding the package `PACKAGE.executors.enc`; sys.path and sys.modules
    are restored afterwards."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    folder = tmp_path / PACKAGE / "executors"
    folder.mkdir(parents=True)
    (tmp_path / PACKAGE / "__init__.py").write_text("")
    (folder / "__init__.py").write_text("")
    (folder / "enc.py").write_text(textwrap.dedent('''
        from flowc.runtime import Executor

        class NamedEncoder(Executor):
            def __init__(self, dim=4, **kwargs):
                super().__init__(**kwargs)
                self.dim = dim
    '''))
    (folder / "broken.py").write_text("import flowc_test_no_such_dependency\n")
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
        del sys.modules[name]


def test_a_module_name_is_imported_by_name(project):
    ref = ExecutorRef(kind="class", jtype="NamedEncoder",
                      py_modules=(f"{PACKAGE}.executors.enc",), uses_with={"dim": 8})
    executor = load_executor(plan_with(ref), "enc", base_dir=project)
    assert type(executor).__module__ == f"{PACKAGE}.executors.enc"
    assert executor.dim == 8


def test_a_module_name_in_an_executor_file(project):
    (project / "config.yml").write_text(
        f"jtype: NamedEncoder\nwith: {{dim: 3}}\nmetas:\n  py_modules: [{PACKAGE}.executors.enc]\n")
    executor = load_executor(plan_with(ExecutorRef(kind="file", path="config.yml")), "enc",
                             base_dir=project)
    assert executor.dim == 3


def test_neither_file_nor_module(project):
    ref = ExecutorRef(kind="class", jtype="X", py_modules=(f"{PACKAGE}.executors.nope",))
    with pytest.raises(ExecutorLoadError, match=r"is neither a file in .* nor a module"):
        load_executor(plan_with(ref), "enc", base_dir=project)


def test_a_missing_dependency_of_the_module_is_not_hidden(project):
    ref = ExecutorRef(kind="class", jtype="X", py_modules=(f"{PACKAGE}.executors.broken",))
    with pytest.raises(ModuleNotFoundError, match="flowc_test_no_such_dependency"):
        load_executor(plan_with(ref), "enc", base_dir=project)
