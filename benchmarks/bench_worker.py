"""Runtime core figures of one worker (a script, not a test): run with

    .venv/bin/python benchmarks/bench_worker.py

(The whole Flow against Jina, and the per-hop overhead against a raw grpcio echo, are in
`benchmarks/bench_runtime.py`, which replaces tests/runtime/bench_gateway_overhead.py.)

- worker start-to-SERVING (a pass-through executor, cold process, median of 7);
- encode/decode of 1 and 100 generic text documents (CPU µs);
- client→worker unary round trip for 1 document, p50/p90 (µs), through `Client.post` (which
  encodes and decodes) and through the raw stub (bytes prepared once).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan

PASS = '''
from flowc.runtime import Executor, requests


class Pass(Executor):
    @requests
    def foo(self, docs, **kwargs):
        return None
'''
FAST = [("grpc.initial_reconnect_backoff_ms", 10), ("grpc.min_reconnect_backoff_ms", 10),
        ("grpc.max_reconnect_backoff_ms", 20)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(plan: Path, port: int) -> tuple[subprocess.Popen, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "flowc.runtime", "worker", "--plan", str(plan),
                             "--deployment", "p", "--port", str(port), "--host", "127.0.0.1"],
                            stderr=subprocess.DEVNULL, env=child_env())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=FAST)
    stub = health_pb2_grpc.HealthStub(channel)
    while True:
        try:
            if stub.Check(health_pb2.HealthCheckRequest(), timeout=0.05).status == 1:
                break
        except grpc.RpcError:
            time.sleep(0.002)
    elapsed = time.perf_counter() - t0
    channel.close()
    return proc, elapsed


def child_env() -> dict[str, str]:
    """A private, writable bytecode cache (as installed software has; see bench_runtime.py)."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=os.environ.get(
        "PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(), "pyc-bench-runtime")))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def per_call_us(fn, n: int) -> float:
    """CPU µs per call (process time: stable on a machine shared with other work)."""
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n * 1e6


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="flowc-bench-"))
    (folder / "execs.py").write_text(PASS)
    ref = ExecutorRef(kind="class", jtype="Pass", py_modules=("execs.py",))
    plan = Plan(flow=FlowInfo(name="b", source="flow.yml"), gateway=Gateway(),
                deployments=(Deployment(name="p", executor=ref, needs=("gateway",)),),
                responders=("p",))
    (folder / "plan.json").write_text(plan.to_json())

    warm, _ = start(folder / "plan.json", free_port())  # untimed: fills the bytecode cache
    warm.kill()
    warm.wait()
    starts, cpu = [], []
    for _ in range(7):
        proc, elapsed = start(folder / "plan.json", free_port())
        starts.append(elapsed)
        proc.kill()  # SIGKILL right after SERVING: its CPU time is the start-up's
        _, _, usage = os.wait4(proc.pid, 0)
        cpu.append(usage.ru_utime + usage.ru_stime)
    print(f"worker start-to-SERVING: median {statistics.median(starts) * 1000:.0f} ms wall "
          f"(min {min(starts) * 1000:.0f}, max {max(starts) * 1000:.0f}); "
          f"CPU used {statistics.median(cpu) * 1000:.0f} ms (median; load-independent)")

    from docarray import DocList

    from flowc.runtime import Client
    from flowc.runtime.docs import decode_docs, encode_docs
    from flowc.runtime.generic_doc import GenericDoc
    from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc

    for n, reps in ((1, 3000), (100, 100)):
        docs = DocList[GenericDoc]([GenericDoc(text=f"hello world {i}") for i in range(n)])
        data = encode_docs(docs)
        enc = per_call_us(lambda: encode_docs(docs), reps)
        dec = per_call_us(lambda: decode_docs(data), reps)
        print(f"{n:>3} text docs: encode {enc:,.0f} µs, decode {dec:,.0f} µs ({len(data)} bytes)")

    port = free_port()
    proc, _ = start(folder / "plan.json", port)
    try:
        client = Client(host="127.0.0.1", port=port)
        one = DocList[GenericDoc]([GenericDoc(text="hello")])
        for _ in range(200):
            client.post("/", one)
        samples = []
        for _ in range(2000):
            t0 = time.perf_counter()
            client.post("/", one)
            samples.append(time.perf_counter() - t0)
        samples.sort()
        print(f"Client.post 1 doc round trip: p50 {samples[1000] * 1e6:.0f} µs, "
              f"p90 {samples[1800] * 1e6:.0f} µs, {len(samples) / sum(samples):.0f} req/s")
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        process = flowc_pb2_grpc.FlowcStub(channel).Process
        request = flowc_pb2.DataRequest(docs=encode_docs(one))
        request.header.endpoint = "/"
        raw = []
        for _ in range(2000):
            t0 = time.perf_counter()
            process(request)
            raw.append(time.perf_counter() - t0)
        raw.sort()
        print(f"raw stub 1 doc round trip:    p50 {raw[1000] * 1e6:.0f} µs, "
              f"p90 {raw[1800] * 1e6:.0f} µs")
        channel.close()
        client.close()
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
