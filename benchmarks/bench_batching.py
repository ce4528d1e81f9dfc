"""Dynamic batching benchmark (issue 13 §3): flowc against Jina 3.34 in one run; a markdown table.

    .venv/bin/python benchmarks/bench_batching.py [--rounds 3] [--seconds 5] [--clients 32]
                     [--json out.json] [--jina .venv/jina-ref/bin/python] [--no-jina]

Gateway + one executor whose endpoint costs 5 ms per call (asleep, as a model waiting for its
device) plus 20 µs of CPU per document (`benchmarks/flows/batching/{flowc,jina}/`: the same Flow
YAML, `uses_dynamic_batching: {/default: {preferred_batch_size: 16, timeout: 10}}`, and without
it in `plain.yml`). 32 concurrent clients send 1-document requests, each the next as soon as its
answer is back, over one channel, the requests serialised beforehand (`flows/drive_batching.py`,
run by each side's own interpreter; Jina's inside the loopback-only network namespace). Two ways
to send: unary calls (flowc `Process`, Jina `process_single_data`) and one long-lived stream (flowc
`ProcessStream`, Jina `Call`, which Jina's own Client uses). The runs take turns, `--rounds` times,
so every configuration sees the same changes of load on a shared machine; the table gives the
median and the range over rounds, and the ratio flowc/Jina per round (the same round, the same
way to send). One more flowc row puts the executor in the gateway's process (`placement:
gateway`, `in_gateway.yml`): one gRPC hop per request instead of two; Jina has no counterpart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "benchmarks" / "flows" / "drive_batching.py"
# the Jina reference and its loopback-only namespace: the project's own, as in bench_runtime.py
JINA_REF = Path(os.environ.get("FLOWC_JINA_REF", ROOT / ".venv" / "jina-ref"))
DEFAULT_JINA = Path(os.environ.get("JINA_PYTHON", JINA_REF / "bin" / "python"))
NETNS = Path(os.environ.get("JINA_NETNS", ROOT / "tests" / "jina" / "netns_run.sh"))
GOAL = 3.0  # issue 13: flowc with batching ≥ 3× Jina with batching

# (label, side, flow file, over a stream)
RUNS = [("flowc, batching, unary", "flowc", "flow.yml", False),
        ("Jina, batching, unary", "jina", "flow.yml", False),
        ("flowc, batching, stream", "flowc", "flow.yml", True),
        ("Jina, batching, stream", "jina", "flow.yml", True),
        ("flowc, batching, stream, `placement: gateway`", "flowc", "in_gateway.yml", True),
        ("flowc, no batching, unary", "flowc", "plain.yml", False),
        ("Jina, no batching, unary", "jina", "plain.yml", False)]


ECHO_SERVER = '''
import asyncio, grpc

async def main():
    identity = lambda b: b
    async def echo(requests, context):  # one message per answer: gRPC's floor, nothing joined
        lock, tasks = asyncio.Lock(), set()
        async def answer(message):
            async with lock:
                await context.write(message)
        async for message in requests:
            task = asyncio.ensure_future(answer(message))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    handler = grpc.method_handlers_generic_handler("echo.Echo", {
        "Stream": grpc.stream_stream_rpc_method_handler(echo, request_deserializer=identity,
                                                        response_serializer=identity)})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    await server.wait_for_termination()

asyncio.run(main())
'''


def echo_floor(clients: int, seconds: float) -> dict[str, float]:
    """The bare cost of one message and its answer on a grpc.aio stream (bytes in, the same
    bytes out, `clients` outstanding): CPU ms per message of the server and of the client."""
    import asyncio

    import grpc

    sys.path.insert(0, str(DRIVER.parent))
    from drive import cpu_seconds  # noqa: E402

    server = subprocess.Popen([sys.executable, "-c", ECHO_SERVER], env=child_env(),
                              stdout=subprocess.PIPE, text=True)

    async def load(port: int) -> dict[str, float]:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.stream_stream("/echo.Echo/Stream", request_serializer=lambda b: b,
                                         response_deserializer=lambda b: b)()
            waiting: dict[bytes, asyncio.Future] = {}
            lock, count = asyncio.Lock(), 0

            async def read() -> None:
                async for answer in call:
                    waiting.pop(answer).set_result(answer)

            reader = asyncio.ensure_future(read())
            end = time.perf_counter() + seconds

            async def client(number: int) -> None:
                nonlocal count
                payload = b"%062d" % number  # about the size of a 1-document request
                while time.perf_counter() < end:
                    answered = waiting[payload] = asyncio.get_running_loop().create_future()
                    async with lock:
                        await call.write(payload)
                    await answered
                    count += 1

            cpu, mine = cpu_seconds(server.pid), time.process_time()
            await asyncio.gather(*(client(i) for i in range(clients)))
            cpu, mine = cpu_seconds(server.pid) - cpu, time.process_time() - mine
            await call.done_writing()
            reader.cancel()
        return {"rps": count / seconds, "server_cpu_ms": cpu / count * 1000,
                "client_cpu_ms": mine / count * 1000}

    try:
        return asyncio.run(load(int(server.stdout.readline())))
    finally:
        server.terminate()
        server.wait()


def child_env() -> dict[str, str]:
    """A private, writable bytecode cache for every process (as bench_runtime.py)."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=os.environ.get(
        "PYTHONPYCACHEPREFIX", str(Path("/tmp") / "pyc-bench-runtime")))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["JINA_OPTOUT_TELEMETRY"] = "1"
    return env


