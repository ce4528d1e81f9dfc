"""What the end-to-end harness needs from the machine: root, apt, podman's Debian packages, the
Debian mirror apt already uses, and podman's settings for this kind of VM.

Not a test module. Podman's settings live in `containers.conf` beside this file, given to every
podman process through CONTAINERS_CONF, so the harness never edits /etc (docs/e2e.md says why
each setting is there).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTAINERS_CONF = HERE / "containers.conf"

# podman and what it calls on a Debian 12 host with no systemd: runc (crun refuses hybrid
# cgroups), netavark + aardvark-dns + iptables (networks and service-name DNS), catatonit
# (`podman kube play`'s pause process), uidmap, debootstrap (base images without a registry).
PACKAGES = ("podman", "runc", "netavark", "aardvark-dns", "iptables", "catatonit", "uidmap",
            "debootstrap")

SOURCES_LIST = Path("/etc/apt/sources.list")
SOURCES_DIR = Path("/etc/apt/sources.list.d")


class HostError(RuntimeError):
    """The machine cannot run the harness; the message says what is missing, on one line."""


def why_not_runnable(uid: int | None = None, apt_get: str | None = None) -> str | None:
    """One line saying why podman cannot run here, or None when it can (root and apt)."""
    uid = os.geteuid() if uid is None else uid
    apt_get = shutil.which("apt-get") if apt_get is None else apt_get
    if uid != 0:
        return "e2e needs root (podman's rootful storage, networks and apt installs)"
    if not apt_get:
        return "e2e needs apt-get (podman and debootstrap are installed from Debian's packages)"
    return None


def missing_packages(packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """The Debian packages of `packages` that dpkg does not have installed."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *packages],
        capture_output=True, text=True, check=False)
    installed = {line.split()[0] for line in result.stdout.splitlines()
                 if line.endswith(" installed")}
    return [name for name in packages if name not in installed]


def ensure_packages(packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """Install the missing ones (one `apt-get update` first); return what was installed."""
    missing = missing_packages(packages)
    if not missing:
        return []
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise HostError(f"`{' '.join(command[:2])}` failed: {' '.join(tail)}")
    still = missing_packages(packages)
    if still:
        raise HostError(f"apt-get did not install: {', '.join(still)}")
    return missing


@dataclass(frozen=True)
class Source:
    """One apt source: a repository URI and the suites and components it serves."""

    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def parse_one_line_sources(text: str) -> list[Source]:
    """`deb [options] URI suite component...` lines (sources.list format); deb-src skipped."""
    sources = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        line = re.sub(r"\[[^\]]*\]", " ", line)  # [arch=amd64 signed-by=...]
        words = line.split()
        if len(words) >= 3 and words[0] == "deb":
            sources.append(Source(words[1], (words[2],), tuple(words[3:])))
    return sources


def parse_deb822_sources(text: str) -> list[Source]:
    """deb822 stanzas (`*.sources` files); stanzas without the `deb` type or disabled skipped."""
    sources = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:  # a folded continuation line
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            sources.append(Source(uri, tuple(fields.get("suites", "").split()),
                                  tuple(fields.get("components", "").split())))
    return sources


def apt_sources(sources_list: Path = SOURCES_LIST, sources_dir: Path = SOURCES_DIR) -> list[Source]:
    """Every enabled apt source of the host, in apt's reading order."""
    sources = []
    if sources_list.is_file():
        sources += parse_one_line_sources(sources_list.read_text())
    if sources_dir.is_dir():
        for path in sorted(sources_dir.iterdir()):
            if path.suffix == ".list":
                sources += parse_one_line_sources(path.read_text())
            elif path.suffix == ".sources":
                sources += parse_deb822_sources(path.read_text())
    return sources


def debian_mirror(suite: str, sources: list[Source] | None = None) -> str:
    """The URI of the first apt source serving `suite` with `main`: the mirror debootstrap uses
    (never a host name written into the repository)."""
    sources = apt_sources() if sources is None else sources
    for source in sources:
        if suite in source.suites and "main" in source.components:
            return source.uri
    raise HostError(f"no apt source serves `{suite} main` (read {SOURCES_LIST} and "
                    f"{SOURCES_DIR}/*.list, *.sources)")


def host_codename(os_release: Path = Path("/etc/os-release")) -> str:
    """The host's Debian codename (`bookworm`), which the base images are built from."""
    for line in os_release.read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "VERSION_CODENAME" and value.strip('"'):
            return value.strip('"')
    raise HostError(f"{os_release} names no VERSION_CODENAME: not a Debian release")


def extra_ca_certificates(folder: Path = Path("/usr/local/share/ca-certificates")) -> list[Path]:
    """The CA certificates the host trusts on top of Debian's (update-ca-certificates reads
    `*.crt` below this folder): an intercepting proxy's CA must reach the images too."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*.crt") if path.is_file())


def podman_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every podman command of the harness runs with."""
    env = dict(os.environ if base is None else base)
    env["CONTAINERS_CONF"] = str(CONTAINERS_CONF)
    return env
