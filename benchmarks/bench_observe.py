"""What monitoring and tracing cost on the gRPC path (issue 13 §1-2), in one run; markdown out.

    .venv/bin/python benchmarks/bench_observe.py --before DIR [--rounds 5] [--seconds 4]

The Flow and the measurement are bench_runtime.py's (`benchmarks/flows/flowc/`: gateway + 3
passthrough executors in a chain, started by `flowc run`; `flows/drive.py`'s raw gRPC stub on one
channel with prepared requests, sequential 1-document requests and 8 concurrent clients), three
ways, taking turns `--rounds` times so that all see the same changes of load; each rate is the
median over rounds:

- `before`: the runtime without this change, found first on PYTHONPATH (`--before DIR` holds
  `flowc/runtime/...`, e.g. a checkout of the commit before it, its folders under `flowc/`);
- `off`: this runtime, the same Flow (no monitoring, no tracing: the default), found the same way
  (a folder on PYTHONPATH whose `flowc/` links to this repository's folders): how flowc is found
  changes its rate by itself (an editable install's finder against a folder on the path: up to
  1.5× in the same run), so both sides must be found alike;
- `on`: this runtime with `monitoring: true`, `tracing: true` and `metrics: true` on every server,
  exporting to an OTLP receiver in this process (every span and metric is sent and accepted).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent import futures
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "benchmarks" / "flows"
sys.path.insert(0, str(FLOWS))
import drive  # noqa: E402  (bench_runtime.py's driver: the same start, stop and measurement)

ON = """  monitoring: true
  tracing: true
  traces_exporter_host: 127.0.0.1
  traces_exporter_port: {otlp}
  metrics: true
  metrics_exporter_host: 127.0.0.1
  metrics_exporter_port: {otlp}
"""


# One worker's request path without the network: `ExecutorHost.process` of an executor that binds
# no endpoint (the request passes through), so what is timed is the runtime's own per-request
# code, which is where this change adds its `observer is None` test. ns per call, best of 7.
MICRO = """
import asyncio, time
from flowc.runtime.executor import Executor
from flowc.runtime.host import ExecutorHost
from flowc.runtime.proto import flowc_pb2

host = ExecutorHost(Executor(), runtime_name="p/rep-0")
request = flowc_pb2.DataRequest()
request.header.endpoint = "/default"

async def main():
    best = []
    for _ in range(7):
        t0 = time.perf_counter_ns()
        for _ in range(50_000):
            await host.process(request)
        best.append((time.perf_counter_ns() - t0) / 50_000)
    print(min(best))

asyncio.run(main())
"""


def micro(pythonpath: str | None) -> float:
    """ns per `ExecutorHost.process` call (MICRO), with `pythonpath` first on the path."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    done = subprocess.run([sys.executable, "-c", MICRO], env=env, capture_output=True,
                          text=True, check=True)
    return float(done.stdout.strip())


