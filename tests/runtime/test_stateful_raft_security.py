"""Raft peer ports are authenticated (issue 8 §1): three attacks on a running stateful Flow.

`flowc run examples/stateful/flow.yml` starts three `kv` replicas on loopback. An attacker who
can reach a replica's Raft port speaks pysyncobj's wire protocol as an unauthenticated client
would (a frame is a native-endian int32 length, then `zlib(pickle(message))`, see pysyncobj's
tcp_connection.py) and tries:

(a) `['status']`, pysyncobj's utility command: a stranger learns the cluster's state;
(b) `'readonly'`, the read-only node handshake: the leader then streams the replicated log,
    `@write` payloads included, to the attacker;
(c) a frame whose unpickling runs `os.system("touch <file>")` inside the replica.

Each must fail (no answer, no payload, no file) and the Flow keeps serving reads and writes.
Without the per-run password (before issue 8) all three succeeded.
"""

from __future__ import annotations

import os
import pickle
import re
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flowc_run_harness import ROOT, FlowcRun, free_port  # noqa: E402

from flowc.runtime import Client, GenericDoc  # noqa: E402

EXAMPLE = ROOT / "examples" / "stateful"
MARKER = "attacker-sees-this-0d5c"


def _frame(message: object) -> bytes:
    data = zlib.compress(pickle.dumps(message), 3)
    return struct.pack("i", len(data)) + data


def _read_frames(sock: socket.socket, seconds: float) -> tuple[list[object], bytes]:
    """Frames the peer sends within `seconds` (decoded as an unauthenticated peer would), and
    every raw byte received. Stops early when the peer closes the connection."""
    sock.settimeout(0.2)
    raw, frames, buffer = b"", [], b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not chunk:
            break
        raw += chunk
        buffer += chunk
        while len(buffer) >= 4:
            size = struct.unpack("i", buffer[:4])[0]
            if len(buffer) - 4 < size:
                break
            body, buffer = buffer[4:4 + size], buffer[4 + size:]
            try:
                frames.append(pickle.loads(zlib.decompress(body)))
            except Exception:
                frames.append(body)  # encrypted: opaque to the attacker
    return frames, raw


def _connect(address: str) -> socket.socket:
    host, port = address.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=5)


class _RunsCode:
    """Unpickling this runs `os.system(command)`."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def _post(port: int, endpoint: str, docs: list[GenericDoc]) -> list:
    with Client(host="127.0.0.1", port=port) as client:
        return list(client.post(endpoint, inputs=docs, timeout=30))


def _raft_nodes(output: str) -> dict[int, str]:
    """replica → the Raft address it listens on, from the workers' start-up lines."""
    return {int(r): a for r, a in re.findall(r"kv/rep-(\d): Raft node on (\S+) as", output)}


@pytest.fixture
def stateful_flow(tmp_path):
    port = free_port()
    # FLOWC_FORKSERVER=0: the control below reads a replica's password from /proc/PID/environ,
    # which shows a forked process's start-up environment (its fork server's), not its own
    run = FlowcRun(str(EXAMPLE / "flow.yml"), "--port", str(port),
                   env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "FLOWC_FORKSERVER": "0"})
    try:
        run.ready()
        yield run, port
    finally:
        run.kill_all()


def test_raft_ports_refuse_status_readonly_and_pickle_attacks(stateful_flow, tmp_path):
    run, port = stateful_flow
    nodes = _raft_nodes(run.output)
    assert sorted(nodes) == [0, 1, 2], run.output
    assert all(a.startswith("127.0.0.1:") for a in nodes.values())
    _post(port, "/put", [GenericDoc(id="before", text="1")])

    # (a) a stranger asks for the status
    with _connect(nodes[0]) as sock:
        sock.sendall(_frame(["status"]))
        frames, _ = _read_frames(sock, 2.0)
    assert not [f for f in frames if isinstance(f, dict)], f"status answered: {frames}"
    assert frames == [], frames

    # (b) posing as a read-only node at the leader, hoping to receive replicated writes
    leader = int(re.findall(r"kv/rep-(\d): now the Raft leader", run.output)[-1])
    with _connect(nodes[leader]) as sock:
        sock.sendall(_frame("readonly"))
        time.sleep(0.3)
        _post(port, "/put", [GenericDoc(id="secret-key", text=MARKER)])
        frames, raw = _read_frames(sock, 2.0)
    assert MARKER.encode() not in raw, "a replicated write leaked"
    assert not any(MARKER in repr(f) for f in frames), "a replicated write leaked"
    assert not [f for f in frames if not isinstance(f, bytes)], f"log streamed: {frames[:3]}"

    # (c) a frame whose unpickling would run code, sent to every replica
    pwned = tmp_path / "pwned"
    for address in nodes.values():
        with _connect(address) as sock:
            sock.sendall(_frame(_RunsCode(f"touch {pwned}")))
            _read_frames(sock, 0.5)
    time.sleep(0.5)
    assert not pwned.exists(), "a pickled frame ran code inside a replica"

    # the control: a client that knows the run's password gets the status, so the attacks
    # failed for want of the password, not for a closed port
    from pysyncobj.utility import TcpUtility

    password = _environ(_worker_pid(run, 0)).get("FLOWC_RAFT_PASSWORD", "")
    assert len(password) >= 32
    status = TcpUtility(password, timeout=5).executeCommand(nodes[0], ["status"])
    assert status["partner_nodes_count"] == 2
    assert not any(password in cmd for cmd in run.children().values())  # never in argv

    # the Flow still serves writes and reads
    _post(port, "/put", [GenericDoc(id="after", text="2")])
    want = {"before": "1", "secret-key": MARKER, "after": "2"}
    deadline = time.monotonic() + 20  # a read may reach a replica still applying the write
    while (seen := {d.id: d.text for d in _post(port, "/get", [GenericDoc(id=k) for k in want])}
           ) != want and time.monotonic() < deadline:
        time.sleep(0.1)
    assert seen == want
    assert "Traceback" not in run.output


def _worker_pid(run: FlowcRun, replica: int) -> int:
    for pid, cmd in run.children().items():
        parts = cmd.split()
        if "worker" in parts and "--raft-peers" in parts and \
                parts[parts.index("--replica") + 1] == str(replica):
            return pid
    raise AssertionError(f"no kv/rep-{replica} worker")


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


@pytest.mark.parametrize("password, why", [
    (None, "needs the Raft password in FLOWC_RAFT_PASSWORD"),
    ("short", "has 5 characters; at least 16 are needed"),
])
def test_a_replica_without_a_password_refuses_to_start(tmp_path, password, why):
    from flowc.compiler import load

    plan = tmp_path / "plan.json"
    plan.write_text(load(EXAMPLE / "flow.yml", env={}).to_json())
    env = {k: v for k, v in os.environ.items() if k != "FLOWC_RAFT_PASSWORD"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    if password is not None:
        env["FLOWC_RAFT_PASSWORD"] = password
    done = subprocess.run(
        [sys.executable, "-m", "flowc.runtime", "worker", "--plan", str(plan), "--base-dir",
         str(EXAMPLE), "--deployment", "kv", "--host", "127.0.0.1", "--port", str(free_port()),
         "--raft-peers", '["127.0.0.1:1","127.0.0.1:2","127.0.0.1:3"]'],
        capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kv/rep-0: cannot start: "), done.stderr
    assert why in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "cache").exists()  # refused before the executor was built
