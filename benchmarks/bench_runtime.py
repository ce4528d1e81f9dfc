"""Runtime benchmark (issue 3, "Measured"): flowc against Jina 3.34 in one run; a markdown table.

    .venv/bin/python benchmarks/bench_runtime.py [--rounds 3] [--starts 3] [--seconds 4]
                     [--json out.json] [--jina .venv/jina-ref/bin/python] [--no-jina]

The Flow is gateway + 3 passthrough executors in a chain (`benchmarks/flows/{flowc,jina}/flow.yml`,
the same YAML; each side's passthrough executor is written for its own API). Each side is measured
by the same driver, `benchmarks/flows/drive.py`, run by that side's interpreter: flowc's is started
by `flowc run` and driven by flowc's Client; Jina's by `jina flow --uses` and Jina's Client, inside
a loopback-only network namespace with telemetry off (`tests/jina/netns_run.sh`),
client included. Both sides run with a filled bytecode cache in a private folder (one untimed
warm-up start each), the way installed software runs. The sides take turns, `--rounds` times, so
that both see the same changes of load on a shared machine; each rate is the median over rounds.

Rows: time from the command to the first answer (median of all starts), sequential requests with 1
and 100 text documents (requests/s and p50), idle RSS/PSS of the Flow's processes, and the floor:
a raw grpcio echo server (grpc.aio, bytes in, the same bytes out) with the same payloads, against
which flowc's per-hop overhead is given (4 hops: client→gateway→p0→p1→p2, each answered back).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "benchmarks" / "flows" / "drive.py"
# the Jina reference: FLOWC_JINA_REF as in the tests, else `make jina-ref`'s environment
JINA_REF = Path(os.environ.get("FLOWC_JINA_REF", ROOT / ".venv" / "jina-ref"))
DEFAULT_JINA = Path(os.environ.get("JINA_PYTHON", JINA_REF / "bin" / "python"))
NETNS = Path(os.environ.get("JINA_NETNS", ROOT / "tests" / "jina" / "netns_run.sh"))
HOPS = 4
# The bars: flowc's start ≤ 0.7 s, ≥ 3× Jina's rates, ≤ 250 MiB idle.
START_BAR, RATE_BAR, MEMORY_BAR = 0.7, 3.0, 250.0
# issue 13 §5: start ≥ 3.5× faster than Jina, idle PSS ≤ 0.6× Jina's, 8 concurrent ≥ 3× Jina
START_RATIO_BAR, PSS_RATIO_BAR, CONCURRENT_BAR = 3.5, 0.6, 3.0

ECHO_SERVER = '''
import asyncio, sys
import grpc

async def main():
    identity = lambda b: b
    async def echo(request, context):
        return request
    handler = grpc.method_handlers_generic_handler("echo.Echo", {
        "Echo": grpc.unary_unary_rpc_method_handler(echo, request_deserializer=identity,
                                                    response_serializer=identity)})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    await server.wait_for_termination()

asyncio.run(main())
'''


def child_env() -> dict[str, str]:
    """A private, writable bytecode cache for every process this benchmark starts."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=os.environ.get(
        "PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "pyc-bench-runtime")))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # with a prefix, it would disable the cache entirely
    env["JINA_OPTOUT_TELEMETRY"] = "1"
    return env


