"""The harness works on this machine: an image built FROM the python base installs from the
package index over TLS, compose brings two services up healthy through podman's Docker API, and
systemd runs as PID 1 and really applies a unit's sandboxing. The Flow e2e tests build on this.

Every container, image, network and compose project made here is removed, also on failure.
"""

from __future__ import annotations

import subprocess
import textwrap
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.e2e import service

pytestmark = pytest.mark.e2e

# A small pure-Python wheel, pinned so the check is exact.
WHEEL, VERSION = "six", "1.17.0"


def _podman(podman, *args: str, timeout: float = 120, check: bool = True
            ) -> subprocess.CompletedProcess:
    result = subprocess.run(["podman", *args], env=podman.env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    if check and result.returncode:
        pytest.fail(f"podman {' '.join(args[:3])} exited {result.returncode}:\n"
                    f"{result.stdout[-1500:]}{result.stderr[-1500:]}", pytrace=False)
    return result


def test_build_from_python_base_installs_a_wheel_over_tls(podman, tmp_path: Path) -> None:
    tag = f"localhost/flowc-e2e-smoke:{uuid.uuid4().hex[:12]}"
    # A fresh venv's pip (not Debian's) reaching the index: needs the host's CAs and PIP_CERT.
    (tmp_path / "Containerfile").write_text(textwrap.dedent(f"""\
        FROM {podman.images.python}
        RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir {WHEEL}=={VERSION}
        """))
    try:
        # --no-cache: podman would reuse the RUN layer by its arguments and prove nothing.
        _podman(podman, "build", "--pull=never", "--no-cache", "-t", tag, str(tmp_path),
                timeout=300)
        run = _podman(podman, "run", "--rm", tag, "/opt/venv/bin/python", "-c",
                      f"import {WHEEL}; print({WHEEL}.__version__)")
        assert run.stdout.strip() == VERSION
    finally:
        _podman(podman, "rmi", "-f", tag, check=False)


COMPOSE = """\
services:
  web:
    image: {image}
    pull_policy: never
    command: ["python3", "-m", "http.server", "8000", "--directory", "/etc"]
    ports: ["127.0.0.1::8000"]
    # CMD-SHELL: podman 4.3's Docker API splits each `CMD` argument at spaces.
    healthcheck:
      test: ["CMD-SHELL", "python3 -c \\"import urllib.request as u; u.urlopen('http://127.0.0.1:8000/', timeout=2)\\""]
      interval: 2s
      timeout: 3s
      retries: 30
  client:
    image: {image}
    pull_policy: never
    depends_on:
      web: {{condition: service_healthy}}
    # Healthy once it fetched a file from `web` by its service name (podman's DNS, aardvark).
    command: ["python3", "-c", "import time, urllib.request as u; open('/tmp/fetched', 'wb').write(u.urlopen('http://web:8000/os-release', timeout=5).read()); time.sleep(600)"]
    healthcheck:
      test: ["CMD", "grep", "-q", "ID=debian", "/tmp/fetched"]
      interval: 2s
      timeout: 3s
      retries: 30
"""


def test_compose_up_wait_through_podman_api(podman, docker_host: str, tmp_path: Path) -> None:
    project = f"flowc-e2e-smoke-{uuid.uuid4().hex[:8]}"
    (tmp_path / "compose.yaml").write_text(COMPOSE.format(image=podman.images.python))
    env = dict(podman.env, DOCKER_HOST=docker_host)
    compose = [str(service.compose_binary()), "--project-name", project,
               "--project-directory", str(tmp_path)]

    def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run([*compose, *args], env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    try:
        with service.healthchecks(podman.env, label=f"com.docker.compose.project={project}"):
            up = run("up", "--detach", "--wait", "--wait-timeout", "120")
        assert up.returncode == 0, up.stderr[-2000:]
        states = run("ps", "--format", "{{.Service}} {{.Health}}").stdout.split("\n")
        assert sorted(line for line in states if line) == ["client healthy", "web healthy"]
        published = run("port", "web", "8000").stdout.strip()
        host_ip, port = published.rsplit(":", 1)
        assert host_ip == "127.0.0.1", f"published beyond loopback: {published}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/os-release", timeout=5) as answer:
            assert b"ID=debian" in answer.read()
    finally:
        down = run("down", "--volumes", "--remove-orphans", "--timeout", "5")
    assert down.returncode == 0, down.stderr[-2000:]
    left = _podman(podman, "ps", "-a", "--filter", f"label=com.docker.compose.project={project}",
                   "--format", "{{.Names}}").stdout.split()
    assert left == [], f"compose down left containers: {left}"


def _wait_for_systemd(podman, name: str, timeout: float = 60) -> str:
    """`systemctl is-system-running --wait` once systemd's socket exists (exec can be early)."""
    deadline = time.monotonic() + timeout
    while True:
        result = _podman(podman, "exec", name, "systemctl", "is-system-running", "--wait",
                         check=False, timeout=timeout)
        if "Failed to connect to bus" not in result.stderr or time.monotonic() > deadline:
            return result.stdout.strip() or result.stderr.strip()
        time.sleep(0.2)


def test_systemd_as_pid_1_applies_sandboxing(podman) -> None:
    name = f"flowc-e2e-systemd-{uuid.uuid4().hex[:8]}"
    try:
        # CAP_SYS_ADMIN: without it systemd silently skips a unit's mount namespace
        # (ProtectSystem=, PrivateTmp=) and DynamicUser= fails with 226/NAMESPACE.
        _podman(podman, "run", "-d", "--name", name, "--systemd=always", "--cap-add", "SYS_ADMIN",
                podman.images.systemd, "/sbin/init")
        assert _wait_for_systemd(podman, name) == "running"
        unit = _podman(podman, "exec", name, "systemd-run", "--wait", "--pipe", "--quiet",
                       "-p", "DynamicUser=yes", "-p", "ProtectSystem=strict", "/bin/sh", "-c",
                       "id -u; touch /usr/flowc-probe 2>/dev/null && echo wrote-usr || echo ro-usr",
                       check=False)
        assert unit.returncode == 0, unit.stderr
        uid, usr = unit.stdout.split()
        assert int(uid) >= 61184, f"DynamicUser= not applied: uid {uid}"  # systemd's range
        assert usr == "ro-usr", "ProtectSystem=strict not applied"
    finally:
        _podman(podman, "rm", "-f", "-i", "-t", "5", name, check=False)

