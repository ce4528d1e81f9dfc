"""The gateway's routing table derived from plans."""

from __future__ import annotations

import json

import pytest

from flowc.compiler.plan import Address, Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.runtime.topology import TopologyError, build_topology, parse_addresses

REF = ExecutorRef(kind="class", jtype="Echo")


def dep(name, needs=("gateway",), **kw):
    return Deployment(name=name, executor=REF, needs=tuple(needs), **kw)


def plan(*deps, responders=None, **gw):
    return Plan(flow=FlowInfo(name="t", source="flow.yml"), gateway=Gateway(**gw),
                deployments=tuple(deps), responders=tuple(responders or (deps[-1].name,)))


def addrs(*names):
    return {n: [f"127.0.0.1:{9000 + i}"] for i, n in enumerate(names)}


def test_chain_is_detected():
    p = plan(dep("a"), dep("b", ["a"]), dep("c", ["b"]))
    topo = build_topology(p, addrs("a", "b", "c"))
    assert topo.chain and [n.name for n in topo.nodes] == ["a", "b", "c"]
    assert topo.awaited == ("a", "b", "c")


def test_diamond_floating_and_order():
    p = plan(dep("join", ["left", "right"]), dep("left"), dep("right"),
             dep("log", ["left"], floating=True), dep("after_log", ["log"], floating=True),
             responders=["join"])
    topo = build_topology(p, addrs("join", "left", "right", "log", "after_log"))
    assert [n.name for n in topo.nodes] == ["left", "right", "join", "log", "after_log"]
    assert not topo.chain
    assert topo.awaited == ("left", "right", "join")
    # the compiler makes what needs a floating entry floating too (FC520); the gateway reads it
    assert topo.node("after_log").floating


def test_when_timeouts_retries_and_placement():
    p = plan(dep("a", when={"tags__x": {"$eq": 1}}, timeout_send=250, retries=2),
             dep("b", ["a"], placement="gateway"), timeout_send=900, retries=5)
    topo = build_topology(p, addrs("a"))
    a, b = topo.nodes
    assert a.when is not None and a.timeout_ms == 250 and a.retries == 2
    assert b.in_gateway and b.addresses == () and b.timeout_ms == 900 and b.retries == 5


def test_external_addresses_come_from_the_plan():
    p = plan(dep("ext", external=(Address("example.org", 443, tls=True),
                                  Address("10.0.0.1", 80))))
    topo = build_topology(p, {})
    # as the targets write them into --addresses (one rule: Address.target)
    assert topo.nodes[0].addresses == ("grpcs://example.org:443", "10.0.0.1:80")


@pytest.mark.parametrize("deps,addresses,needle", [
    ([dep("a")], {}, "no address for entry 'a'"),
    ([dep("a")], {"a": ["h:1"], "zz": ["h:2"]}, "zz"),
    ([dep("a", ["b"]), dep("b", ["a"])], {"a": ["h:1"], "b": ["h:2"]}, "cycle"),
    ([dep("a", ["nope"])], {"a": ["h:1"]}, "'nope'"),
    ([dep("a", when={"tags__x": 3})], {"a": ["h:1"]}, "when"),
    ([dep("a", placement="gateway", shards=2)], {}, "shards"),
])
def test_errors_name_the_problem(deps, addresses, needle):
    with pytest.raises(TopologyError, match=needle):
        build_topology(plan(*deps), addresses)


def test_parse_addresses_json_string_and_file(tmp_path):
    assert parse_addresses('{"a": "h:1", "b": ["h:2", "h:3"]}') == {"a": ["h:1"],
                                                                    "b": ["h:2", "h:3"]}
    f = tmp_path / "addr.json"
    f.write_text(json.dumps({"a": ["h:1"]}))
    assert parse_addresses(f"@{f}") == {"a": ["h:1"]}
    for bad in ("[1]", "{", '{"a": [1]}', f"@{tmp_path}/missing.json"):
        with pytest.raises(TopologyError):
            parse_addresses(bad)


def test_polling_table():
    d = dep("idx", shards=2, polling={"*": "ANY", "/search": "ALL", "/custom": "all"})
    assert [d.polling_for(e) for e in ("/index", "/search", "/custom")] == ["ANY", "ALL", "ALL"]
    assert dep("x", polling={"*": "ALL"}).polling_for("/index") == "ALL"
