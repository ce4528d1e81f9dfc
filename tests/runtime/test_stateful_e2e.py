"""Stateful replicas end to end (SPEC §5 "Stateful"): real processes on 127.0.0.1.

`flowc run examples/stateful/flow.yml` (3 replicas of a key-value store, `@write` endpoints
`/put` and `/delete`, `snapshot`/`restore`, `snapshot_threshold` lowered to 5 so the Raft log is
compacted within the test): writes through the gateway land on every replica in the same order,
reads on every replica agree, the Raft leader is SIGKILLed and writes go on, the launcher's
restart of the killed replica restores it from its snapshot and it catches up. A second test
starts the workers by hand to check what happens without a leader. Only wait-until deadlines,
no timing assertions; every process started is stopped.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flowc_run_harness import ROOT, FlowcRun, free_port, wait_gone  # noqa: E402

from flowc.runtime import Client, FlowcRequestError, GenericDoc  # noqa: E402

EXAMPLE = ROOT / "examples" / "stateful"
RUNTIME = Path(sys.executable).with_name("flowc-runtime")
DEADLINE = 60.0


@pytest.fixture
def run_flow():
    started: list[FlowcRun] = []

    def start(*args: str, env: dict | None = None) -> FlowcRun:
        run = FlowcRun(*args, env=env)
        started.append(run)
        return run

    yield start
    for run in started:
        run.kill_all()


def _put(port: int, key: str, value: str) -> dict:
    """`/put` through `port`; the `__results__` of the replica that answered."""
    with Client(host="127.0.0.1", port=port) as client:
        responses = client.post("/put", inputs=[GenericDoc(id=key, text=value)], timeout=30,
                                return_responses=True)
    assert not responses[0].is_error, responses[0].status
    return dict(responses[0].parameters["__results__"])


def _stats(port: int) -> dict:
    with Client(host="127.0.0.1", port=port) as client:
        responses = client.post("/stats", inputs=[GenericDoc(id="s")], timeout=10,
                                return_responses=True)
    (result,) = responses[0].parameters["__results__"].values()
    return dict(result)


def _get(port: int, keys: list[str]) -> dict[str, str]:
    with Client(host="127.0.0.1", port=port) as client:
        docs = client.post("/get", inputs=[GenericDoc(id=k) for k in keys], timeout=10)
    return {d.id: d.text for d in docs}


def _workers(run: FlowcRun) -> dict[int, tuple[int, int, str]]:
    """replica → (pid, gRPC port, Raft address) of the run's live `kv` workers (the Raft
    address from the replica's latest start-up line: the peers are in a file, not in argv)."""
    raft = dict(re.findall(r"kv/rep-(\d): Raft node on \S+ as (\S+)", run.output))
    found = {}
    for pid, cmd in run.children().items():
        parts = cmd.split()
        if "worker" not in parts or "--raft-peers" not in parts:
            continue
        replica = int(parts[parts.index("--replica") + 1])
        found[replica] = (pid, int(parts[parts.index("--port") + 1]), raft.get(str(replica)))
    return found


