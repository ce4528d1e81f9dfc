"""load_executor: every ExecutorRef kind, substitution at start-up, precedence (SPEC §2, §3)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.runtime.loading import ExecutorLoadError, load_executor

MODULE = '''
from flowc.runtime import Executor, requests


class Greeter(Executor):
    def __init__(self, greeting="hello", punct=".", token=None, **kwargs):
        super().__init__(**kwargs)
        self.greeting = greeting
        self.punct = punct
        self.token = token

    @requests(on="/hello")
    def hello(self, docs, **kwargs):
        return {"says": self.greeting + self.punct}

    @requests(on="/bye")
    def bye(self, docs, **kwargs):
        return None


class Broken(Executor):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        raise RuntimeError("model file missing")
'''

EXECUTOR_YAML = '''
jtype: Greeter
with:
  greeting: ${{ ENV.GREETING }}
  punct: "!"
metas:
  name: file-greeter
  description: from the file
requests:
  /file-hello: hello
py_modules:
  - greeter.py
'''


def write_module(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "greeter.py").write_text(MODULE)


def plan_with(ref: ExecutorRef, **dep_kwargs) -> Plan:
    dep = Deployment(name="greet", executor=ref, needs=("gateway",), **dep_kwargs)
    return Plan(flow=FlowInfo(name="t", source="flow.yml"), gateway=Gateway(), deployments=(dep,),
                responders=("greet",))


def test_class_kind_with_overrides(tmp_path):
    write_module(tmp_path / "mods")
    ref = ExecutorRef(kind="class", jtype="Greeter", py_modules=("mods/greeter.py",),
                      uses_with={"greeting": "hi"}, uses_metas={"name": "g"},
                      uses_requests={"/hey": "hello"})
    ex = load_executor(plan_with(ref, replicas=2), "greet", replica_id=1, shard_id=0,
                       base_dir=tmp_path, env={})
    assert type(ex).__name__ == "Greeter"
    assert ex.greeting == "hi" and ex.metas.name == "g"
    assert sorted(ex.requests) == ["/bye", "/hey"]
    assert ex.runtime_args.name == "greet/rep-1"
    assert ex.runtime_args.replicas == 2 and ex.runtime_args.replica_id == 1


def test_file_kind_substitutes_with_the_worker_environment(tmp_path):
    write_module(tmp_path / "exec")
    (tmp_path / "exec" / "greeter.yml").write_text(EXECUTOR_YAML)
    ref = ExecutorRef(kind="file", path="exec/greeter.yml")
    ex = load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={"GREETING": "hey"})
    assert (ex.greeting, ex.punct) == ("hey", "!")
    assert ex.metas.name == "file-greeter" and ex.metas.description == "from the file"
    assert sorted(ex.requests) == ["/bye", "/file-hello"]  # binding 'hello' anew drops /hello


def test_file_kind_precedence_uses_over_file(tmp_path):
    write_module(tmp_path / "exec")
    (tmp_path / "exec" / "greeter.yml").write_text(EXECUTOR_YAML)
    ref = ExecutorRef(kind="file", path="exec/greeter.yml", uses_with={"greeting": "yo"},
                      uses_metas={"name": "override"}, uses_requests={"/o": "hello"})
    ex = load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={"GREETING": "hey"})
    assert (ex.greeting, ex.punct) == ("yo", "!")  # shallow: punct from the file stays
    assert ex.metas.name == "override" and ex.metas.description == "from the file"
    assert sorted(ex.requests) == ["/bye", "/o"]


def test_file_kind_undefined_variable_is_a_located_error(tmp_path):
    write_module(tmp_path / "exec")
    (tmp_path / "exec" / "greeter.yml").write_text(EXECUTOR_YAML)
    ref = ExecutorRef(kind="file", path="exec/greeter.yml")
    with pytest.raises(ExecutorLoadError) as info:
        load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={})
    message = str(info.value)
    assert "greeter.yml:4" in message and "GREETING" in message


def test_file_kind_schema_error(tmp_path):
    write_module(tmp_path / "exec")
    (tmp_path / "exec" / "bad.yml").write_text("jtype: Greeter\nwiht: {}\n")
    ref = ExecutorRef(kind="file", path="exec/bad.yml")
    with pytest.raises(ExecutorLoadError, match="bad.yml:2"):
        load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={})


def test_inline_kind(tmp_path):
    write_module(tmp_path / "mods")
    ref = ExecutorRef(kind="inline", config={"jtype": "Greeter", "with": {"greeting": "in"},
                                             "py_modules": ["mods/greeter.py"]},
                      uses_with={"punct": "?"})
    ex = load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={})
    assert (ex.greeting, ex.punct) == ("in", "?")


def test_template_values_are_rendered_from_the_environment(tmp_path):
    write_module(tmp_path / "mods")
    ref = ExecutorRef(kind="class", jtype="Greeter", py_modules=("mods/greeter.py",),
                      uses_with={"token": {"$template": "${{ ENV.TOKEN }}"}})
    ex = load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={"TOKEN": "s3cret"})
    assert ex.token == "s3cret"
    with pytest.raises(ExecutorLoadError, match="TOKEN"):
        load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={})


def test_docker_kind_reads_flowc_uses(tmp_path):
    write_module(tmp_path / "mods")
    ref = ExecutorRef(kind="docker", image="me/greeter:1", uses_with={"greeting": "d"})
    env = {"FLOWC_USES": "mods/greeter.py:Greeter"}
    ex = load_executor(plan_with(ref), "greet", base_dir=tmp_path, env=env)
    assert ex.greeting == "d"

    write_module(tmp_path / "exec")
    (tmp_path / "exec" / "greeter.yml").write_text(EXECUTOR_YAML)
    env = {"FLOWC_USES": "exec/greeter.yml", "GREETING": "from-env"}
    ex = load_executor(plan_with(ref), "greet", base_dir=tmp_path, env=env)
    assert (ex.greeting, ex.metas.name) == ("d", "file-greeter")


def test_docker_kind_without_flowc_uses_names_the_contract(tmp_path):
    ref = ExecutorRef(kind="docker", image="me/greeter:1")
    with pytest.raises(ExecutorLoadError, match="FLOWC_USES") as info:
        load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={})
    assert "me/greeter:1" in str(info.value)


def test_unknown_class_lists_where_it_looked(tmp_path):
    write_module(tmp_path / "mods")
    ref = ExecutorRef(kind="class", jtype="Nope", py_modules=("mods/greeter.py",))
    with pytest.raises(ExecutorLoadError, match="'Nope' not found.*greeter.py"):
        load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={})


def test_missing_module_and_deployment(tmp_path):
    ref = ExecutorRef(kind="class", jtype="Greeter", py_modules=("nowhere.py",))
    with pytest.raises(ExecutorLoadError, match="nowhere.py does not exist"):
        load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={})
    with pytest.raises(ExecutorLoadError, match="no deployment 'other'"):
        load_executor(plan_with(ref), "other", base_dir=tmp_path, env={})


def test_init_exception_propagates(tmp_path):
    write_module(tmp_path / "mods")
    ref = ExecutorRef(kind="class", jtype="Broken", py_modules=("mods/greeter.py",))
    with pytest.raises(RuntimeError, match="model file missing"):
        load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={})


def test_roles_and_workspace(tmp_path):
    write_module(tmp_path / "mods")
    main = ExecutorRef(kind="class", jtype="Greeter", py_modules=("mods/greeter.py",))
    before = ExecutorRef(kind="class", jtype="Greeter", py_modules=("mods/greeter.py",),
                         uses_with={"greeting": "before"})
    plan = plan_with(main, uses_before=before, shards=2, workspace="ws")
    ex = load_executor(plan, "greet", role="uses_before", base_dir=tmp_path, env={})
    assert ex.greeting == "before" and ex.runtime_args.name == "greet/uses_before/rep-0"
    ex = load_executor(plan, "greet", shard_id=1, base_dir=tmp_path, env={})
    assert ex.workspace == str(tmp_path / "ws" / "Greeter" / "1")
    with pytest.raises(ExecutorLoadError, match="no uses_after"):
        load_executor(plan, "greet", role="uses_after", base_dir=tmp_path, env={})


def test_sibling_imports_work(tmp_path):
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "helper.py").write_text("WORD = 'sibling'\n")
    (folder / "main_exec.py").write_text(textwrap.dedent('''
        from helper import WORD
        from flowc.runtime import Executor

        class UsesHelper(Executor):
            word = WORD
    '''))
    ref = ExecutorRef(kind="class", jtype="UsesHelper", py_modules=("pkg/main_exec.py",))
    ex = load_executor(plan_with(ref), "greet", base_dir=tmp_path, env={})
    assert ex.word == "sibling"


def test_entry_env_is_used_for_substitution_and_wins(tmp_path):
    write_module(tmp_path / "exec")
    (tmp_path / "exec" / "greeter.yml").write_text(EXECUTOR_YAML)
    ref = ExecutorRef(kind="file", path="exec/greeter.yml")
    plan = plan_with(ref, env={"GREETING": "from-entry", "SECRET": {"$template": "${{ ENV.S }}"}})
    ex = load_executor(plan, "greet", base_dir=tmp_path, env={"GREETING": "shell", "S": "x"})
    assert ex.greeting == "from-entry"
