"""The lowering phase (compiler/lower.py): the servers of a plan; their command lines (argv.py)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from flowc.compiler.argv import gateway_addresses, port_key, raft_peer_groups, runtime_argv
from flowc.compiler.lower import lower
from flowc.compiler.plan import (RAFT, Address, Deployment, ExecutorRef, FlowInfo, Gateway, Plan,
                                 Server)

REF = ExecutorRef(kind="class", jtype="Echo")
ROOT = Path(__file__).resolve().parents[2]


def dep(name: str, needs=("gateway",), **kw) -> Deployment:
    return Deployment(name=name, executor=REF, needs=tuple(needs), **kw)


def plan(*deps: Deployment) -> Plan:
    return Plan(FlowInfo("f", "flow.yml"), Gateway(), deps, (deps[-1].name,))


def local(server: Server, purpose: str) -> str:
    return f"h:{port_key(server, purpose)}"


def test_servers_follow_the_needs_and_end_with_the_gateway():
    # `b` is written first but needs `a`: servers start callees first, in topological order
    p = plan(dep("b", ["a"]), dep("a"), dep("ext", external=(Address("x.org", 443, True),)),
             dep("inside", ["b"], placement="gateway"))
    assert [s.name for s in p.servers] == ["a/rep-0", "b/rep-0", "gateway"]
    assert p.servers[-1].routes == {"a": ("a/rep-0",), "b": ("b/rep-0",)}
    # external entries are dialled where they run; placement: gateway ones have no address
    assert gateway_addresses(p, p.servers[-1], local) == {
        "a": ["h:a/rep-0"], "b": ["h:b/rep-0"], "ext": ["grpcs://x.org:443"]}


def test_a_sharded_entry_gets_its_hooks_replicas_and_a_head_in_request_order():
    before = ExecutorRef(kind="class", jtype="Before")
    p = plan(dep("idx", shards=2, replicas=2, uses_before=before, uses_after=before))
    assert [(s.name, s.kind, s.role, s.shard, s.replica) for s in p.servers] == [
        ("idx/uses_before", "worker", "uses_before", None, None),
        ("idx/shard-0/rep-0", "worker", "executor", 0, 0),
        ("idx/shard-0/rep-1", "worker", "executor", 0, 1),
        ("idx/shard-1/rep-0", "worker", "executor", 1, 0),
        ("idx/shard-1/rep-1", "worker", "executor", 1, 1),
        ("idx/uses_after", "worker", "uses_after", None, None),
        ("idx/head", "head", "head", None, None),
        ("gateway", "gateway", "gateway", None, None)]
    head = p.server("idx/head")
    assert head.shards == (("idx/shard-0/rep-0", "idx/shard-0/rep-1"),
                           ("idx/shard-1/rep-0", "idx/shard-1/rep-1"))
    assert p.servers[-1].routes == {"idx": ("idx/head",)}
    argv = runtime_argv(p, head, local, plan_path="plan.json", port="9").render()
    assert argv == ["flowc-runtime", "head", "--plan", "plan.json", "--deployment", "idx",
                    "--port", "9", "--shards",
                    '[["h:idx/shard-0/rep-0","h:idx/shard-0/rep-1"],'
                    '["h:idx/shard-1/rep-0","h:idx/shard-1/rep-1"]]',
                    "--uses-before", "h:idx/uses_before", "--uses-after", "h:idx/uses_after"]


def test_replicas_behind_one_address_are_listed_once():
    p = plan(dep("enc", replicas=3))
    one = gateway_addresses(p, p.servers[-1], lambda s, _: "dns:///enc:8080")
    assert one == {"enc": ["dns:///enc:8080"]}


def test_every_kind_of_command_line():
    p = plan(dep("enc", replicas=2))
    worker = runtime_argv(p, p.server("enc/rep-1"), local, plan_path="p.json", port="7",
                          base_dir="/app", host="127.0.0.1").render()
    assert worker == ["flowc-runtime", "worker", "--plan", "p.json", "--host", "127.0.0.1",
                      "--base-dir", "/app", "--deployment", "enc", "--shard", "0",
                      "--replica", "1", "--port", "7"]
    gateway = runtime_argv(p, p.servers[-1], local, plan_path="p.json", port="8").render()
    assert gateway[-2:] == ["--addresses", '{"enc":["h:enc/rep-0","h:enc/rep-1"]}']


def test_argv_lets_a_target_adjust_its_packaging():
    p = plan(dep("enc"))
    argv = runtime_argv(p, p.server("enc/rep-0"), local, plan_path="p", port="1")
    argv.drop("--replica").set("--port", "${PORT}").set("--flag", None)
    assert argv.get("--port") == "${PORT}" and argv.get("--replica") is None
    assert argv.render()[-3:] == ["--port", "${PORT}", "--flag"]


def test_stateful_replicas_get_a_raft_port_and_their_shard_as_peers():
    p = plan(dep("kv", stateful=True, replicas=3, shards=2))
    replica = p.server("kv/shard-1/rep-2")
    assert replica.ports == ("grpc", RAFT)
    assert [s.name for s in p.raft_peers(replica)] == [
        "kv/shard-1/rep-0", "kv/shard-1/rep-1", "kv/shard-1/rep-2"]
    groups = raft_peer_groups(p, local)
    assert groups == {"kv": [[f"h:kv/shard-{s}/rep-{r}/raft" for r in range(3)]
                             for s in range(2)]}


def test_a_plan_with_a_cycle_or_unknown_need_cannot_be_ordered():
    with pytest.raises(ValueError, match="cycle"):
        lower(plan(dep("a", ["b"]), dep("b", ["a"])))
    with pytest.raises(ValueError, match="'nope'"):
        lower(plan(dep("a", ["nope"])))


def test_servers_are_derived_never_stale_and_not_written_to_plan_json():
    p = plan(dep("a"))
    assert "servers" not in json.loads(p.to_json())
    assert Plan.from_json(p.to_json()).servers == p.servers == lower(p)
    wider = dataclasses.replace(p, deployments=(dep("a", replicas=2),))
    assert [s.name for s in wider.servers] == ["a/rep-0", "a/rep-1", "gateway"]


def test_no_target_enumerates_shards_or_replicas_itself():
    """Which servers exist is the lowering's alone: a target that loops over an entry's shards
    or replicas, or builds a runtime command line by hand, is deciding it again."""
    pattern = re.compile(r"range\((dep|d)\.(shards|replicas)\)|\"--(shards|raft-peers|addresses)\"")
    offenders = []
    for path in sorted((ROOT / "targets").glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            adjusting = ".set(\"--" in line or ".get(\"--" in line  # an Argv the lowering made
            if pattern.search(line) and not adjusting:
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("protocols, purposes", [
    (("grpc",), ("grpc",)), (("grpc", "http"), ("grpc", "http")), (("http",), ("grpc", "http")),
    (("http", "grpc", "websocket"), ("grpc", "http", "websocket"))])
def test_the_gateway_listens_for_each_protocol_and_always_for_grpc(protocols, purposes):
    p = dataclasses.replace(plan(dep("a")), gateway=Gateway(protocols=protocols))
    gateway = p.servers[-1]
    assert gateway.ports == purposes
    argv = runtime_argv(p, gateway, local, plan_path="plan.json", port="1",
                        web_ports={"http": "2", "websocket": "3"}).render()
    assert ("--http-port" in argv) == ("http" in protocols)
    assert ("--websocket-port" in argv) == ("websocket" in protocols)
