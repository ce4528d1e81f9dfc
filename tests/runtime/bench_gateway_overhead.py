"""Benchmark (not a test): per-hop overhead of the gateway and request rates through it.

    .venv/bin/python tests/runtime/bench_gateway_overhead.py [--seconds 3]

Starts real processes on 127.0.0.1: (1) one passthrough worker, called directly and through a
gateway (the difference is the gateway's per-hop overhead); (2) gateway + 3 passthrough workers in
a chain, driven by flowc's Client sequentially with 1 and 100 text documents per request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from flowc_gateway_harness import RunningFlow, generic_docs  # noqa: E402

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan  # noqa: E402

PASS = '''
from flowc.runtime import Executor, requests


class Pass(Executor):
    @requests
    def noop(self, docs, **kwargs):
        pass
'''


def chain_plan(n: int) -> Plan:
    ref = ExecutorRef(kind="class", jtype="Pass", py_modules=("passthrough.py",))
    names = [f"p{i}" for i in range(n)]
    deps = tuple(Deployment(name=name, executor=ref, needs=(names[i - 1] if i else "gateway",))
                 for i, name in enumerate(names))
    return Plan(flow=FlowInfo(name="bench", source="flow.yml"), gateway=Gateway(),
                deployments=deps, responders=(names[-1],))


def timed(call, seconds: float) -> tuple[float, float]:
    for _ in range(50):
        call()
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return len(samples) / sum(samples), statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    import grpc

    from flowc.runtime import Client
    from flowc.runtime.docs import encode_docs
    from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "passthrough.py").write_text(PASS)
        one_doc = encode_docs(generic_docs("hello world"))
        request = flowc_pb2.DataRequest(docs=one_doc)
        request.header.endpoint = "/default"

        with RunningFlow(chain_plan(1), base, base / "one") as flow:
            worker = flow.addresses["p0"][0]
            with grpc.insecure_channel(worker) as direct, \
                    grpc.insecure_channel(f"127.0.0.1:{flow.port}") as via:
                d = flowc_pb2_grpc.FlowcStub(direct).Process
                g = flowc_pb2_grpc.FlowcStub(via).Process
                rate_d, p50_d = timed(lambda: d(request), args.seconds)
                rate_g, p50_g = timed(lambda: g(request), args.seconds)
        print(f"raw stub, 1 doc: client->worker   {rate_d:8.0f} req/s  p50 {p50_d:.3f} ms")
        print(f"raw stub, 1 doc: client->gateway->worker {rate_g:8.0f} req/s  p50 {p50_g:.3f} ms")
        print(f"gateway overhead per hop (p50 difference): {p50_g - p50_d:.3f} ms")

        with RunningFlow(chain_plan(3), base, base / "three") as flow:
            hundred = flowc_pb2.DataRequest(docs=encode_docs(generic_docs(
                *[f"document number {i} with a little text" for i in range(100)])))
            with grpc.insecure_channel(f"127.0.0.1:{flow.port}") as via:
                g = flowc_pb2_grpc.FlowcStub(via).Process
                for label, req in (("1 doc", request), ("100 docs", hundred)):
                    rate, p50 = timed(lambda: g(req), args.seconds)
                    print(f"raw stub, gateway + 3 passthrough, {label:8s}: {rate:8.0f} req/s  "
                          f"p50 {p50:.3f} ms")
            client = Client(host="127.0.0.1", port=flow.port)
            docs1 = generic_docs("hello world")
            docs100 = generic_docs(*[f"document number {i} with a little text" for i in
                                     range(100)])
            for label, docs in (("1 doc", docs1), ("100 docs", docs100)):
                rate, p50 = timed(lambda: client.post("/default", docs, request_size=100),
                                  args.seconds)
                print(f"flowc Client, gateway + 3 passthrough, {label:8s}: {rate:8.0f} req/s  "
                      f"p50 {p50:.3f} ms")
            client.close()


if __name__ == "__main__":
    main()
