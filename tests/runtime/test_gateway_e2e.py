"""End to end: real worker processes and the gateway on 127.0.0.1, driven over gRPC.

Every example under examples/ is compiled with the compiler and run here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, str(Path(__file__).parent))
from flowc_gateway_harness import (EXAMPLES, RunningFlow, compile_example, decode,  # noqa: E402
                                   free_port, generic_docs, results_of, runtime_cmd)

from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc  # noqa: E402

OK = flowc_pb2.Status.SUCCESS


def with_deployment(plan, name, **changes):
    deps = tuple(dataclasses.replace(d, **changes) if d.name == name else d
                 for d in plan.deployments)
    return dataclasses.replace(plan, deployments=deps)


def test_chain_example(tmp_path):
    with RunningFlow(compile_example("chain"), EXAMPLES / "chain", tmp_path) as flow:
        out = flow.post(docs=generic_docs("hello", "world"))
        assert out.header.status.code == OK
        assert [d.text for d in decode(out)] == ["HELLO! [demo]", "WORLD! [demo]"]
        assert [r.executor for r in out.routes] == ["gateway", "upper", "tag"]
        reply = flow.stub.Endpoints(flowc_pb2.EndpointsRequest(), timeout=10)
        assert reply.executor == "gateway" and "/default" in [e.endpoint for e in reply.endpoints]


def test_diamond_docs_matrix_and_reduce(tmp_path):
    plan = compile_example("diamond")
    docs = ({"id": "a", "text": "a"}, {"id": "b", "text": "b"})
    with RunningFlow(plan, EXAMPLES / "diamond", tmp_path / "matrix") as flow:
        out = decode(flow.post(docs=generic_docs(*docs)))
    assert [(d.id, d.text) for d in out] == [("a", "a L | a R"), ("b", "b L | b R")]
    assert out[0].tags == {"split": True, "left": True, "right": True, "parts": 2}

    reduced = with_deployment(plan, "merge", disable_reduce=False)
    with RunningFlow(reduced, EXAMPLES / "diamond", tmp_path / "reduce") as flow:
        out = decode(flow.post(docs=generic_docs(*docs)))
        # many requests at once: each answer holds exactly its own documents
        from concurrent.futures import ThreadPoolExecutor

        def one(i):
            got = decode(flow.post(docs=generic_docs({"id": f"{i}-x"}, {"id": f"{i}-y"})))
            return i, [d.id for d in got]

        with ThreadPoolExecutor(8) as pool:
            for i, got in pool.map(one, range(40)):
                assert got == [f"{i}-x", f"{i}-y"]
    # merged by id; `left` is first in needs, so its text wins; tags merged key by key
    assert [(d.id, d.text) for d in out] == [("a", "a L"), ("b", "b L")]
    assert out[0].tags == {"split": True, "left": True, "right": True, "parts": 1}


def test_when_example_routes_by_filter_and_keeps_order(tmp_path):
    sizes = [3, 50, 7, 12]
    docs = [{"id": f"d{i}", "tags": {"size": s}} for i, s in enumerate(sizes)]
    docs.append({"id": "forced", "tags": {"size": 1, "force": "large"}})
    with RunningFlow(compile_example("when"), EXAMPLES / "when", tmp_path) as flow:
        out = decode(flow.post(docs=generic_docs(*docs)))
    assert [d.id for d in out] == ["d0", "d1", "d2", "d3", "forced"]
    # `forced` matches both filters: both branches label it, and `small` (first in needs) wins
    assert [d.tags.get("label") for d in out] == ["small", "large", "small", "large", "small"]
    assert all(d.tags["collected"] == "collected" for d in out)


def test_parameters_results_placement_and_floating(tmp_path):
    plan = compile_example("parameters")
    plan = dataclasses.replace(plan, flow=dataclasses.replace(plan.flow,
                                                              workspace=str(tmp_path / "ws")))
    with RunningFlow(plan, EXAMPLES / "parameters", tmp_path) as flow:
        gateway_pid = next(p.pid for label, p in flow.procs if label == "gateway")
        flow.post(docs=generic_docs("warm up"))  # first requests pay for lazy imports
        started = time.monotonic()
        out = flow.post(docs=generic_docs("  Hello ", "World", "x"),
                        parameters={"top_k": 2, "score__boost": 10})
        elapsed = time.monotonic() - started
        assert out.header.status.code == OK
        got = decode(out)
        assert [(d.text, d.tags["score"]) for d in got] == [("hello", 50.0), ("world", 50.0)]
        assert elapsed < 0.5, "the response waited for the floating entry (delay 0.5 s)"

        status = flow.post("/status", parameters={"top_k": 10, "score": {"boost": 3}})
        results = results_of(status)
        assert results["clean/rep-0"]["pid"] == gateway_pid  # placement: gateway, in-process
        assert results["score/rep-0"]["top_k"] == 10 and results["score/rep-0"]["boost"] == 3
        assert json.loads(json.dumps(status.parameters["top_k"])) == 10

        log = tmp_path / "ws" / "Audit" / "0" / "audit.log"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (log.exists() and log.read_text().strip()):
            time.sleep(0.1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "hello world x" not in log.read_text():
            time.sleep(0.1)
        assert "hello world x" in log.read_text()


def test_error_stops_later_hops_with_executor_name(tmp_path):
    with RunningFlow(compile_example("errors"), EXAMPLES / "errors", tmp_path) as flow:
        bad = flow.post("/fail", docs=generic_docs({"id": "x"}))
        status = bad.header.status
        assert status.code == flowc_pb2.Status.ERROR
        assert status.exception.executor == "fragile/rep-0"
        assert status.exception.name == "ValueError" and "fragile" in status.description
        assert [r.executor for r in bad.routes] == ["gateway", "first", "fragile"]
        good = decode(flow.post(docs=generic_docs({"id": "y"})))
        assert good[0].tags["path"] == "/first/fragile/last"  # the worker kept serving


def test_overrides_example(tmp_path):
    with RunningFlow(compile_example("overrides"), EXAMPLES / "overrides", tmp_path) as flow:
        about = decode(flow.post("/about", docs=generic_docs("x")))[0].tags
        greeted = decode(flow.post(docs=generic_docs("Ann")))[0].text
    assert about["greeting"] == "Bonjour" and about["punctuation"] == "!"
    assert about["metas_name"] == "greeter_from_flow"
    assert about["description"] == "greets documents"
    assert "/about" in about["endpoints"] and "/describe" not in about["endpoints"]
    assert greeted == "Bonjour, Ann!"


def test_replicas_round_robin_and_retry_when_one_is_down(tmp_path):
    plan = with_deployment(compile_example("errors"), "first", replicas=2)
    with RunningFlow(plan, EXAMPLES / "errors", tmp_path) as flow:
        for _ in range(4):
            assert flow.post(docs=generic_docs("a")).header.status.code == OK
        victim = next(p for label, p in flow.procs if label == "first-executor-0-1")
        victim.terminate()
        victim.wait(10)
        flow.procs = [(lbl, p) for lbl, p in flow.procs if p is not victim]
        for _ in range(6):  # every request still answered: retried on the live replica
            out = flow.post(docs=generic_docs("a"))
            assert out.header.status.code == OK, out.header.status.description


def test_timeout_send_gives_an_error_naming_the_entry(tmp_path):
    plan = compile_example("parameters")
    plan = dataclasses.replace(plan, flow=dataclasses.replace(plan.flow,
                                                              workspace=str(tmp_path / "ws")))
    audit = plan.deployment("audit")
    plan = with_deployment(plan, "audit", floating=False, timeout_send=200,
                           executor=dataclasses.replace(audit.executor, uses_with={"delay": 2.0}))
    plan = dataclasses.replace(plan, responders=("audit",))
    with RunningFlow(plan, EXAMPLES / "parameters", tmp_path) as flow:
        warm = flow.post(docs=generic_docs("x"), target="(clean|score)$")  # skips audit
        assert warm.header.status.code == OK
        started = time.monotonic()
        out = flow.post(docs=generic_docs("x"))
        elapsed = time.monotonic() - started
    status = out.header.status
    assert status.code == flowc_pb2.Status.ERROR and status.exception.executor == "audit"
    assert "200 ms" in status.description and elapsed < 1.5


def test_gateway_serving_only_after_every_node(tmp_path):
    plan = compile_example("chain")
    flow = RunningFlow(plan, EXAMPLES / "chain", tmp_path)
    flow.plan_path = tmp_path / "plan.json"
    flow.plan_path.write_text(plan.to_json())
    ports = {d.name: free_port() for d in plan.deployments}
    gw = free_port()
    addresses = {n: [f"127.0.0.1:{p}"] for n, p in ports.items()}
    try:
        flow.spawn("gateway", runtime_cmd("gateway", "--plan", flow.plan_path, "--port", gw,
                                          "--host", "127.0.0.1", "--addresses",
                                          json.dumps(addresses)))
        with grpc.insecure_channel(f"127.0.0.1:{gw}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            deadline = time.monotonic() + 20
            status = None
            while time.monotonic() < deadline:
                try:
                    status = stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                    break
                except grpc.RpcError:
                    time.sleep(0.05)
            assert status == health_pb2.HealthCheckResponse.NOT_SERVING
            for name, port in ports.items():  # now start the workers on the promised ports
                flow.spawn(name, runtime_cmd("worker", "--plan", flow.plan_path, "--deployment",
                                             name, "--port", port, "--host", "127.0.0.1",
                                             "--base-dir", EXAMPLES / "chain"))
            flow.wait_serving(f"127.0.0.1:{gw}", 60)
            flow.port = gw
            assert decode(flow.post(docs=generic_docs("a")))[0].text == "A! [demo]"
    finally:
        codes = flow.stop()
    assert codes == [0, 0, 0], flow.logs()


def test_bad_addresses_is_a_clear_error(tmp_path):
    import subprocess

    plan_path = tmp_path / "plan.json"
    plan_path.write_text(compile_example("chain").to_json())
    out = subprocess.run(runtime_cmd("gateway", "--plan", plan_path, "--port", free_port(),
                                     "--addresses", '{"upper": ["127.0.0.1:1"]}'),
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "no address for entry 'tag'" in out.stderr
    assert "Traceback" not in out.stderr


def test_in_process_start_failure_names_the_entry(tmp_path):
    import subprocess

    plan = compile_example("parameters")
    clean = plan.deployment("clean")
    plan = with_deployment(plan, "clean", executor=dataclasses.replace(clean.executor,
                                                                       jtype="NoSuchClass"))
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(plan.to_json())
    addresses = {"score": ["127.0.0.1:1"], "audit": ["127.0.0.1:2"]}
    out = subprocess.run(runtime_cmd("gateway", "--plan", plan_path, "--port", free_port(),
                                     "--base-dir", EXAMPLES / "parameters",
                                     "--addresses", json.dumps(addresses)),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "cannot start clean/rep-0 (placement: gateway)" in out.stderr
    assert "NoSuchClass" in out.stderr
