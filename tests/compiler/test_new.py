"""`flowc new`: what it writes validates and passes its own tests, as written; it never
overwrites anything and refuses names it cannot use."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowc.compiler import cli
from flowc.compiler.cli import main


def _new(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.COMMANDS["new"](cli.build_parser().parse_args(["new", *argv]), out, err)
    return code, out.getvalue(), err.getvalue()


def _run_own_tests(folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-W", "ignore::DeprecationWarning"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("gpu", [None, "torch", "tf", "jax"])
def test_executor_package_validates_and_passes_its_tests(tmp_path: Path, gpu: str | None) -> None:
    code, out, err = _new("executor", "text-encoder", "-o", str(tmp_path),
                          *(["--gpu", gpu] if gpu else []))
    assert code == 0, err
    folder = tmp_path / "text-encoder"
    assert sorted(p.name for p in folder.iterdir()) == [
        "Dockerfile", "README.md", "config.yml", "executor.py", "requirements.txt",
        "test_executor.py"]
    assert main(["validate", "--strict", str(folder / "config.yml")]) == 0
    dockerfile = (folder / "Dockerfile").read_text()
    assert "ENV FLOWC_USES=config.yml" in dockerfile
    assert 'ENTRYPOINT ["flowc-runtime"]' in dockerfile
    base = {None: "python:3.11", "torch": "pytorch/pytorch:", "tf": "tensorflow/tensorflow:",
            "jax": "python:3.11"}[gpu]
    assert f"ARG BASE_IMAGE={base}" in dockerfile
    if gpu == "jax":
        assert "jax[cuda12]==" in (folder / "requirements.txt").read_text()
    result = _run_own_tests(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_flow_project_validates_builds_and_passes_its_tests(tmp_path: Path) -> None:
    code, out, _ = _new("flow", "search", "--executor", "text-encoder", "-o", str(tmp_path))
    assert code == 0
    assert "wrote 11 files" in out
    folder = tmp_path / "search"
    assert main(["validate", "--strict", str(folder / "flow.yml"),
                 str(folder / "executors/text-encoder/config.yml")]) == 0
    assert main(["build", str(folder / "flow.yml"), "--target", "compose", "-o",
                 str(tmp_path / "deploy"), "--image", "registry.example/search:0.1.0"]) == 0
    hooks = (folder / ".pre-commit-config.yaml").read_text()
    assert "flowc validate --strict" in hooks
    assert "--format github" in (folder / ".github/workflows/flowc.yml").read_text()
    result = _run_own_tests(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_same_input_same_bytes(tmp_path: Path) -> None:
    for run in ("a", "b"):
        assert _new("flow", "search", "-o", str(tmp_path / run))[0] == 0
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*")
                   if p.is_file())
    assert files
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()


def test_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "search").mkdir()
    mine = tmp_path / "search" / "flow.yml"
    mine.write_text("mine\n")
    code, _, err = _new("flow", "search", "-o", str(tmp_path))
    assert code == 1
    assert "FC907" in err and "already exists" in err
    assert mine.read_text() == "mine\n"
    assert sorted(p.name for p in (tmp_path / "search").iterdir()) == ["flow.yml"]


@pytest.mark.parametrize("name", ["Search", "9lives", "a b", "../escape", "x" * 41, "a--b"])
def test_refuses_unusable_names(tmp_path: Path, name: str) -> None:
    code, _, err = _new("executor", name, "-o", str(tmp_path))
    assert code == 2
    assert "FC907" in err and "hint" in err
    assert list(tmp_path.iterdir()) == []
