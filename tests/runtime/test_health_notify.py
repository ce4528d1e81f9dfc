"""Address forms, the health command's usage errors, sd_notify, the runtime's dispatch table."""

from __future__ import annotations

import socket

import pytest

from flowc.runtime import __main__ as runtime_main
from flowc.runtime.health import main as health_main
from flowc.runtime.health import parse_address
from flowc.runtime.notify import notify


@pytest.mark.parametrize("address, expected", [
    ("127.0.0.1:80", ("127.0.0.1:80", False)),
    ("grpc://h:1", ("h:1", False)),
    ("grpcs://h:443/", ("h:443", True)),
    ("dns:///svc.ns:8080", ("dns:///svc.ns:8080", False)),
])
def test_address_forms(address, expected):
    assert parse_address(address) == expected


def test_unsupported_scheme():
    with pytest.raises(ValueError, match="unsupported address scheme 'http'"):
        parse_address("http://h:1")
    assert health_main(["http://h:1"]) == 2


def test_notify_without_socket_is_a_no_op(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify("READY=1") is False


def test_notify_path_and_abstract_sockets(monkeypatch, tmp_path):
    path = str(tmp_path / "n.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        assert notify("READY=1") is True
        assert sock.recv(64) == b"READY=1"
    name = f"flowc-test-{tmp_path.name}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify("STOPPING=1") is True
        assert sock.recv(64) == b"STOPPING=1"
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "missing.sock"))
    assert notify("READY=1") is False


def test_dispatch_table(capsys):
    assert runtime_main.COMMANDS["worker"] == "flowc.runtime.worker:main"
    assert runtime_main.COMMANDS["health"] == "flowc.runtime.health:main"
    assert runtime_main.main(["--help"]) == 0
    assert "worker" in capsys.readouterr().out
    assert runtime_main.main([]) == 2
    assert runtime_main.main(["bogus"]) == 2
    assert "unknown command 'bogus'" in capsys.readouterr().err
