"""HTTP gateway benchmark (issue 12): flowc against Jina 3.34's HTTP gateway, one run; markdown.

    tests/jina/netns_run.sh .venv/bin/python benchmarks/bench_http.py [--rounds 3]
        [--seconds 4] [--jina .venv/jina-ref/bin/python] [--no-jina] [--json out.json]

The Flow is the runtime benchmark's (gateway + 3 passthrough executors in a chain,
`benchmarks/flows/{flowc,jina}/`) with `protocol: http` on the gateway; flowc's is started by
`flowc run`, Jina's by `jina flow --uses`, both in the same loopback-only network namespace
(`tests/jina/netns_run.sh`: Jina calls nothing outside) and loaded by the same client code: this
file's loaders, standard library only (`http.client`, one keep-alive connection each), posting
prepared JSON bodies to `POST /default` — 1 and 100 text documents, sequentially (one loader) and
with 8 concurrent loaders (8 processes). Every answer is checked (200, as many documents back).
The sides take turns `--rounds` times; each figure is the median over rounds, with the range.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "benchmarks" / "flows"
JINA_REF = Path(os.environ.get("FLOWC_JINA_REF", ROOT / ".venv" / "jina-ref"))
DEFAULT_JINA = Path(os.environ.get("JINA_PYTHON", JINA_REF / "bin" / "python"))
RATE_BAR = 3.0  # the goal: ≥ 3× Jina on each figure
CONCURRENCY = 8

FLOW = """jtype: Flow
version: '1'
with:
  name: bench-http
  protocol: http
  port: {port}
executors:
  - name: p0
    uses: Pass
    py_modules: [passthrough.py]
  - name: p1
    uses: Pass
    py_modules: [passthrough.py]
  - name: p2
    uses: Pass
    py_modules: [passthrough.py]
"""


def bodies() -> dict[str, tuple[bytes, int]]:
    one = {"data": [{"text": "hello world"}], "parameters": {}}
    hundred = {"data": [{"text": f"document number {i} with a little text"}
                        for i in range(100)], "parameters": {}}
    return {"1": (json.dumps(one).encode(), 1), "100": (json.dumps(hundred).encode(), 100)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(conn: http.client.HTTPConnection, body: bytes) -> bytes:
    conn.request("POST", "/default", body, {"Content-Type": "application/json"})
    reply = conn.getresponse()
    data = reply.read()
    if reply.status != 200:
        raise RuntimeError(f"HTTP {reply.status}: {data[:300]!r}")
    return data


def connect(port: int, timeout: float = 60) -> http.client.HTTPConnection:
    """A keep-alive connection with TCP_NODELAY, as curl, aiohttp (Jina's client) and httpx
    set it: http.client writes headers and body separately, and Nagle's algorithm would hold
    the body until the server's delayed ACK (40 ms a request, on either server)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def loader(port: int, body: bytes, count: int, seconds: float, start: float,
           out: Any) -> None:
    """One client: a keep-alive connection posting `body` from `start` for `seconds`."""
    conn = connect(port)
    answer = json.loads(post(conn, body))  # warm the connection; check the answer once
    if len(answer["data"]) != count:
        raise RuntimeError(f"{len(answer['data'])} documents back, not {count}")
    while time.time() < start:
        time.sleep(0.001)
    latencies = []
    end = start + seconds
    while True:
        began = time.perf_counter()
        post(conn, body)
        latencies.append(time.perf_counter() - began)
        if time.time() >= end:
            break
    out.put(latencies)


def measure(port: int, body: bytes, count: int, seconds: float, clients: int) -> dict:
    """req/s over all clients and the p50 latency (ms) of their requests."""
    queue: Any = multiprocessing.get_context("fork").Queue()
    start = time.time() + 0.5
    procs = [multiprocessing.get_context("fork").Process(
        target=loader, args=(port, body, count, seconds, start, queue)) for _ in range(clients)]
    for proc in procs:
        proc.start()
    latencies: list[float] = []
    for _ in procs:
        latencies += queue.get(timeout=seconds + 120)
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"a loader failed (exit {proc.exitcode})")
    return {"rps": len(latencies) / seconds, "p50_ms": statistics.median(latencies) * 1000}


