"""Template loading (`flowc.targets.templating`): jinja2's bytecode kept in the per-user cache,
reused, never stale, and the same output with, without, or with a broken cache folder."""

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
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, empty per-user cache, and no template loaded yet in this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("FLOWC_NO_CACHE", raising=False)
    monkeypatch.setattr(templating, "_STATE", {})
    return tmp_path / "flowc"


def _bytecode_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"jinja2-{jinja2.__version__}-*.cache"))


def test_every_template_loads_once_and_leaves_its_bytecode(cache_home: Path) -> None:
    names = templating.template_names()
    assert "k8s/README.md.j2" in names and len(names) >= 5
    for name in names:
        loaded = templating.template(name)
        assert templating.template(name) is loaded  # once per process
    assert len(_bytecode_files(cache_home)) == len(names)
    assert not any(p.name.endswith(".tmp") for p in cache_home.iterdir())


def test_a_new_process_loads_bytecode_instead_of_compiling(
        cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = {name: templating.template(name) for name in templating.template_names()}
    monkeypatch.setattr(templating, "_STATE", {})
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda *a, **k: pytest.fail("compiled although the bytecode is cached"))
    for name, template in first.items():
        assert templating.template(name) is not template  # loaded again, from the cache


def test_an_edited_template_is_compiled_again(cache_home: Path) -> None:
    sources = {"t.j2": "one {{ x }}\n"}
    loader = jinja2.FunctionLoader(lambda name: sources[name])
    bytecode = templating.bytecode_cache()
    assert templating.environment(loader, bytecode).get_template("t.j2").render(x=1) == "one 1\n"
    sources["t.j2"] = "two {{ x }}\n"  # same name, same cache entry, new source
    assert templating.environment(loader, bytecode).get_template("t.j2").render(x=1) == "two 1\n"


def _render_all() -> dict[tuple[str, str], dict[str, str]]:
    out = {}
    plans = {**tools.case_plans(), **{f"example:{n}": tools.example_plan(n)
                                      for n in tools.EXAMPLES}}
    for plan_name, plan in sorted(plans.items()):
        for target in ("k8s", "compose", "systemd"):
            files, diags = render(target, plan, OPTIONS)
            out[(plan_name, target)] = files
    return out


def test_output_is_the_same_with_and_without_the_cache(
        cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWC_NO_CACHE", "1")
    in_memory = _render_all()
    assert any(files for files in in_memory.values())
    assert not cache_home.exists()
    monkeypatch.delenv("FLOWC_NO_CACHE")
    for _ in range(2):  # filling the cache, then reading it
        monkeypatch.setattr(templating, "_STATE", {})
        assert _render_all() == in_memory
    assert _bytecode_files(cache_home)


def test_a_cache_folder_that_refuses_writes_only_costs_time(
        cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")  # root ignores chmod: refuse here

    monkeypatch.setattr(jinja2.bccache.tempfile, "NamedTemporaryFile", refuse)
    assert templating.template("k8s/README.md.j2").render  # loaded all the same
    assert _bytecode_files(cache_home) == []


def test_a_cache_folder_that_vanished_only_costs_time(cache_home: Path) -> None:
    templating.template("images/Dockerfile.j2")
    for path in cache_home.iterdir():
        path.unlink()
    cache_home.rmdir()
    assert templating.template("k8s/README.md.j2").render  # the dump fails, the load does not


def test_without_a_safe_folder_there_is_no_bytecode_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(templating, "_STATE", {})
    assert templating.bytecode_cache() is None
    assert templating.template("systemd/target.j2").environment.bytecode_cache is None
