"""The fork server (runtime/forkserver.py, runtime/forked.py): `flowc run`'s servers are forked
from one process that has imported the runtime, with their own output, environment, working
directory, command line and session; exits are reported as `Popen` reports them; the children
share the preloaded pages; a dead fork server takes its children with it and is replaced; with
FLOWC_FORKSERVER=0 the supervisor starts every process on its own, as before."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowc.compiler.api import Flow
from flowc.runtime import GenericDoc, forked
from flowc.runtime.forkserver import TITLE
from flowc.runtime.launch_plan import launch_from_plan
from flowc.runtime.readiness import notify_socket, sender_pid

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ports import free_port  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def forks():
    server = forked.ForkServer()
    try:
        yield server
    finally:
        server.close()


def _cmdline(pid: int, wanted: str = "") -> str:
    """`pid`'s command line; with `wanted`, waits (5 s at most) until it contains it: a forked
    child sets its title a moment after the fork."""
    deadline = time.monotonic() + 5
    while True:
        line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        if wanted in line or time.monotonic() > deadline:
            return line
        time.sleep(0.01)


@pytest.fixture
def silent_port():
    """A port that takes connections and never answers: a health check there waits."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


PASS_FLOW = """jtype: Flow
version: '1'
executors:
  - name: p0
    uses: Pass
    py_modules: [passthrough.py]
  - name: p1
    uses: Pass
    py_modules: [passthrough.py]
"""
PASS_EXECUTOR = """from flowc.runtime import Executor, requests


class Pass(Executor):
    @requests
    def noop(self, docs, **kwargs):
        return None
"""


def _smaps(pid: int) -> dict[str, int]:
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    return {line.split(":")[0]: int(line.split()[1]) for line in lines if ":" in line}


def test_a_forked_command_has_its_own_output_cwd_title_session_and_exit_code(forks, tmp_path,
                                                                            silent_port):
    port = silent_port  # takes the connection, never answers: `health` waits, then exits 1
    # (waiting 3 s leaves time to read /proc/PID on a loaded machine before the child exits)
    child = forks.spawn(["health", f"127.0.0.1:{port}", "--timeout", "3"],
                        env=dict(os.environ), cwd=str(tmp_path))
    assert child.pid != forks.pid
    wanted = f"-m flowc.runtime health 127.0.0.1:{port} --timeout 3"
    assert _cmdline(child.pid, wanted).endswith(wanted)
    assert Path(f"/proc/{child.pid}/cwd").resolve() == tmp_path.resolve()
    assert os.getsid(child.pid) == child.pid  # a session of its own: Ctrl-C is not for it
    assert child.wait(30) == 1
    assert child.poll() == 1
    assert f"127.0.0.1:{port}: UNREACHABLE" in child.stdout.read().decode()
    child.stdout.close()


def test_a_forked_worker_gets_its_environment_and_stops_cleanly(forks, tmp_path):
    (tmp_path / "flow.yml").write_text(PASS_FLOW)
    (tmp_path / "passthrough.py").write_text(PASS_EXECUTOR)
    plan = Flow.load(str(tmp_path / "flow.yml")).plan()
    launch = launch_from_plan(plan, base_dir=tmp_path, work_dir=tmp_path)
    (worker,) = [p for p in launch["processes"] if p["name"].startswith("p0")]
    sock = notify_socket()  # READY=1 arrives only if NOTIFY_SOCKET reached the child
    assert sock is not None
    env = dict(os.environ, NOTIFY_SOCKET="@" + sock.getsockname()[1:].decode())
    child = forks.spawn(worker["argv"][1:], env=env, cwd=str(tmp_path))
    try:
        ready = select.select([sock], [], [], 60)[0]
        assert ready, "no READY=1 from the forked worker"
        message, ancillary, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
        assert b"READY=1" in message and sender_pid(ancillary) == child.pid
    finally:
        child.terminate()
        sock.close()
    assert child.wait(30) == 0
    assert "stopped in" in child.stdout.read().decode()
    child.stdout.close()


def test_bad_arguments_exit_2_and_a_signal_gives_a_negative_code(forks, tmp_path, silent_port):
    child = forks.spawn(["worker", "--bogus"], env=dict(os.environ), cwd=str(tmp_path))
    assert child.wait(30) == 2
    assert "error: the following arguments are required" in child.stdout.read().decode()
    child.stdout.close()
    plan = tmp_path / "nowhere.json"  # a worker that fails to start: its error, exit 1
    child = forks.spawn(["worker", "--plan", str(plan), "--deployment", "x", "--port",
                         str(free_port())], env=dict(os.environ), cwd=str(tmp_path))
    assert child.wait(30) != 0
    child.stdout.close()
    sleeper = forks.spawn(["health", f"127.0.0.1:{silent_port}", "--timeout", "30"], env=dict(os.environ),
                          cwd=str(tmp_path))
    with pytest.raises(subprocess.TimeoutExpired):
        sleeper.wait(0.2)
    sleeper.kill()
    assert sleeper.wait(10) == -signal.SIGKILL
    sleeper.stdout.close()