class Side:
    def __init__(self, kind: str, python: str, work: Path):
        self.kind = kind
        self.python = python
        self.dir = work / kind
        self.dir.mkdir(parents=True)
        shutil.copy(FLOWS / kind / "passthrough.py", self.dir / "passthrough.py")

    def start(self) -> tuple[subprocess.Popen, int]:
        port = free_port()
        (self.dir / "flow.yml").write_text(FLOW.format(port=port), encoding="utf-8")
        bindir = Path(self.python).parent
        command = [str(bindir / "flowc"), "run", "flow.yml"] if self.kind == "flowc" else \
            [str(bindir / "jina"), "flow", "--uses", "flow.yml"]
        env = dict(os.environ, JINA_OPTOUT_TELEMETRY="1", JINA_LOG_LEVEL="ERROR")
        proc = subprocess.Popen(command, cwd=self.dir, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        body, _ = bodies()["1"]
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                self.stop(proc)
                raise SystemExit(f"{self.kind}: the Flow did not answer over HTTP")
            try:
                post(connect(port, 5), body)
                return proc, port
            except (OSError, RuntimeError, http.client.HTTPException):
                time.sleep(0.1)

    def stop(self, proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGINT if self.kind == "jina" else signal.SIGTERM)
            proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def one_round(side: Side, seconds: float) -> dict[str, dict]:
    proc, port = side.start()
    try:
        out = {}
        for label, (body, count) in bodies().items():
            out[f"seq_{label}"] = measure(port, body, count, seconds, 1)
            out[f"conc_{label}"] = measure(port, body, count, seconds, CONCURRENCY)
        return out
    finally:
        side.stop(proc)


FIGURES = [("seq_1", "1 doc/request, sequential"), ("seq_100", "100 docs/request, sequential"),
           ("conc_1", f"1 doc/request, {CONCURRENCY} concurrent clients"),
           ("conc_100", f"100 docs/request, {CONCURRENCY} concurrent clients")]


def summary(rounds: list[dict[str, dict]], key: str) -> dict[str, float]:
    rps = [r[key]["rps"] for r in rounds]
    p50 = [r[key]["p50_ms"] for r in rounds]
    return {"rps": statistics.median(rps), "rps_min": min(rps), "rps_max": max(rps),
            "p50": statistics.median(p50), "p50_min": min(p50), "p50_max": max(p50)}


def cell(s: dict[str, float] | None) -> str:
    if s is None:
        return "–"
    return (f"{s['rps']:.0f} req/s ({s['rps_min']:.0f}–{s['rps_max']:.0f}), "
            f"p50 {s['p50']:.1f} ms ({s['p50_min']:.1f}–{s['p50_max']:.1f})")


def table(results: dict[str, list[dict[str, dict]]]) -> str:
    rows = ["| figure | flowc HTTP | Jina 3.34 HTTP | flowc vs Jina (req/s) | goal ≥ 3× |",
            "|---|---|---|---|---|"]
    for key, label in FIGURES:
        f = summary(results["flowc"], key)
        j = summary(results["jina"], key) if "jina" in results else None
        ratio = f["rps"] / j["rps"] if j else None
        verdict = "–" if ratio is None else ("met" if ratio >= RATE_BAR else "MISSED")
        rows.append(f"| {label} | {cell(f)} | {cell(j)} | "
                    f"{'–' if ratio is None else f'{ratio:.1f}×'} | {verdict} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per figure")
    parser.add_argument("--rounds", type=int, default=3, help="the sides take turns")
    parser.add_argument("--jina", type=Path, default=DEFAULT_JINA, help="Jina's interpreter")
    parser.add_argument("--no-jina", action="store_true", help="flowc only")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    args = parser.parse_args()
    began, load = time.time(), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-http-") as work:
        sides = [Side("flowc", sys.executable, Path(work))]
        if not args.no_jina:
            sides.append(Side("jina", str(args.jina), Path(work)))
        results: dict[str, list[dict[str, dict]]] = {s.kind: [] for s in sides}
        for _ in range(args.rounds):
            for side in sides:
                results[side.kind].append(one_round(side, args.seconds))
    command = " ".join(["tests/jina/netns_run.sh .venv/bin/python benchmarks/bench_http.py",
                        *sys.argv[1:]])
    print(f"`{command}` ({os.cpu_count()} cores; load average before "
          f"{' '.join(f'{x:.2f}' for x in load)}, after "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {time.time() - began:.0f} s; "
          f"medians over {args.rounds} rounds, ranges in parentheses)\n")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