def warm_up(argv: list[str]) -> None:
    """One untimed start: fills the bytecode cache."""
    done = subprocess.run(argv + ["--seconds", "0.2", "--starts", "1"], env=child_env(),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")


def run_side(argv: list[str], seconds: float, starts: int) -> dict[str, Any]:
    env = child_env()
    proc = subprocess.run(argv + ["--seconds", str(seconds), "--starts", str(starts)], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout)


def merge(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One side's rounds as one result: every start; the median of each rate and time figure
    over the rounds; memory from the first round (it does not move between rounds)."""
    merged = dict(rounds[0])
    for key in ("starts", "start_cpu", "stops"):
        merged[key] = [item for r in rounds for item in r[key]]
    merged["start_median"] = statistics.median(merged["starts"])
    merged["start_cpu_median"] = statistics.median(merged["start_cpu"])

    def median_figures(figures: list[dict[str, float]]) -> dict[str, float]:
        return {k: statistics.median(f[k] for f in figures) for k in figures[0]}

    for key in ("seq_1", "seq_100", "concurrent_8"):
        merged[key] = median_figures([r[key] for r in rounds])
    if "raw" in merged:
        merged["raw"] = {label: median_figures([r["raw"][label] for r in rounds])
                         for label in merged["raw"]}
    merged["rounds"] = rounds
    return merged


def echo_floor(seconds: float) -> dict[str, Any]:
    """Round trips through a bare grpc.aio echo server, with flowc's 1- and 100-document
    requests as payload (the bytes a hop carries)."""
    import grpc

    sys.path.insert(0, str(DRIVER.parent))
    from drive import timed  # noqa: E402

    from docarray import DocList
    from docarray.documents import TextDoc

    from flowc.runtime.docs import encode_docs
    from flowc.runtime.proto import flowc_pb2

    payloads = {}
    for label, count in (("1", 1), ("100", 100)):
        docs = DocList[TextDoc]([TextDoc(text=f"document number {i} with a little text")
                                 for i in range(count)] if count > 1 else
                                [TextDoc(text="hello world")])
        request = flowc_pb2.DataRequest(docs=encode_docs(docs))
        request.header.endpoint = "/default"
        payloads[label] = request.SerializeToString()
    server = subprocess.Popen([sys.executable, "-c", ECHO_SERVER], env=child_env(),
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        result = {}
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            echo = channel.unary_unary("/echo.Echo/Echo")
            for label, payload in payloads.items():
                result[label] = timed(lambda: echo(payload), seconds)
        return result
    finally:
        server.terminate()
        server.wait()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def table(flowc: dict[str, Any], jina: dict[str, Any] | None, echo: dict[str, Any]) -> str:
    def ratio(a: float, b: float) -> str:
        return f"{a / b:.1f}×" if b else "–"

    rows = ["| figure | flowc | Jina 3.34 | flowc vs Jina | bar |", "|---|---|---|---|---|"]
    js = jina or {}
    start_f, start_j = flowc["start_median"], js.get("start_median")
    rows.append(f"| command → first answer (median of {len(flowc['starts'])}) | "
                f"{start_f:.2f} s | {_or(start_j, '{:.2f} s')} | "
                f"{ratio(start_j, start_f) + ' faster' if start_j else '–'} | "
                f"≤ {START_BAR} s: {'met' if start_f <= START_BAR else 'MISSED'} |")
    cpu_f, cpu_j = flowc["start_cpu_median"], js.get("start_cpu_median")
    rows.append(f"| CPU used by the Flow's processes until then | {cpu_f:.2f} s | "
                f"{_or(cpu_j, '{:.2f} s')} | {ratio(cpu_j, cpu_f) + ' less' if cpu_j else '–'} | – |")
    for label in ("1", "100"):
        f, j = flowc[f"seq_{label}"], js.get(f"seq_{label}")
        verdict = "–" if j is None else ("met" if f["rps"] >= RATE_BAR * j["rps"] else "MISSED")
        rows.append(f"| {label} doc{'s' if label != '1' else ''}/request, sequential | "
                    f"{_rate(f)} | {_rate(j)} | {ratio(f['rps'], j['rps']) if j else '–'} | "
                    f"≥ {RATE_BAR:g}×: {verdict} |")
    for label in ("1", "100"):
        f, j = flowc[f"seq_{label}"], js.get(f"seq_{label}")
        rows.append(f"| CPU per request, {label} doc{'s' if label != '1' else ''}: Flow's "
                    f"processes + client | {_cpu(f)} | {_cpu(j)} | – | – |")
    idle_f, idle_j = flowc["idle"], js.get("idle")
    rows.append(f"| idle RSS, whole tree (PSS) | {_mem(idle_f)} | {_mem(idle_j)} | "
                f"{ratio(idle_j['rss'], idle_f['rss']) + ' less' if idle_j else '–'} | "
                f"≤ {MEMORY_BAR:g} MiB: {'met' if idle_f['rss'] <= MEMORY_BAR else 'MISSED'} |")
    rows.append(f"| idle RSS, gateway + 3 executors (tree minus `flowc run` / `jina flow`) | "
                f"{_servers(idle_f):.0f} MiB | {_or(_servers(idle_j), '{:.0f} MiB')} | – | – |")
    for label in ("1", "100"):  # issue 13: each side's own protocol, raw stub, one channel
        f, j = flowc["raw"][label], (js.get("raw") or {}).get(label)
        rows.append(f"| raw gRPC stub, prepared requests, {label} doc{'s' if label != '1' else ''}"
                    f", sequential | {_rate(f)} | {_rate(j)} | "
                    f"{ratio(f['rps'], j['rps']) if j else '–'} | – |")
    f, j = flowc["concurrent_8"], js.get("concurrent_8")
    verdict = "–" if j is None else ("met" if f["rps"] >= CONCURRENT_BAR * j["rps"] else "MISSED")
    rows.append(f"| 8 concurrent clients, 1 doc (raw stubs, one channel each) | {_rate(f)} | "
                f"{_rate(j)} | {ratio(f['rps'], j['rps']) if j else '–'} | "
                f"≥ {CONCURRENT_BAR:g}×: {verdict} |")
    if j is not None and "cpu_units" in f and "cpu_units" in j:  # drive.CpuMeter
        rows.append(f"| 8 concurrent: the Flow's CPU per request in driver units (the host's "
                    f"speed cancels out) | {f['cpu_units']:.2f} | {j['cpu_units']:.2f} | "
                    f"{j['cpu_units'] / f['cpu_units']:.1f}× less | – |")
    if jina:
        faster = start_j / start_f
        rows.append(f"| start, flowc vs Jina (issue 13) | – | – | {faster:.1f}× faster | "
                    f"≥ {START_RATIO_BAR:g}×: {'met' if faster >= START_RATIO_BAR else 'MISSED'} |")
        pss = idle_f["pss"] / idle_j["pss"]
        rows.append(f"| idle PSS, flowc / Jina (issue 13) | {idle_f['pss']:.0f} MiB | "
                    f"{idle_j['pss']:.0f} MiB | {pss:.2f}× | ≤ {PSS_RATIO_BAR:g}×: "
                    f"{'met' if pss <= PSS_RATIO_BAR else 'MISSED'} |")
    for label in ("1", "100"):
        raw, e = flowc["raw"][label], echo[label]
        per_hop = (raw["p50_ms"] - HOPS * e["p50_ms"]) / HOPS
        rows.append(f"| floor: grpcio echo, {label} doc payload | {_rate(e, 3)} | – | – | – |")
        rows.append(f"| flowc raw stub via gateway + 3, {label} doc | {_rate(raw)} | – | – | "
                    f"overhead per hop vs echo: {per_hop:.3f} ms |")
    left_f = sum(s["left_behind"] for s in flowc["stops"])
    left_j = f"{sum(s['left_behind'] for s in js['stops'])} (SIGINT to its group)" if jina else "–"
    rows.append(f"| processes left after stop | {left_f} in {len(flowc['stops'])} stops "
                f"(SIGTERM to `flowc run`) | {left_j} | – | – |")
    return "\n".join(rows)


def _or(value: float | None, form: str) -> str:
    return "–" if value is None else form.format(value)


def _rate(figure: dict[str, float] | None, digits: int = 2) -> str:
    if figure is None:
        return "–"
    return f"{figure['rps']:.0f} req/s, p50 {figure['p50_ms']:.{digits}f} ms"


def _servers(idle: dict[str, Any] | None) -> float | None:
    """RSS of the tree without its root (the launcher): the first process `memory` lists."""
    return None if idle is None else sum(p["rss"] for p in idle["procs"][1:])


def _cpu(figure: dict[str, float] | None) -> str:
    if figure is None:
        return "–"
    return f"{figure['server_cpu_ms']:.2f} + {figure['client_cpu_ms']:.2f} ms"


def _mem(figure: dict[str, Any] | None) -> str:
    return "–" if figure is None else f"{figure['rss']:.0f} MiB ({figure['pss']:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per throughput figure")
    parser.add_argument("--starts", type=int, default=3, help="timed starts per side and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds; the sides take turns in each (medians over rounds)")
    parser.add_argument("--jina", type=Path, default=DEFAULT_JINA, help="Jina's interpreter")
    parser.add_argument("--no-jina", action="store_true", help="flowc only")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    args = parser.parse_args()
    before = load_average()
    began = time.time()
    sides = {"flowc": [sys.executable, str(DRIVER), "flowc"]}
    if not args.no_jina:
        sides["jina"] = [str(NETNS), str(args.jina), str(DRIVER), "jina"]
    for argv in sides.values():
        warm_up(argv)
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for _ in range(args.rounds):  # taking turns: both sides see the same changes of load
        for name, argv in sides.items():
            rounds[name].append(run_side(argv, args.seconds, args.starts))
    flowc = merge(rounds["flowc"])
    jina = merge(rounds["jina"]) if "jina" in rounds else None
    echo = echo_floor(args.seconds)
    command = " ".join(["python", "benchmarks/bench_runtime.py", *sys.argv[1:]])
    print(f"`{command}` ({os.cpu_count()} cores; load average before {before}, "
          f"after {load_average()}; {time.time() - began:.0f} s)\n")
    print(table(flowc, jina, echo))
    print(f"\nflowc starts (s): {', '.join(f'{s:.2f}' for s in flowc['starts'])}"
          + (f"; Jina starts (s): {', '.join(f'{s:.2f}' for s in jina['starts'])}" if jina
             else ""))
    for label in ("1", "100"):
        line = [f"{name} " + ", ".join(f"{r[f'seq_{label}']['rps']:.0f}" for r in side["rounds"])
                for name, side in (("flowc", flowc), ("Jina", jina)) if side]
        print(f"{label} doc(s)/request, req/s per round: {'; '.join(line)}")
    for key, what in (("concurrent_8", "8 concurrent, raw"),):
        line = [f"{name} " + ", ".join(f"{r[key]['rps']:.0f}" for r in side["rounds"])
                for name, side in (("flowc", flowc), ("Jina", jina)) if side]
        print(f"{what}, req/s per round: {'; '.join(line)}")
    for label in ("1", "100"):
        line = [f"{name} " + ", ".join(f"{r['raw'][label]['rps']:.0f}" for r in side["rounds"])
                for name, side in (("flowc", flowc), ("Jina", jina)) if side]
        print(f"raw {label} doc(s)/request, req/s per round: {'; '.join(line)}")
    line = [f"{name} " + ", ".join(f"{r['idle']['pss']:.0f}" for r in side["rounds"])
            for name, side in (("flowc", flowc), ("Jina", jina)) if side]
    print(f"idle PSS MiB per round: {'; '.join(line)}")
    if args.json:
        args.json.write_text(json.dumps({"flowc": flowc, "jina": jina, "echo": echo,
                                         "load_before": before, "load_after": load_average()},
                                        indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
