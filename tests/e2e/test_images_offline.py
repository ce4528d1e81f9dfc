"""The images `flowc build` describes build where the package index has no flowc (issue 10 §1).

`flowc build examples/chain --target compose --base-image <the e2e python base>`, then the
generated `DOCKER=podman ./build-images.sh`, unchanged: flowc comes from the wheel shipped in
`context/wheels/<hash>/` (the index has no flowc, so a build that asked the index for it would
fail), the build context is only `context/`, the image runs `flowc-runtime --help` as uid 10001,
which owns `/workspace`; the compose file passes `config` of the Docker Compose v2 binary
against podman 4.3's Docker API (no Engine 25 field). `up` is run by tests/e2e/test_compose.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e import flowrun, service

pytestmark = pytest.mark.e2e

IMAGE = "localhost/flowc-e2e-images:chain-offline"


def _run(command: list[str], env: dict[str, str], cwd: Path | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_chain_image_builds_offline_for_flowc_and_runs(podman, docker_host: str,
                                                      tmp_path: Path) -> None:
    out = flowrun.flowc_build(flowrun.CHAIN, "compose", tmp_path / "chain", "--image", IMAGE,
                              "--base-image", podman.images.python)
    wheels = sorted((out / "context" / "wheels").glob("*/flowc-*-py3-none-any.whl"))
    assert len(wheels) == 1, wheels
    assert sorted(p.relative_to(out / "context").as_posix()
                  for p in (out / "context" / "app").rglob("*") if p.is_file()) == [
        "app/executors.py", "app/flow.yml", "app/upper.yml"]
    try:
        built = _run(["./build-images.sh"], dict(podman.env, DOCKER="podman"), cwd=out)
        log = built.stdout + built.stderr
        assert built.returncode == 0, log[-3000:]
        assert f"/tmp/flowc/wheels/{wheels[0].parent.name}/{wheels[0].name}" in log
        helped = _run(["podman", "run", "--rm", IMAGE, "--help"], podman.env, timeout=120)
        assert helped.returncode == 0 and "usage: flowc-runtime" in helped.stdout, helped
        owner = _run(["podman", "run", "--rm", "--entrypoint", "stat", IMAGE, "-c", "%u:%g %a",
                      "/workspace"], podman.env, timeout=120)
        assert owner.stdout.strip() == "10001:10001 755", owner
        config = _run([str(service.compose_binary()), "config", "--quiet"],
                      dict(podman.env, DOCKER_HOST=docker_host), cwd=out, timeout=60)
        assert config.returncode == 0, config.stderr
    finally:
        _run(["podman", "rmi", "-f", IMAGE], podman.env, timeout=120)
