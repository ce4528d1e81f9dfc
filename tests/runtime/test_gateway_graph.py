"""Graph execution of the gateway with in-process fake hops (no network): semantics only."""

from __future__ import annotations

import asyncio
import logging

import pytest
from docarray import DocList
from google.protobuf.json_format import MessageToDict

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.runtime.channels import HopFailure
from flowc.runtime.docs import decode_docs, encode_docs
from flowc.runtime.endpoints import union_endpoints
from flowc.runtime.graph_runner import GraphRunner
from flowc.runtime.generic_doc import GenericDoc
from flowc.runtime.proto import flowc_pb2
from flowc.runtime.topology import build_topology

REF = ExecutorRef(kind="class", jtype="X")


def dep(name, needs=("gateway",), **kw):
    return Deployment(name=name, executor=REF, needs=tuple(needs), **kw)


def plan(*deps, responders=None):
    return Plan(flow=FlowInfo(name="t", source="f.yml"), gateway=Gateway(),
                deployments=tuple(deps), responders=tuple(responders or (deps[-1].name,)))


class Fake:
    """A hop that tags each document with its name (or fails / sleeps / returns results)."""

    def __init__(self, name, *, fail=False, unreachable=False, delay=0.0, results=None,
                 text=None):
        self.name, self.fail, self.unreachable, self.delay = name, fail, unreachable, delay
        self.results, self.text = results, text
        self.seen: list[list[str]] = []
        self.matrix: list[list[list[str]]] = []

    async def process(self, request, timeout_ms=None):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.unreachable:
            raise HopFailure(self.name, "unavailable", f"{self.name} is unreachable")
        docs = decode_docs(request.docs)
        self.seen.append([d.id for d in docs])
        self.matrix.append([[d.id for d in decode_docs(p)] for p in request.docs_matrix])
        self.params = MessageToDict(request.parameters)
        reply = flowc_pb2.DataRequest()
        reply.CopyFrom(request)
        if self.fail:
            reply.header.status.code = flowc_pb2.Status.ERROR
            reply.header.status.description = f"{self.name}/rep-0: ValueError: boom"
            reply.header.status.exception.executor = f"{self.name}/rep-0"
            return reply
        for d in docs:
            d.tags[self.name] = True
            if self.text is not None:
                d.text = self.text
        reply.docs = encode_docs(docs)
        if self.results is not None:
            reply.parameters.get_or_create_struct("__results__").update(
                {f"{self.name}/rep-0": self.results})
        return reply

    async def endpoints(self):
        return flowc_pb2.EndpointsReply(executor=self.name, endpoints=[
            flowc_pb2.EndpointInfo(endpoint=f"/{self.name}", input_schema="in-" + self.name,
                                   output_schema="out-" + self.name),
            flowc_pb2.EndpointInfo(endpoint="/default", input_schema="in-" + self.name,
                                   output_schema="out-" + self.name)])

    async def close(self):
        pass


def run(p, fakes, docs=(), parameters=None, target="", runner_out=None):
    topo = build_topology(p, {d.name: ["127.0.0.1:1"] for d in p.deployments})
    hops = {f.name: f for f in fakes}
    request = flowc_pb2.DataRequest()
    request.header.endpoint = "/default"
    request.header.target_executor = target
    if parameters:
        request.parameters.update(parameters)
    request.docs = encode_docs(DocList[GenericDoc](list(docs)))

    async def main():
        runner = GraphRunner(topo, hops)
        out = await runner.run(request)
        if runner_out is not None:
            runner_out.append(runner)
            await asyncio.sleep(0.3)
        return out

    return asyncio.run(main())


def D(i, **kw):
    return GenericDoc(id=i, **kw)


def ids(response):
    return [d.id for d in decode_docs(response.docs)]


def test_chain_passes_docs_and_client_parameters_to_every_hop():
    a, b = Fake("a", results={"n": 1}), Fake("b", results={"n": 2})
    out = run(plan(dep("a"), dep("b", ["a"])), [a, b], [D("1"), D("2")], {"top_k": 3})
    assert ids(out) == ["1", "2"] and decode_docs(out.docs)[0].tags == {"a": True, "b": True}
    assert a.params == {"top_k": 3} and b.params == {"top_k": 3}  # results never leak downstream
    assert MessageToDict(out.parameters) == {
        "top_k": 3, "__results__": {"a/rep-0": {"n": 1}, "b/rep-0": {"n": 2}}}
    assert [r.executor for r in out.routes] == ["gateway", "a", "b"]


def test_diamond_reduces_in_needs_order_regardless_of_arrival():
    p = plan(dep("l"), dep("r"), dep("j", ["r", "l"]))
    l, r, j = Fake("l", text="from-l"), Fake("r", delay=0.05, text="from-r"), Fake("j")
    out = run(p, [l, r, j], [D("1"), D("2")])
    docs = decode_docs(out.docs)
    assert [d.text for d in docs] == ["from-r", "from-r"]  # r is first in needs, though slower
    assert docs[0].tags == {"l": True, "r": True, "j": True}
    assert j.seen == [["1", "2"]] and j.matrix == [[]]


def test_disable_reduce_sends_docs_matrix_in_needs_order():
    p = plan(dep("l"), dep("r"), dep("j", ["l", "r"], disable_reduce=True))
    j = Fake("j")
    run(p, [Fake("l", delay=0.05), Fake("r"), j], [D("1"), D("2")])
    assert j.matrix == [[["1", "2"], ["1", "2"]]]
    assert j.seen == [["1", "2", "1", "2"]]