def otlp_receiver() -> tuple[Any, int]:
    """An OTLP gRPC endpoint accepting traces and metrics (and dropping them)."""
    import grpc
    from opentelemetry.proto.collector.metrics.v1 import (metrics_service_pb2,
                                                          metrics_service_pb2_grpc)
    from opentelemetry.proto.collector.trace.v1 import (trace_service_pb2,
                                                        trace_service_pb2_grpc)

    class Sink(trace_service_pb2_grpc.TraceServiceServicer,
               metrics_service_pb2_grpc.MetricsServiceServicer):
        def Export(self, request: Any, context: Any) -> Any:
            if isinstance(request, trace_service_pb2.ExportTraceServiceRequest):
                return trace_service_pb2.ExportTraceServiceResponse()
            return metrics_service_pb2.ExportMetricsServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Sink(), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Sink(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def linked_tree(folder: Path) -> str:
    """A folder whose `flowc/` links to this repository's packages, for PYTHONPATH."""
    (folder / "flowc").mkdir(parents=True)
    for name in ("compiler", "runtime", "schemas", "targets"):
        (folder / "flowc" / name).symlink_to(ROOT / name)
    return str(folder)


def observed_flow(folder: Path, otlp: int) -> Path:
    """benchmarks/flows/flowc/ copied with every observability key on in the Flow's `with:`."""
    shutil.copytree(FLOWS / "flowc", folder, dirs_exist_ok=True)
    flow = folder / "flow.yml"
    text = flow.read_text(encoding="utf-8")
    flow.write_text(text.replace("with:\n", "with:\n" + ON.format(otlp=otlp), 1),
                    encoding="utf-8")
    return flow


def measure(side: Any, seconds: float, pythonpath: str | None) -> dict[str, Any]:
    """Start the Flow, measure the raw gRPC path sequentially and with 8 clients, stop it."""
    saved = os.environ.get("PYTHONPATH")
    if pythonpath:
        os.environ["PYTHONPATH"] = pythonpath
    try:
        for attempt in range(2):  # once more on another port: a free port may be taken meanwhile
            port = drive.free_port()
            try:
                proc, _, client = drive.start_flow(side, port)
                break
            except SystemExit as exc:
                print(f"{side.flow}: {exc}; {'again' if attempt == 0 else 'giving up'}",
                      file=sys.stderr)
                if attempt:
                    raise
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    try:
        getattr(client, "close", lambda: None)()
        return {"seq_1": drive.raw_sequential(port, side, seconds, pid=proc.pid)["1"],
                "concurrent_8": drive.raw_concurrent(port, side, seconds, pid=proc.pid)}
    finally:
        drive.stop_flow(side, proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True,
                        help="a folder holding flowc/runtime/... as it was before the change")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    receiver, otlp = otlp_receiver()
    work = Path(tempfile.mkdtemp(prefix="bench-observe-"))
    after = linked_tree(work / "after")
    variants = {"before": (FLOWS / "flowc" / "flow.yml", str(args.before.resolve())),
                "off": (FLOWS / "flowc" / "flow.yml", after),
                "on": (observed_flow(work / "on", otlp), after)}
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    began = time.time()
    load = os.getloadavg()
    try:
        names = list(variants)
        for round_ in range(args.rounds):
            # each round in another order: a variant is not always the one after `on`
            for name in names[round_ % 3:] + names[:round_ % 3]:
                flow, pythonpath = variants[name]
                side = drive.Side("flowc")
                side.flow = flow
                results[name].append(measure(side, args.seconds, pythonpath))
        micro_runs = {"before": [], "off": []}
        for _ in range(args.rounds):
            for name in micro_runs:
                micro_runs[name].append(micro(variants[name][1]))
    finally:
        receiver.stop(None)
        shutil.rmtree(work, ignore_errors=True)

    def median(name: str, key: str, field: str) -> float:
        return statistics.median(r[key][field] for r in results[name])

    def paired(a: str, b: str, key: str, field: str) -> str:
        """The median over rounds of a/b within each round (the variants of one round ran
        back to back, so a round's load change cancels out), and their range."""
        ratios = sorted(x[key][field] / y[key][field] for x, y in zip(results[a], results[b]))
        return f"{statistics.median(ratios):.3f} ({ratios[0]:.2f}–{ratios[-1]:.2f})"

    command = " ".join(["python", "benchmarks/bench_observe.py", *sys.argv[1:]])
    print(f"`{command}` ({os.cpu_count()} cores; load average before {load[0]:.2f}, after "
          f"{os.getloadavg()[0]:.2f}; {time.time() - began:.0f} s)\n")
    print("| gRPC path, raw stub | before | off | on | off / before | on / off |")
    print("|---|---|---|---|---|---|")
    rows = (("seq_1", "rps", "1 doc, sequential (req/s)"),
            ("seq_1", "p50_ms", "1 doc, sequential, p50 (ms)"),
            ("concurrent_8", "rps", "8 concurrent clients, 1 doc (req/s)"),
            ("concurrent_8", "p50_ms", "8 concurrent clients, p50 (ms)"),
            ("seq_1", "cpu_units", "1 doc, sequential: the Flow's CPU per request, driver units"),
            ("concurrent_8", "cpu_units", "8 concurrent: the Flow's CPU per request, driver units"))
    for key, field, what in rows:
        b, off, on = (median(n, key, field) for n in ("before", "off", "on"))
        print(f"| {what} | {b:.2f} | {off:.2f} | {on:.2f} | {paired('off', 'before', key, field)}"
              f" | {paired('on', 'off', key, field)} |")
    print("\n(medians over rounds; the ratios are medians of per-round ratios, range in brackets;"
          " driver units: the Flow's CPU seconds per request over the driver's, drive.CpuMeter)")
    b, off = (statistics.median(micro_runs[n]) for n in ("before", "off"))
    print(f"\nOne worker's `ExecutorHost.process` without the network (a pass-through request): "
          f"before {b:.0f} ns, off {off:.0f} ns per call (+{off - b:.0f} ns; medians of "
          f"{args.rounds} best-of-7 runs of 50,000 calls)")
    for name in variants:
        print(f"\n{name}, 1 doc sequential req/s per round: "
              + ", ".join(f"{r['seq_1']['rps']:.0f}" for r in results[name])
              + "; 8 concurrent: " + ", ".join(f"{r['concurrent_8']['rps']:.0f}"
                                              for r in results[name]))

if __name__ == "__main__":
    main()
