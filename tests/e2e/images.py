"""Base images built on this machine, since no registry can be pulled from: Debian from the
mirror apt uses (debootstrap + `podman import`), Python on top (a stand-in for
python:3.11-slim-bookworm), and systemd on top of that (systemd as PID 1 in a container).

Not a test module. Each image carries a label with a hash of the inputs that define it; an image
whose label matches is kept, so a warm run builds nothing and a changed input rebuilds only what
depends on it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tests.e2e import host

KEY_LABEL = "io.flowc.e2e.key"
SCRATCH = Path("/var/tmp")  # a rootfs does not belong in a tmpfs /tmp

DEBIAN_IMAGE = "localhost/flowc-e2e-debian:{codename}"
PYTHON_IMAGE = "localhost/flowc-e2e-python:3.11"
SYSTEMD_IMAGE = "localhost/flowc-e2e-systemd:{codename}"

# ca-certificates lets the next stages trust the host's extra CAs (and an https mirror).
DEBOOTSTRAP_ARGS = ("--variant=minbase", "--include=ca-certificates")

# Like python:3.11-slim-bookworm where Dockerfiles rely on it: `python` and `pip` commands, and pip
# allowed to install into the system Python (no PEP 668 marker). PIP_CERT: pip uses certifi's
# bundle otherwise, which lacks the host's extra CAs copied in here.
PYTHON_CONTAINERFILE = """\
FROM {base}
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates \\
 && apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      python3 python3-venv python3-pip python-is-python3 \\
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \\
 && rm -rf /var/lib/apt/lists/*
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
"""

# `podman run --systemd=always IMAGE /sbin/init`: systemd stops on SIGRTMIN+3, not SIGTERM.
SYSTEMD_CONTAINERFILE = """\
FROM {base}
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      systemd systemd-sysv libnss-systemd dbus \\
 && rm -rf /var/lib/apt/lists/*
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
"""

Log = Callable[[str], None]


class BuildError(RuntimeError):
    """A base image could not be built; the message ends with the failing command's last lines."""


@dataclass(frozen=True)
class BaseImages:
    """The names of the three base images, once they exist."""

    debian: str
    python: str
    systemd: str


def input_key(*parts: str | bytes) -> str:
    """A short hash of everything that defines an image (order matters)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:20]


def image_key(name: str, env: dict[str, str]) -> str | None:
    """The input key an existing image was built from, or None when there is no such image."""
    result = subprocess.run(
        ["podman", "image", "inspect", "--format", f'{{{{index .Labels "{KEY_LABEL}"}}}}', name],
        env=env, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def _image_id(name: str, env: dict[str, str]) -> str | None:
    result = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", name],
                            env=env, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def _run(command: list[str], env: dict[str, str], **kwargs) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                            **kwargs)
    if result.returncode:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise BuildError(f"`{' '.join(command[:3])} ...` exited {result.returncode}:\n{tail}")


def _drop_replaced(old_id: str | None, name: str, env: dict[str, str]) -> None:
    """Remove the image a rebuild replaced (now untagged), unless something still uses it."""
    if old_id and old_id != _image_id(name, env):
        subprocess.run(["podman", "rmi", old_id], env=env, capture_output=True, check=False)


def build_debian(name: str, key: str, codename: str, mirror: str, env: dict[str, str]) -> None:
    """debootstrap a minimal root file system and import it as `name`."""
    rootfs = Path(tempfile.mkdtemp(prefix="flowc-e2e-rootfs-", dir=SCRATCH))
    try:
        _run(["debootstrap", *DEBOOTSTRAP_ARGS, codename, str(rootfs), mirror], env)
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (rootfs / leftover).glob("*"):
                if path.is_file():
                    path.unlink()
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."],
                               stdout=subprocess.PIPE, env=env)
        try:
            _run(["podman", "import", "--change", f"LABEL {KEY_LABEL}={key}",
                  "--change", 'CMD ["/bin/bash"]', "-", name], env, stdin=tar.stdout)
        finally:
            tar.stdout.close()
            if tar.wait():
                raise BuildError(f"tar of {rootfs} exited {tar.returncode}")
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)


def build_from_containerfile(name: str, key: str, containerfile: str, env: dict[str, str],
                             files: dict[str, bytes] | None = None) -> None:
    """`podman build` a Containerfile in a context holding just `files` (paths relative to it)."""
    with tempfile.TemporaryDirectory(prefix="flowc-e2e-ctx-", dir=SCRATCH) as context:
        root = Path(context)
        (root / "Containerfile").write_text(containerfile)
        for relative, data in (files or {}).items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(data)
        _run(["podman", "build", "--pull=never", "--label", f"{KEY_LABEL}={key}",
              "-t", name, "-f", str(root / "Containerfile"), str(root)], env)


def _extra_ca_files() -> dict[str, bytes]:
    """The host's extra CAs as build-context files (flattened names; a keep file when none)."""
    files = {"extra-ca/README": b"CA certificates the build host trusts besides Debian's.\n"}
    for path in host.extra_ca_certificates():
        files[f"extra-ca/{path.name}"] = path.read_bytes()
    return files


def ensure_base_images(env: dict[str, str], log: Log = print,
                       codename: str | None = None) -> tuple[BaseImages, dict[str, float | None]]:
    """Build whichever base image is missing or out of date; return the names and, per image,
    the seconds its build took (None: it was already up to date)."""
    codename = codename or host.host_codename()
    names = BaseImages(DEBIAN_IMAGE.format(codename=codename), PYTHON_IMAGE,
                       SYSTEMD_IMAGE.format(codename=codename))
    ca_files = _extra_ca_files()
    python_file = PYTHON_CONTAINERFILE.format(base=names.debian)
    systemd_file = SYSTEMD_CONTAINERFILE.format(base=names.python)
    debian_key = input_key("debootstrap", *DEBOOTSTRAP_ARGS, codename)
    python_key = input_key(debian_key, python_file,
                           *(part for item in sorted(ca_files.items()) for part in item))
    systemd_key = input_key(python_key, systemd_file)

    steps = [
        (names.debian, debian_key,
         lambda: build_debian(names.debian, debian_key, codename,
                              host.debian_mirror(codename), env)),
        (names.python, python_key,
         lambda: build_from_containerfile(names.python, python_key, python_file, env, ca_files)),
        (names.systemd, systemd_key,
         lambda: build_from_containerfile(names.systemd, systemd_key, systemd_file, env)),
    ]
    timings: dict[str, float | None] = {}
    replaced: list[tuple[str, str | None]] = []
    for name, key, build in steps:
        if image_key(name, env) == key:
            log(f"{name}: up to date ({KEY_LABEL}={key})")
            timings[name] = None
            continue
        log(f"{name}: building ({KEY_LABEL}={key})")
        old_id = _image_id(name, env)
        started = time.monotonic()
        build()
        timings[name] = time.monotonic() - started
        replaced.append((name, old_id))
        log(f"{name}: built in {timings[name]:.1f} s")
    for name, old_id in reversed(replaced):  # children first: a parent in use cannot go
        _drop_replaced(old_id, name, env)
    return names, timings