def test_when_filters_and_keeps_client_order():
    p = plan(dep("odd", when={"tags__n": {"$in": [1, 3]}}),
             dep("even", when={"tags__n": {"$in": [0, 2]}}),
             dep("join", ["odd", "even"]))
    odd, even, join = Fake("odd"), Fake("even"), Fake("join")
    docs = [D(str(i), tags={"n": i}) for i in range(4)]
    out = run(p, [odd, even, join], docs)
    assert odd.seen == [["1", "3"]] and even.seen == [["0", "2"]]
    assert ids(out) == ["0", "1", "2", "3"]  # reduce gave 1,3,0,2: the client's order is restored
    tags = [sorted(d.tags) for d in decode_docs(out.docs)]
    assert tags == [["even", "join", "n"], ["join", "n", "odd"], ["even", "join", "n"],
                    ["join", "n", "odd"]]


def test_when_in_a_chain_keeps_filtered_docs_in_the_response():
    p = plan(dep("a"), dep("only_big", ["a"], when={"tags__n": {"$gte": 10}}))
    a, big = Fake("a"), Fake("only_big")
    out = run(p, [a, big], [D("x", tags={"n": 1}), D("y", tags={"n": 20}), D("z", tags={"n": 2})])
    assert big.seen == [["y"]]
    docs = decode_docs(out.docs)
    assert [d.id for d in docs] == ["x", "y", "z"]
    assert [sorted(d.tags) for d in docs] == [["a", "n"], ["a", "n", "only_big"], ["a", "n"]]


def test_when_matching_nothing_skips_the_entry():
    big = Fake("big")
    out = run(plan(dep("big", when={"tags__n": {"$gt": 100}})), [big], [D("x", tags={"n": 1})])
    assert big.seen == [] and ids(out) == ["x"]


def test_error_stops_later_hops_and_names_the_executor():
    a, b, c = Fake("a"), Fake("b", fail=True), Fake("c")
    out = run(plan(dep("a"), dep("b", ["a"]), dep("c", ["b"])), [a, b, c], [D("1")])
    assert out.header.status.code == flowc_pb2.Status.ERROR
    assert out.header.status.exception.executor == "b/rep-0"
    assert c.seen == []


def test_error_in_a_branch_stops_the_join():
    p = plan(dep("l"), dep("r"), dep("j", ["l", "r"]))
    j = Fake("j")
    out = run(p, [Fake("l"), Fake("r", unreachable=True), j], [D("1")])
    assert out.header.status.code == flowc_pb2.Status.ERROR
    assert out.header.status.exception.executor == "r"
    assert "unreachable" in out.header.status.description and j.seen == []


def test_floating_is_not_awaited_and_its_error_is_logged(caplog):
    p = plan(dep("a"), dep("slow", ["a"], floating=True), dep("b", ["a"]), responders=["b"])
    slow = Fake("slow", delay=0.2, fail=True)
    kept = []
    with caplog.at_level(logging.ERROR, logger="flowc.gateway"):
        out = run(p, [Fake("a"), slow, Fake("b")], [D("1")], runner_out=kept)
    assert out.header.status.code == flowc_pb2.Status.SUCCESS
    assert [r.executor for r in out.routes] == ["gateway", "a", "b"]
    assert slow.seen == [["1"]]  # it did get a copy, after the response was built
    assert "slow/rep-0" in caplog.text


def test_target_executor_skips_other_entries():
    a, b = Fake("a"), Fake("b")
    out = run(plan(dep("a"), dep("b", ["a"])), [a, b], [D("1")], target="b")
    assert a.seen == [] and b.seen == [["1"]]
    assert decode_docs(out.docs)[0].tags == {"b": True}


def test_no_entries_echoes_the_request():
    p = Plan(flow=FlowInfo(name="t", source="f.yml"), gateway=Gateway(), deployments=(),
             responders=())
    out = run(p, [], [D("1")])
    assert ids(out) == ["1"] and out.header.request_id


def test_endpoint_union():
    async def both():
        return await asyncio.gather(Fake("a").endpoints(), Fake("b").endpoints())

    replies = asyncio.run(both())
    union = union_endpoints("gateway", replies)
    assert [(e.endpoint, e.input_schema, e.output_schema) for e in union.endpoints] == [
        ("/a", "in-a", "out-a"), ("/b", "in-b", "out-b"), ("/default", "in-a", "out-b")]


def test_concurrent_requests_do_not_mix():
    p = plan(dep("l"), dep("r"), dep("j", ["l", "r"]))
    topo = build_topology(p, {d.name: ["h:1"] for d in p.deployments})
    runner = GraphRunner(topo, {n: Fake(n, delay=0.01) for n in ("l", "r", "j")})

    async def one(i):
        req = flowc_pb2.DataRequest()
        req.docs = encode_docs(DocList[GenericDoc]([D(f"{i}-a"), D(f"{i}-b")]))
        return i, await runner.run(req)

    async def main():
        return await asyncio.gather(*(one(i) for i in range(20)))

    for i, out in asyncio.run(main()):
        assert ids(out) == [f"{i}-a", f"{i}-b"]


def test_invalid_target_executor_is_an_error_status():
    a = Fake("a")
    out = run(plan(dep("a")), [a], [D("1")], target="(")
    assert out.header.status.code == flowc_pb2.Status.ERROR
    assert "target_executor" in out.header.status.description and a.seen == []
