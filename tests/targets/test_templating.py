"""Precompiled templates (`flowc.targets.templating`): up to date, used, identical output, and
never used when stale or written by another jinja2."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jinja2
import pytest

from flowc.targets import render, templating

_spec = importlib.util.spec_from_file_location("flowc_templating_tools",
                                               Path(__file__).with_name("tools.py"))
tools = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tools)

OPTIONS = {"image": "team/app:1.0", "namespace": "search", "context": "../flow"}


@pytest.fixture
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> dict:
    """An empty loader state for one test (the module caches per process)."""
    state: dict = {}
    monkeypatch.setattr(templating, "_STATE", state)
    return state


def test_compiled_folder_is_up_to_date() -> None:
    wanted = templating.compiled_files()
    on_disk = {p.name: p.read_text(encoding="utf-8")
               for p in templating.COMPILED_DIR.iterdir() if p.is_file()}
    assert on_disk == wanted, ("targets/templates/_compiled is stale: run "
                               "`.venv/bin/python -m flowc.targets.templating`")
    assert len(wanted) == len(templating.template_names()) + 1  # + index.json


def test_every_template_loads_precompiled(fresh_state: dict) -> None:
    names = templating.template_names()
    assert "k8s/README.md.j2" in names and len(names) >= 5
    for name in names:
        loaded = templating.template(name)
        assert isinstance(loaded.environment.loader, jinja2.ModuleLoader), name
        assert templating.template(name) is loaded  # once per process


def _render_all() -> dict[tuple[str, str], dict[str, str]]:
    out = {}
    plans = {**tools.case_plans(), **{f"example:{n}": tools.example_plan(n)
                                      for n in tools.EXAMPLES}}
    for plan_name, plan in sorted(plans.items()):
        for target in ("k8s", "compose", "systemd"):
            files, diags = render(target, plan, OPTIONS)
            out[(plan_name, target)] = files
    return out


def test_precompiled_and_source_templates_render_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templating, "_STATE", {})
    precompiled = _render_all()
    assert any(files for files in precompiled.values())
    monkeypatch.setattr(templating, "_index", lambda: {})  # as if nothing were precompiled
    monkeypatch.setattr(templating, "_STATE", {})
    from_source = _render_all()
    assert templating._STATE["compiled"] is None
    assert precompiled == from_source


def test_a_template_edited_since_precompiling_is_compiled_from_source(
        fresh_state: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    real = templating._digest
    monkeypatch.setattr(templating, "_digest",
                        lambda name: "0" * 8 if name == "k8s/README.md.j2" else real(name))
    edited = templating.template("k8s/README.md.j2")
    other = templating.template("images/Dockerfile.j2")
    assert isinstance(edited.environment.loader, jinja2.FileSystemLoader)
    assert isinstance(other.environment.loader, jinja2.ModuleLoader)


def test_modules_from_another_jinja2_are_not_used(fresh_state: dict,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    index = templating._index()
    monkeypatch.setattr(templating, "_index", lambda: {**index, "jinja2": "0.0.1"})
    loaded = templating.template("k8s/README.md.j2")
    assert isinstance(loaded.environment.loader, jinja2.FileSystemLoader)
