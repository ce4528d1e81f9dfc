"""`flowc new executor` writes a Dockerfile that builds and runs (issue 14 §3): the package is
built with podman on the e2e Python base, flowc installed from the wheel of this checkout (the
Dockerfile's documented `--build-arg FLOWC=./flowc-...whl`), and the image serves the executor
as the compose target runs a `uses: docker://...` entry: `flowc-runtime worker` with the plan, the
executor found through the image's FLOWC_USES, answering over HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e import flowrun
from tests.ports import free_port

pytestmark = pytest.mark.e2e

IMAGE = "localhost/flowc-e2e-new:text-encoder"
FLOW = """\
jtype: Flow
executors:
  - name: text-encoder
    uses: docker://localhost/flowc-e2e-new:text-encoder
    uses_with:
      prefix: "new: "
"""


def test_generated_executor_image_builds_and_serves(podman, tmp_path: Path) -> None:
    flowrun.run([flowrun.FLOWC, "new", "executor", "text-encoder", "-o", str(tmp_path)])
    package = tmp_path / "text-encoder"
    wheel_out = tmp_path / "wheel"
    flowrun.run([str(flowrun.BIN / "pip"), "wheel", "--no-deps", "-q", "-w", str(wheel_out),
                 str(flowrun.ROOT)], timeout=300)
    (wheel,) = wheel_out.glob("flowc-*.whl")
    shutil.copy(wheel, package / wheel.name)
    (tmp_path / "flow.yml").write_text(FLOW)
    plan_dir = tmp_path / "plan"
    flowrun.run([flowrun.FLOWC, "build", str(tmp_path / "flow.yml"), "--target", "compose",
                 "-o", str(plan_dir), "--image", "localhost/flowc-e2e-new-gateway:1"])
    port = free_port()
    name = f"flowc-e2e-new-{port}"
    try:
        flowrun.run(["podman", "build", "-q", "--build-arg", f"BASE_IMAGE={podman.images.python}",
                     "--build-arg", f"FLOWC=./{wheel.name}", "-t", IMAGE, str(package)],
                    env=podman.env, timeout=900)
        # as compose.yaml runs it: the plan at /etc/flowc/plan.json, the image's files at /app,
        # a read-only root; loopback only (host network, bound to 127.0.0.1)
        flowrun.run(["podman", "run", "-d", "--name", name, "--network", "host", "--read-only",
                     "--tmpfs", "/tmp", "-v", f"{plan_dir / 'plan.json'}:/etc/flowc/plan.json:ro",
                     IMAGE, "worker", "--plan", "/etc/flowc/plan.json", "--base-dir", "/app",
                     "--deployment", "text-encoder", "--host", "127.0.0.1",
                     "--port", str(free_port()), "--http-port", str(port)], env=podman.env)
        body = json.dumps({"data": [{"text": "hi"}], "parameters": {"upper": True}}).encode()
        try:
            answer = _post_when_up(f"http://127.0.0.1:{port}/default", body, timeout=90)
        except OSError:
            logs = flowrun.run(["podman", "logs", name], env=podman.env, check=False)
            raise AssertionError(f"the image never served:\n{logs.stdout}{logs.stderr}")
        assert [(d["text"], d["length"]) for d in answer["data"]] == [("NEW: HI", 7)]
        user = flowrun.run(["podman", "exec", name, "id", "-u"], env=podman.env)
        assert user.stdout.strip() == "10001"
    finally:
        subprocess.run(["podman", "rm", "-f", name], env=podman.env, capture_output=True)
        subprocess.run(["podman", "rmi", "-f", IMAGE], env=podman.env, capture_output=True)


def _post_when_up(url: str, body: bytes, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(url, data=body,
                                         headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
