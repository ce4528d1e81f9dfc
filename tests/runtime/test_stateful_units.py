"""The pieces of stateful replicas (runtime/stateful.py, runtime/raft.py) without processes:
`raft_configuration` → pysyncobj, the snapshot archive, the worker's stateful options, and a
one-replica Raft group in this process (writes applied once, through the executor host)."""

from __future__ import annotations

import asyncio
import json
import math
import socket
import sys
from pathlib import Path

import pytest

from flowc.runtime import raft
from flowc.runtime.executor import Executor, inject, requests, write
from flowc.runtime.host import ExecutorHost
from flowc.runtime.proto import flowc_pb2
from flowc.runtime.stateful import (RaftPasswordError, RaftSettings, StatefulHost,
                                    raft_settings, take_password)
from flowc.runtime.worker import parse_args

PASSWORD = "unit-test-raft-password"


def test_jina_keys_map_to_pysyncobj_with_jinas_units():
    options = raft.conf_options({"heartbeat_timeout": 1000, "leader_lease_timeout": 500,
                                 "snapshot_threshold": 50, "snapshot_interval": 60},
                                compaction=True)
    assert options["raftMinTimeout"] == 1.0 and options["raftMaxTimeout"] == 2.0
    assert options["appendEntriesPeriod"] == pytest.approx(0.1)
    assert options["leaderFallbackTimeout"] == 0.5
    assert options["logCompactionMinEntries"] == 50 and options["logCompactionMinTime"] == 60
    assert options["connectionTimeout"] >= options["raftMaxTimeout"]


def test_defaults_and_no_compaction_without_snapshot_and_restore():
    assert raft.conf_options({}, compaction=True)["logCompactionMinEntries"] == 8192
    assert raft.conf_options({}, compaction=True)["logCompactionMinTime"] == math.inf
    off = raft.conf_options({"snapshot_threshold": 5}, compaction=False)
    assert off["logCompactionMinEntries"] >= 2 ** 62 and off["logCompactionMinTime"] == math.inf


def test_a_lease_shorter_than_the_heartbeat_is_refused_with_a_sentence():
    with pytest.raises(raft.RaftConfigError, match="leader_lease_timeout .* heartbeat"):
        raft.conf_options({"heartbeat_timeout": 500, "leader_lease_timeout": 40},
                          compaction=False)


def test_snapshot_archive_round_trip_and_refuses_a_foreign_file(tmp_path):
    state = tmp_path / "state-in"
    (state / "sub").mkdir(parents=True)
    (state / "store.json").write_text('{"a": 1}')
    (state / "sub" / "x.bin").write_bytes(b"\0\1")
    raft.write_snapshot(str(tmp_path / "snap.tar"), state, {"raft": (1, 2), "applied": ["t"]})
    restored, meta = raft.read_snapshot(str(tmp_path / "snap.tar"), tmp_path / "out")
    assert (restored / "store.json").read_text() == '{"a": 1}'
    assert (restored / "sub" / "x.bin").read_bytes() == b"\0\1"
    assert meta["raft"] == (1, 2) and meta["applied"] == ["t"]
    import tarfile

    with tarfile.open(tmp_path / "other.tar", "w") as tar:
        tar.add(str(state), arcname="state")
    with pytest.raises(ValueError, match="not a flowc snapshot"):
        raft.read_snapshot(str(tmp_path / "other.tar"), tmp_path / "out2")


BASE = ["--plan", "p.json", "--deployment", "kv", "--port", "1"]


