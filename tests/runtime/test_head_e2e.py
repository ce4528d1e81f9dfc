"""End to end: shard heads (polling per endpoint, replicas, uses_before/uses_after, failed shards)
with real worker processes behind the gateway, from examples/shards."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flowc_gateway_harness import (EXAMPLES, RunningFlow, compile_example, decode,  # noqa: E402
                                   generic_docs)

from flowc.compiler.plan import ExecutorRef  # noqa: E402
from flowc.runtime.head import parse_shards  # noqa: E402
from flowc.runtime.proto import flowc_pb2  # noqa: E402

OK = flowc_pb2.Status.SUCCESS
BASE = EXAMPLES / "shards"


@pytest.fixture(scope="module")
def shards_flow(tmp_path_factory):
    flow = RunningFlow(compile_example("shards"), BASE, tmp_path_factory.mktemp("shards"))
    flow.start()
    yield flow
    assert flow.stop() == [0] * 6, flow.logs()  # 4 workers, head, gateway: all exit 0


def test_all_polling_asks_every_shard_and_merges_in_shard_order(shards_flow):
    for endpoint in ("/search", "/lookup"):
        out = shards_flow.post(endpoint, docs=generic_docs({"id": "q1"}, {"id": "q2"}))
        assert out.header.status.code == OK
        docs = decode(out)
        assert [d.id for d in docs] == ["q1", "q2"]
        assert [m.id for m in docs[0].matches] == ["q1-shard-0", "q1-shard-1"]
        assert docs[1].tags == {"seen_by_shard_0": True, "seen_by_shard_1": True}


def test_endpoints_through_gateway_and_head(shards_flow):
    reply = shards_flow.stub.Endpoints(flowc_pb2.EndpointsRequest(), timeout=20)
    assert {"/search", "/lookup", "/default"} <= {e.endpoint for e in reply.endpoints}


def test_any_polling_round_robins_shards_then_replicas(shards_flow):
    seen = []
    for _ in range(8):
        doc = decode(shards_flow.post("/where", docs=generic_docs({"id": "x"})))[0]
        seen.append((int(doc.tags["shard"]), int(doc.tags["replica"])))
    assert sorted(set(seen)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert seen[:4] == seen[4:]  # a fixed rotation
    assert [s for s, _ in seen] in ([0, 1] * 4, [1, 0] * 4)  # shards alternate


def test_all_polling_keeps_every_shards_results_under_its_own_name(tmp_path):
    plan = compile_example("shards")
    deps = tuple(dataclasses.replace(d, replicas=1, polling={**d.polling, "/status": "ALL"})
                 for d in plan.deployments)
    with RunningFlow(dataclasses.replace(plan, deployments=deps), BASE, tmp_path) as flow:
        out = flow.post("/status", docs=generic_docs({"id": "q"}))
        results = out.parameters.fields["__results__"].struct_value
        assert {key: dict(value.struct_value) for key, value in results.fields.items()} == {
            "lookup/shard-0/rep-0": {"shard": 0, "replica": 0},
            "lookup/shard-1/rep-0": {"shard": 1, "replica": 0}}


def test_uses_before_and_uses_after(tmp_path):
    plan = compile_example("shards")
    ref = lambda cls: ExecutorRef(kind="class", jtype=cls, py_modules=("executors.py",))  # noqa
    deps = tuple(dataclasses.replace(d, replicas=1, uses_before=ref("Before"),
                                     uses_after=ref("After")) for d in plan.deployments)
    plan = dataclasses.replace(plan, deployments=deps)
    with RunningFlow(plan, BASE, tmp_path) as flow:
        docs = decode(flow.post("/search", docs=generic_docs({"id": "q"})))
        assert docs[0].tags["before"] is True and docs[0].tags["after_parts"] == 2
        assert [m.id for m in docs[0].matches] == ["q-shard-0", "q-shard-1"]
        one = decode(flow.post("/where", docs=generic_docs({"id": "q"})))[0]
        assert one.tags["before"] is True and one.tags["after_parts"] == 1


def test_failed_shard_is_tolerated_and_named(tmp_path):
    plan = compile_example("shards")
    plan = dataclasses.replace(plan, deployments=tuple(
        dataclasses.replace(d, replicas=1, retries=0) for d in plan.deployments))
    with RunningFlow(plan, BASE, tmp_path) as flow:
        assert flow.post("/search", docs=generic_docs({"id": "q"})).header.status.code == OK
        victim = next(p for label, p in flow.procs if label == "lookup-executor-1-0")
        victim.terminate()
        victim.wait(10)
        flow.procs = [(lbl, p) for lbl, p in flow.procs if p is not victim]
        out = flow.post("/search", docs=generic_docs({"id": "q"}))
        assert out.header.status.code == OK
        assert "shard 1" in out.header.status.description
        assert [m.id for m in decode(out)[0].matches] == ["q-shard-0"]
        for _ in range(3):  # ANY skips the unreachable shard
            assert flow.post("/where", docs=generic_docs({"id": "q"})).header.status.code == OK
    assert "continuing without failed shards: shard 1" in (tmp_path / "lookup-head.log").read_text()


def test_parse_shards():
    assert parse_shards('[["a:1", "b:2"], "c:3"]') == [["a:1", "b:2"], ["c:3"]]
    for bad in ("[]", "{}", "[[]]", "[[1]]"):
        with pytest.raises(ValueError):
            parse_shards(bad)


def test_head_command_line_errors(tmp_path):
    import subprocess

    from flowc_gateway_harness import free_port, runtime_cmd

    plan_path = tmp_path / "plan.json"
    plan_path.write_text(compile_example("shards").to_json())
    for extra, needle in (
            (["--deployment", "nope", "--shards", '[["127.0.0.1:1"]]'], "no entry 'nope'"),
            (["--deployment", "lookup", "--shards", "[]"], "--shards must be"),
            (["--deployment", "lookup", "--shards", '[["bad"]]'], "not host:port")):
        out = subprocess.run(runtime_cmd("head", "--plan", plan_path, "--port", free_port(),
                                         *extra), capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and needle in out.stderr, out.stderr
        assert "Traceback" not in out.stderr
