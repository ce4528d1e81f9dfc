"""The generated `Dockerfile.dockerignore` keeps secrets, history and local environments out of
every image's build context, at any depth, as Docker itself matches the patterns."""

from __future__ import annotations

from pathlib import Path

from docker.utils.build import exclude_paths  # docker-py: Docker's own .dockerignore rules

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.targets.images import resolve_images
from flowc.targets.images import image_files

SECRETS = [".env", "executors/enc/.env", "prod.env", "executors/enc/staging.env",
           ".env.production", "executors/enc/.env.local", "tls.key", "executors/enc/id.key",
           "ca.pem", "certs/server.pem", ".git/config", "vendor/lib/.git/HEAD",
           ".venv/bin/python", "executors/enc/.venv/pyvenv.cfg",
           "executors/enc/__pycache__/model.cpython-312.pyc"]
KEPT = ["executors/enc/model.py", "executors/enc/config.yml", "executors/enc/envs.py",
        "executors/enc/requirements.txt", "keys.py", "README.md"]


def _patterns() -> list[str]:
    dep = Deployment("enc", ExecutorRef("file", path="executors/enc/config.yml",
                                        py_modules=("executors/enc/model.py",)), ("gateway",))
    plan = Plan(flow=FlowInfo("f", "flow.yml"), gateway=Gateway(), deployments=(dep,),
                responders=("enc",))
    images, diags = resolve_images(plan, "team/flow:1.0")
    assert diags == []
    files, diags = image_files(plan, images, "..")
    assert diags == []
    text = files["images/enc/Dockerfile.dockerignore"]
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_secret_files_never_enter_the_build_context(tmp_path: Path):
    for name in SECRETS + KEPT:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("sentinel")
    sent = exclude_paths(str(tmp_path), _patterns())
    assert [s for s in SECRETS if s in sent] == []
    assert [k for k in KEPT if k not in sent] == []


def test_without_the_new_patterns_the_same_context_leaks(tmp_path: Path):
    """The check can fail: the patterns flowc wrote before this change let keys and env files in."""
    old = [".git", "**/__pycache__", "**/*.pyc", ".venv", "**/.env"]
    for name in SECRETS:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("sentinel")
    sent = exclude_paths(str(tmp_path), old)
    assert {"prod.env", "tls.key", "ca.pem", ".env.production"} <= sent