@pytest.mark.parametrize("extra, message", [
    (["--raft-peers", "[1, 2"], "--raft-peers is not JSON"),
    (["--raft-peers", '["a:1", 7]'], "JSON list of host:port"),
    (["--raft-peers", '["a:1", "a:1"]'], "same address twice"),
    (["--raft-peers", '["a:1", "b:2"]', "--replica", "2"], "--replica 2 has no address"),
    (["--raft-peers", '["a:1"]', "--role", "uses_after"], "for executor replicas"),
])
def test_bad_stateful_options_are_usage_errors(extra, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_args(BASE + extra)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_peers_come_once_from_a_flow_file_picked_by_entry_and_shard(tmp_path, capsys):
    peers = tmp_path / "raft-peers.json"
    peers.write_text(json.dumps({"kv": [["a:1", "b:1"], ["c:1", "d:1"]], "other": [["x:1"]]}))
    args = parse_args(BASE + ["--raft-peers", f"@{peers}", "--shard", "1", "--replica", "1"])
    assert args.raft_peers == ("c:1", "d:1")
    for extra, message in ((["--shard", "2"], "no addresses for shard 2 of 'kv'"),
                           (["--raft-host", "h", "--raft-peers", "@/nonexistent/p.json"],
                            "cannot read /nonexistent/p.json")):
        with pytest.raises(SystemExit):
            parse_args(BASE + ["--raft-peers", f"@{peers}"] + extra)
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(BASE + ["--raft-host", "10.0.0.5"])
    assert "--raft-host needs --raft-peers" in capsys.readouterr().err


class _Plan:
    def deployment(self, name):
        return type("Dep", (), {"raft_configuration": {"snapshot_threshold": 3,
                                                       "password_from_secret": "s"}})()


def test_the_raft_node_binds_its_own_address_never_every_interface(tmp_path):
    executor = type("E", (), {"workspace": str(tmp_path)})()
    peers = '["kv-rep-0:8081","kv-rep-1:8081","kv-rep-2:8081"]'
    on_own_name = raft_settings(parse_args(BASE + ["--raft-peers", peers, "--replica", "1"]),
                                _Plan(), executor, "p" * 16)
    assert on_own_name.bind == "kv-rep-1:8081" and on_own_name.address == "kv-rep-1:8081"
    assert on_own_name.configuration == {"snapshot_threshold": 3}
    assert "p" * 16 not in repr(on_own_name)
    pod_ip = raft_settings(parse_args(BASE + ["--raft-peers", peers, "--raft-host", "10.1.2.3"]),
                           _Plan(), executor, "p" * 16)
    assert pod_ip.bind == "10.1.2.3:8081" and pod_ip.address == "kv-rep-0:8081"
    # the worker's --host (0.0.0.0 by default, for gRPC) has no say over the Raft port
    assert "0.0.0.0" not in raft_settings(parse_args(BASE + ["--raft-peers", peers]),
                                          _Plan(), executor, "p" * 16).bind


def test_the_password_is_taken_out_of_the_environment():
    environ = {"FLOWC_RAFT_PASSWORD": "x" * 20, "OTHER": "1"}
    assert take_password(environ) == "x" * 20
    assert environ == {"OTHER": "1"}  # the executor's code and children never see it
    with pytest.raises(RaftPasswordError, match="needs the Raft password"):
        take_password({"FLOWC_RAFT_PASSWORD": ""})
    with pytest.raises(RaftPasswordError) as short:
        take_password({"FLOWC_RAFT_PASSWORD": "hunter2"})
    assert "hunter2" not in str(short.value)
    with pytest.raises(raft.RaftConfigError, match="needs a password"):
        raft.start_node(address="127.0.0.1:1", partners=[], bind="127.0.0.1:1",
                        directory=Path("/nonexistent"), raft_configuration=None,
                        on_commit=lambda *_: None, serializer=None, deserializer=None)


def test_replica_id_from_a_statefulset_pod_name(monkeypatch, capsys):
    monkeypatch.setattr(socket, "gethostname", lambda: "kv-shard-1-2")
    args = parse_args(BASE + ["--raft-peers", '["a:1","b:1","c:1"]', "--replica-from-hostname"])
    assert args.replica == 2 and args.raft_peers == ("a:1", "b:1", "c:1")
    monkeypatch.setattr(socket, "gethostname", lambda: "laptop")
    with pytest.raises(SystemExit):
        parse_args(BASE + ["--replica-from-hostname"])
    assert "does not end in -<number>" in capsys.readouterr().err


class Counter(Executor):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.total = 0
        self.snapshots = 0

    @write
    @requests(on="/add")
    def add(self, parameters, **kwargs):
        self.total += parameters["n"]
        return {"total": self.total}

    @requests(on="/read")
    def read(self, **kwargs):
        return {"total": self.total}

    @requests(on="/fail")
    @write
    def fail(self, **kwargs):
        raise KeyError("nope")

    def snapshot(self, snapshot_dir):
        self.snapshots += 1
        Path(snapshot_dir, "total").write_text(str(self.total))

    def restore(self, snapshot_dir):
        self.total = int(Path(snapshot_dir, "total").read_text())


def _request(endpoint: str, **parameters) -> flowc_pb2.DataRequest:
    request = flowc_pb2.DataRequest()
    request.header.endpoint = endpoint
    request.parameters.update(parameters)
    return request


def _total(answer: flowc_pb2.DataRequest) -> int:
    return int(answer.parameters["__results__"]["c/rep-0"]["total"])


def _free() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_one_replica_group_applies_writes_once_through_the_host(tmp_path):
    with inject({"name": "Counter"}, None, {"name": "c/rep-0", "entry": "c",
                                            "workspace": str(tmp_path)}):
        executor = Counter()
    address = f"127.0.0.1:{_free()}"
    settings = RaftSettings((address,), 0, address, tmp_path / "raft",
                            {"snapshot_threshold": 3}, password=PASSWORD)
    logs: list[str] = []

    async def scenario() -> None:
        host = StatefulHost(ExecutorHost(executor, runtime_name="c/rep-0"), settings,
                            log=logs.append)
        assert host.compaction
        await host.start()
        try:
            stop = asyncio.Event()
            assert await asyncio.wait_for(host.join(stop), 30)
            answers = [await host.process(_request("/add", n=n)) for n in (1, 2, 3, 4)]
            assert [_total(a) for a in answers] == [1, 3, 6, 10]
            assert _total(await host.process(_request("/read"))) == 10  # local read
            failed = await host.process(_request("/fail"))  # the endpoint's error, as usual
            assert failed.header.status.code == flowc_pb2.Status.ERROR
            assert failed.header.status.exception.name == "KeyError"
            # an entry whose token was applied already (a resubmission) is skipped
            payload = _request("/add", n=100).SerializeToString()
            await host._apply("dup-token", payload)
            await host._apply("dup-token", payload)
            assert executor.total == 110
        finally:
            host.close()

    asyncio.run(scenario())
    assert executor.snapshots >= 1  # 6 entries with snapshot_threshold 3: compacted
    assert (tmp_path / "raft" / "snapshot.tar").is_file()
    assert any("joined the Raft cluster" in line for line in logs), logs
    assert not [line for line in logs if "failed" in line], logs


class BrokenSnapshots(Counter):
    def snapshot(self, snapshot_dir):
        raise OSError("disk full")


def test_a_failing_snapshot_keeps_the_log_says_why_once_and_writes_go_on(tmp_path):
    with inject({"name": "Counter"}, None, {"name": "c/rep-0", "entry": "c",
                                            "workspace": str(tmp_path)}):
        executor = BrokenSnapshots()
    address = f"127.0.0.1:{_free()}"
    settings = RaftSettings((address,), 0, address, tmp_path / "raft",
                            {"snapshot_threshold": 2}, password=PASSWORD)
    logs: list[str] = []

    async def scenario() -> None:
        host = StatefulHost(ExecutorHost(executor, runtime_name="c/rep-0"), settings,
                            log=logs.append)
        await host.start()
        try:
            assert await asyncio.wait_for(host.join(asyncio.Event()), 30)
            for n in range(1, 7):
                assert _total(await host.process(_request("/add", n=1))) == n
            await asyncio.sleep(0.5)  # many ticks of pysyncobj's thread
        finally:
            host.close()

    asyncio.run(scenario())
    failures = [line for line in logs if "snapshot() failed" in line]
    assert len(failures) == 1 and "OSError: disk full" in failures[0], logs
    assert not (tmp_path / "raft" / "snapshot.tar").exists()