def run(argv: list[str]) -> dict[str, Any]:
    proc = subprocess.run(argv, env=child_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def span(values: list[float], form: str = "{:.0f}") -> str:
    """median (min–max)."""
    if len(values) == 1:
        return form.format(values[0])
    return (f"{form.format(statistics.median(values))} "
            f"({form.format(min(values))}–{form.format(max(values))})")


def table(results: dict[str, list[dict[str, Any]]]) -> str:
    rows = ["| configuration | req/s | p50 ms | p99 ms | mean batch | CPU ms per request: "
            "Flow + client | errors |", "|---|---|---|---|---|---|---|"]
    for label, _, _, _ in RUNS:
        got = results.get(label)
        if not got:
            continue
        rows.append(
            f"| {label} | {span([r['rps'] for r in got])} | {span([r['p50_ms'] for r in got])} "
            f"| {span([r['p99_ms'] for r in got])} | "
            f"{span([r['mean_batch'] for r in got], '{:.1f}')} | "
            f"{statistics.median(r['server_cpu_ms'] for r in got):.2f} + "
            f"{statistics.median(r['client_cpu_ms'] for r in got):.2f} | "
            f"{sum(r['errors'] for r in got)} |")
    return "\n".join(rows)


def ratios(results: dict[str, list[dict[str, Any]]]) -> list[str]:
    """flowc/Jina per round, for each way to send; and batching's gain on each side."""
    lines = []
    pairs = [("batching, unary", "flowc, batching, unary", "Jina, batching, unary"),
             ("batching, stream", "flowc, batching, stream", "Jina, batching, stream"),
             ("no batching, unary", "flowc, no batching, unary", "Jina, no batching, unary")]
    for what, mine, theirs in pairs:
        if results.get(mine) and results.get(theirs):
            per_round = [a["rps"] / b["rps"] for a, b in zip(results[mine], results[theirs])]
            verdict = ""
            if what.startswith("batching"):
                verdict = (f" (goal ≥ {GOAL:g}×: "
                           f"{'met' if min(per_round) >= GOAL else 'MISSED'})")
            lines.append(f"- flowc / Jina, {what}: {span(per_round, '{:.2f}')}×{verdict}; per "
                         f"round {', '.join(f'{r:.2f}' for r in per_round)}")
    best_jina = [max(a["rps"], b["rps"]) for a, b in zip(
        results.get("Jina, batching, unary", []), results.get("Jina, batching, stream", []))]
    best_flowc = [max(a["rps"], b["rps"]) for a, b in zip(
        results.get("flowc, batching, unary", []), results.get("flowc, batching, stream", []))]
    if best_jina and best_flowc:
        per_round = [a / b for a, b in zip(best_flowc, best_jina)]
        lines.append(f"- flowc / Jina, each side's faster way to send: "
                     f"{span(per_round, '{:.2f}')}×")
    inside = results.get("flowc, batching, stream, `placement: gateway`")
    if inside and results.get("Jina, batching, stream"):
        per_round = [a["rps"] / b["rps"] for a, b in zip(inside, results["Jina, batching, stream"])]
        lines.append(f"- flowc with the executor in the gateway's process (one hop, not two) / "
                     f"Jina, stream: {span(per_round, '{:.2f}')}×")
    for side in ("flowc", "Jina"):
        on = results.get(f"{side}, batching, unary")
        off = results.get(f"{side}, no batching, unary")
        if on and off:
            gain = [a["rps"] / b["rps"] for a, b in zip(on, off)]
            lines.append(f"- {side}: batching / no batching (unary): {span(gain, '{:.1f}')}×")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured, per run")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--jina", type=Path, default=DEFAULT_JINA, help="Jina's interpreter")
    parser.add_argument("--no-jina", action="store_true", help="flowc only")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    args = parser.parse_args()
    began, load_before = time.time(), " ".join(f"{x:.2f}" for x in os.getloadavg())
    results: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.rounds):
        for label, side, flow, stream in RUNS:
            if side == "jina" and args.no_jina:
                continue
            python = [sys.executable] if side == "flowc" else [str(NETNS), str(args.jina)]
            argv = python + [str(DRIVER), side, flow, "--clients", str(args.clients),
                             "--seconds", str(args.seconds)] + (["--stream"] if stream else [])
            results.setdefault(label, []).append(run(argv))
    floor = echo_floor(args.clients, args.seconds)
    command = " ".join(["python", "benchmarks/bench_batching.py", *sys.argv[1:]])
    print(f"`{command}` ({os.cpu_count()} cores; load average before {load_before}, after "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {time.time() - began:.0f} s; "
          f"{args.rounds} rounds, {args.clients} clients, {args.seconds:g} s measured per run)\n")
    print(table(results))
    print()
    print("\n".join(ratios(results)))
    print(f"- floor: a bare grpc.aio stream echo, {args.clients} outstanding, after the rounds: "
          f"{floor['rps']:.0f} messages/s, CPU {floor['server_cpu_ms']:.3f} ms per message "
          f"and answer in the server + {floor['client_cpu_ms']:.3f} ms in the client. A "
          "request through gateway and worker crosses two such servers and one such client "
          "(the gateway's side of its stream to the worker)")
    if args.json:
        results_out = dict(results, floor=floor)
        args.json.write_text(json.dumps(results_out, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