def _wait_until(check, what: str, run: FlowcRun | None = None, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # a replica restarting refuses connections for a moment
            last = exc
        else:
            if last:
                return last
        time.sleep(0.2)
    raise AssertionError(f"{what}: still {last!r}" + (f"\n{run.output}" if run else ""))


def _same_state(workers: dict, writes: int):
    """Every replica's stats once they all show `writes` applied writes (else None)."""
    stats = {r: _stats(port) for r, (_, port, _) in workers.items()}
    if all(s["writes"] == writes for s in stats.values()):
        return stats
    return None


def test_writes_are_replicated_survive_a_killed_leader_and_restore_from_a_snapshot(run_flow,
                                                                                  tmp_path):
    port = free_port()
    run = run_flow(str(EXAMPLE / "flow.yml"), "--port", str(port),
                   env={"XDG_CACHE_HOME": str(tmp_path), "KV_SNAPSHOT_THRESHOLD": "5"})
    run.ready()
    workers = _workers(run)
    assert sorted(workers) == [0, 1, 2], run.output

    # writes through the gateway: round robin hands them to every replica in turn, and the
    # one that received a write answers with the result it applied itself
    answered_by = set()
    for i in range(12):
        results = _put(port, f"k{i}", f"v{i}")
        (name,) = results
        answered_by.add(name)
        assert results[name]["keys"] == i + 1
    assert answered_by == {"kv/rep-0", "kv/rep-1", "kv/rep-2"}

    stats = _wait_until(lambda: _same_state(workers, 12), "all replicas at 12 writes", run)
    digests = {json.dumps(s["digest"]) for s in stats.values()}
    assert len(digests) == 1 and len(stats[0]["digest"]) == 12
    for _, worker_port, _ in workers.values():  # a read on each replica, from its own state
        assert _get(worker_port, ["k0", "k11", "nope"]) == {"k0": "v0", "k11": "v11", "nope": ""}
    raft_dirs = tmp_path / "flowc" / "workspace" / "KeyValueStore" / "0" / "raft"
    assert sorted(p.name for p in raft_dirs.iterdir()) == ["rep-0", "rep-1", "rep-2"]
    for replica in range(3):  # 12 writes with snapshot_threshold 5: the log was compacted
        run.wait_for(f"kv/rep-{replica}: snapshot taken")
        assert (raft_dirs / f"rep-{replica}" / "snapshot.tar").is_file()

    # SIGKILL the leader: the two others elect a new one and writes keep succeeding
    victim = int(re.findall(r"kv/rep-(\d): now the Raft leader", run.output)[-1])
    killed = workers[victim][0]
    os.kill(killed, signal.SIGKILL)
    for i in range(12, 21):
        _put(port, f"k{i}", f"v{i}")

    # the launcher restarts it; it restores its snapshot, replays its log, catches up
    run.wait_for(f"flowc: kv/rep-{victim} exited with code -9")
    run.wait_for(f"kv/rep-{victim}: state restored from a Raft snapshot", timeout=DEADLINE)
    workers = _wait_until(lambda: (w := _workers(run)) and len(w) == 3
                          and w[victim][0] != killed and w, "three kv workers again", run)
    assert workers[victim][0] != killed
    stats = _wait_until(lambda: _same_state(workers, 21), "all replicas at 21 writes", run)
    assert len({json.dumps(s["digest"]) for s in stats.values()}) == 1
    assert stats[victim]["restored"] >= 1
    assert _get(workers[victim][1], ["k3", "k20"]) == {"k3": "v3", "k20": "v20"}

    # SIGTERM: every process stops, Raft nodes closed cleanly
    children, marker = run.children(), run.plan_marker()
    run.signal(signal.SIGTERM)
    assert run.wait(60) == 0, run.output
    assert wait_gone(set(children), marker, timeout=10) == {}, run.output
    assert "Traceback" not in run.output


def _start_worker(plan: Path, replica: int, port: int, peers: list[str], log: Path,
                  env: dict) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(
            [str(RUNTIME), "worker", "--plan", str(plan), "--base-dir", str(EXAMPLE),
             "--deployment", "kv", "--host", "127.0.0.1", "--port", str(port),
             "--replica", str(replica), "--raft-peers", json.dumps(peers)],
            stdout=out, stderr=subprocess.STDOUT, env=env)


def _healthy(port: int) -> bool:
    return subprocess.run([str(RUNTIME), "health", f"127.0.0.1:{port}", "--timeout", "1"],
                          capture_output=True).returncode == 0


def test_no_leader_means_not_serving_then_writes_fail_with_the_reason(tmp_path):
    from flowc.compiler import load

    plan = tmp_path / "plan.json"
    plan.write_text(load(EXAMPLE / "flow.yml", env={}).to_json())
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "FLOWC_RAFT_PASSWORD": "a-test-password-of-32-characters"}
    ports = [free_port() for _ in range(3)]
    peers = [f"127.0.0.1:{free_port()}" for _ in range(3)]
    logs = [tmp_path / f"rep-{i}.log" for i in range(3)]
    procs: list[subprocess.Popen] = []
    try:
        # alone, a replica never joins its cluster: its port stays closed (not SERVING) and
        # it stops cleanly on SIGTERM
        procs.append(_start_worker(plan, 0, ports[0], peers, logs[0], env))
        _wait_until(lambda: "Raft node on" in logs[0].read_text(), "replica 0's Raft node")
        time.sleep(1.5)  # long enough for a leader to be elected if one could be
        assert not _healthy(ports[0])
        procs[0].send_signal(signal.SIGTERM)
        assert procs[0].wait(30) == 0
        assert "stopped before joining the Raft cluster" in logs[0].read_text()

        # all three: they join; then two stop, and a write to the last one cannot commit
        procs = [_start_worker(plan, i, ports[i], peers, logs[i], env) for i in range(3)]
        for i in range(3):
            _wait_until(lambda i=i: _healthy(ports[i]), f"replica {i} SERVING")
        _put(ports[1], "a", "1")  # a write sent to any replica, leader or not, commits
        _wait_until(lambda: _same_state({i: (0, ports[i], "") for i in range(3)}, 1),
                    "every replica at 1 write")
        for i in (0, 2):
            procs[i].send_signal(signal.SIGTERM)
            assert procs[i].wait(30) == 0
        with Client(host="127.0.0.1", port=ports[1]) as client:
            with pytest.raises(FlowcRequestError) as failed:
                client.post("/put", inputs=[GenericDoc(id="b", text="2")], timeout=3)
        assert failed.value.name == "RaftUnavailable"
        assert failed.value.executor == "kv/rep-1"
        assert "the write was not committed within" in str(failed.value)
        assert _get(ports[1], ["a", "b"]) == {"a": "1", "b": ""}  # reads: its own state
        procs[1].send_signal(signal.SIGTERM)
        assert procs[1].wait(30) == 0
        assert "Traceback" not in "".join(p.read_text() for p in logs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