def test_a_dead_fork_server_takes_its_children_along(forks, tmp_path, silent_port):
    child = forks.spawn(["health", f"127.0.0.1:{silent_port}", "--timeout", "30"], env=dict(os.environ),
                        cwd=str(tmp_path))
    os.kill(forks.pid, signal.SIGKILL)
    assert child.wait(30) == forked.DEAD_CODE  # PR_SET_PDEATHSIG: it got SIGTERM
    assert not Path(f"/proc/{child.pid}").exists() or "Z" in Path(
        f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    with pytest.raises(forked.ForkServerError):
        forks.spawn(["health", "127.0.0.1:1"], env=dict(os.environ), cwd=str(tmp_path))
    child.stdout.close()


def test_flow_servers_are_forked_and_share_the_preloaded_pages(tmp_path):
    (tmp_path / "flow.yml").write_text(PASS_FLOW)
    (tmp_path / "passthrough.py").write_text(PASS_EXECUTOR)
    with Flow.load(str(tmp_path / "flow.yml")) as flow:
        (doc,) = flow.post("/default", [GenericDoc(id="p", text="Py")], timeout=30)
        assert doc.text == "Py"
        supervisor = flow._handle.supervisor
        forks = supervisor._forks
        assert isinstance(forks, forked.ForkServer) and _cmdline(forks.pid, TITLE) == TITLE
        children = supervisor.children
        assert all(
            int(Path(f"/proc/{c.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            == forks.pid for c in children)
        for child in children:  # the runtime's pages are the fork server's, shared
            rollup = _smaps(child.popen.pid)
            assert rollup["Pss"] < 0.6 * rollup["Rss"], (child.name, rollup)
        zygote = forks.pid
    assert not Path(f"/proc/{zygote}").exists() or "Z" in Path(
        f"/proc/{zygote}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_switched_off_every_server_is_its_own_process(monkeypatch):
    monkeypatch.setenv(forked.ENV_SWITCH, "0")
    with Flow.load(str(EXAMPLES / "overrides/flow.yml")) as flow:
        (doc,) = flow.post("/default", [GenericDoc(id="p", text="Py")], timeout=30)
        assert doc.text == "Bonjour, Py!"
        assert flow._handle.supervisor._forks is False
        assert all(isinstance(c.popen, subprocess.Popen) for c in flow._handle.supervisor.children)
        assert all(int(Path(f"/proc/{c.popen.pid}/stat").read_text().rsplit(")", 1)[1]
                       .split()[1]) == os.getpid() for c in flow._handle.supervisor.children)


def test_a_warm_fork_server_is_taken_once():
    forked.prestart()
    first = forked.take()
    try:
        second = forked.take()  # nothing warm left: a new one
        try:
            assert second is not first and second.pid != first.pid
        finally:
            second.close()
    finally:
        first.close()


def test_a_killed_fork_server_is_replaced_and_its_servers_restarted(tmp_path):
    (tmp_path / "flow.yml").write_text(PASS_FLOW)
    (tmp_path / "passthrough.py").write_text(PASS_EXECUTOR)
    with Flow.load(str(tmp_path / "flow.yml")) as flow:
        supervisor = flow._handle.supervisor
        first = supervisor._forks.pid
        before = {c.name: c.popen.pid for c in supervisor.children}
        os.kill(first, signal.SIGKILL)  # its children get SIGTERM and stop: all restarted
        deadline = time.monotonic() + 60
        while True:
            forks = supervisor._forks
            if (isinstance(forks, forked.ForkServer) and forks.pid != first
                    and all(c.popen.pid != before[c.name] and c.serving_since is not None
                            for c in supervisor.children)):
                break
            assert time.monotonic() < deadline, [(c.name, c.popen.pid) for c in
                                                 supervisor.children]
            time.sleep(0.1)
        (doc,) = flow.post("/default", [GenericDoc(id="q", text="again")], timeout=30)
        assert doc.text == "again"
        assert all(isinstance(c.popen, forked.ForkedProcess) for c in supervisor.children)
