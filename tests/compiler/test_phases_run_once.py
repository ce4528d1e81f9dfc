"""The front end runs each phase once per document (issue 9, finding 2): the Flow and every file
it includes are loaded once, substituted at most once and schema-checked once, however often a
file is named."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from flowc.compiler import check as check_module
from flowc.compiler import driver, includes, loader
from flowc.compiler.syntax import Mapping

FLOW = """jtype: Flow
with:
  name: once
executors:
  - dep.yml
  - name: b
    uses: exec.yml
    replicas: ${{ ENV.R }}
  - name: c
    uses: exec.yml
  - jtype: Deployment
    with:
      name: d
      uses: exec.yml
"""
DEPLOYMENT = """jtype: Deployment
with:
  name: a
  uses: exec.yml
  replicas: ${{ ENV.R }}
  env_from_secret:
    TOKEN: {name: s, key: k}
"""
EXECUTOR = "jtype: MyExec\nwith:\n  token: ${{ ENV.TOKEN }}\n"


def _document(root) -> str:
    """Which file a tree is (its span's file name, as displayed)."""
    return Path(root.span.file).name


def test_each_file_is_loaded_substituted_and_checked_once(tmp_path, monkeypatch):
    for name, text in (("flow.yml", FLOW), ("dep.yml", DEPLOYMENT), ("exec.yml", EXECUTOR)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    loads, checks, substitutions = Counter(), Counter(), Counter()
    real_load, real_check, real_substitute = loader.load_file, check_module.check, \
        driver.substitute

    def counting_load(path, **kw):
        loads[Path(path).name] += 1
        return real_load(path, **kw)

    def counting_check(root, kind, **kw):
        checks[(_document(root), kind)] += 1
        return real_check(root, kind, **kw)

    def counting_substitute(root, ctx, **kw):
        substitutions[_document(root)] += 1
        return real_substitute(root, ctx, **kw)

    monkeypatch.setattr(includes, "load_file", counting_load)
    monkeypatch.setattr(includes, "check", counting_check)
    monkeypatch.setattr(driver, "check", counting_check)
    monkeypatch.setattr(driver, "substitute", counting_substitute)
    result = driver.compile_flow(tmp_path / "flow.yml", env={"R": "2"})

    assert result.ok, result.diagnostics
    assert loads == {"flow.yml": 1, "dep.yml": 1, "exec.yml": 1}
    assert checks == {("flow.yml", "flow"): 1, ("dep.yml", "deployment"): 1,
                      ("exec.yml", "executor"): 1}
    assert substitutions == {"flow.yml": 1, "dep.yml": 1}  # an Executor file: by the worker
    entries = {e.name: e for e in result.resolved.entries}
    assert entries["a"].get("replicas") == 2 and entries["b"].get("replicas") == 2
    assert {e.executor.path for e in entries.values()} == {"exec.yml"}
    # the Deployment file's own secret stays a runtime reference in the Flow too
    assert isinstance(result.resolved.entries[0].values["env_from_secret"].node, Mapping)


def test_problems_of_a_file_named_twice_are_reported_at_each_place(tmp_path):
    (tmp_path / "exec.yml").write_text("jtype: MyExec\nwith: 3\n", encoding="utf-8")
    (tmp_path / "flow.yml").write_text(
        "jtype: Flow\nexecutors:\n  - name: a\n    uses: exec.yml\n  - name: b\n"
        "    uses: exec.yml\n", encoding="utf-8")
    result = driver.compile_flow(tmp_path / "flow.yml", env={})
    errors = [d for d in result.diagnostics if d.code == "FC202"]
    assert len(errors) == 2  # one problem, once per place that includes the file
    assert sorted(d.related[-1].span.line for d in errors) == [4, 6]
