"""One side of benchmarks/bench_runtime.py: start a Flow, time it, measure it, stop it; JSON out.

    <python> benchmarks/flows/drive.py flowc|jina --seconds S --starts N

Run by flowc's interpreter for `flowc` (flows/flowc/, `flowc run`, flowc's Client) and by Jina's
own interpreter for `jina` (flows/jina/, `jina flow --uses`, Jina's Client), so both sides are
measured by exactly this code. Standard library only at import time; each side's client is
imported before the first start, so its import cost is not counted as the Flow's start-up.

- start-up: from spawning the command to the first successful answer (1 document), median of N,
  and the CPU seconds the Flow's processes used until then (the load-independent part);
- idle RSS and PSS of the whole process tree (each process listed) 1 s after the first answer;
- sequential requests with 1 and with 100 text documents per request: requests/s, p50, p90, and
  the CPU ms per request of the Flow's processes (together) and of the client;
- both sides: the same requests as prepared bytes through a raw gRPC stub on one channel (no
  client encoding: each side's best case, Jina's own Client reconnects per post), sequential, and
  8 concurrent clients with 1 document each (`raw_concurrent`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by `pid` and its descendants (living ones)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def memory(pid: int) -> dict[str, Any]:
    """RSS and PSS (MiB) of each process of the tree and in total."""
    procs = []
    for member in tree(pid):
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()
            cmd = Path(f"/proc/{member}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:] if ":" in line}
        label = " ".join(a.decode(errors="replace") for a in cmd[:6] if a)
        procs.append({"pid": member, "rss": fields.get("Rss", 0) / 1024,
                      "pss": fields.get("Pss", 0) / 1024, "cmd": label[:120]})
    return {"procs": procs, "rss": sum(p["rss"] for p in procs),
            "pss": sum(p["pss"] for p in procs)}


class Side:
    """What differs between the two: the command, the client, the documents' classes."""

    def __init__(self, kind: str):
        self.kind = kind
        self.flow = HERE / kind / "flow.yml"
        from docarray import DocList
        from docarray.documents import TextDoc

        self.one = DocList[TextDoc]([TextDoc(text="hello world")])
        self.hundred = DocList[TextDoc]([TextDoc(text=f"document number {i} with a little text")
                                         for i in range(100)])
        if kind == "flowc":
            from flowc.runtime import Client
        else:
            from jina import Client
        self.client_class = Client

    def command(self) -> list[str]:
        bindir = Path(sys.executable).parent
        if self.kind == "flowc":
            return [str(bindir / "flowc"), "run", str(self.flow)]
        return [str(bindir / "jina"), "flow", "--uses", str(self.flow)]

    def client(self, port: int) -> Any:
        if self.kind == "flowc":
            return self.client_class(host="127.0.0.1", port=port)
        return self.client_class(host="127.0.0.1", port=port, protocol="grpc")

    def post(self, client: Any, docs: Any) -> Any:
        return client.post("/default", docs, request_size=100)


def start_flow(side: Side, port: int) -> tuple[subprocess.Popen, float, Any]:
    """Spawn the Flow and post 1 document until it answers; (process, seconds, client)."""
    env = dict(os.environ, BENCH_PORT=str(port), JINA_OPTOUT_TELEMETRY="1")
    begin = time.perf_counter()
    proc = subprocess.Popen(side.command(), cwd=str(side.flow.parent), env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    client = None
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"{side.kind}: {' '.join(side.command())} exited with "
                             f"{proc.returncode} before answering")
        if time.perf_counter() - begin > 60:
            stop_flow(side, proc)
            raise SystemExit(f"{side.kind}: no answer within 60 s")
        if not _port_open(port):  # nothing listens yet: do not pay a client's failure path
            time.sleep(0.005)
            continue
        try:
            client = client or side.client(port)
            answer = side.post(client, side.one)
            if len(answer) == 1:
                return proc, time.perf_counter() - begin, client
        except Exception:
            pass
        time.sleep(0.005)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.05)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stop_flow(side: Side, proc: subprocess.Popen) -> dict[str, Any]:
    """flowc: SIGTERM to `flowc run` only, then check nothing is left. Jina: a plain SIGTERM
    leaves its gateway and executors running (reference README), so SIGINT to its group."""
    members = tree(proc.pid)
    begin = time.perf_counter()
    if side.kind == "flowc":
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    seconds = time.perf_counter() - begin
    time.sleep(0.2)
    left = [pid for pid in members if Path(f"/proc/{pid}").exists()
            and "zombie" not in _state(pid)]
    for pid in left:  # only processes this run started
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return {"seconds": seconds, "left_behind": len(left)}


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "gone"


def timed(call: Callable[[], Any], seconds: float, warmup: int = 50,
          pid: int | None = None) -> dict[str, float]:
    for _ in range(warmup):
        call()
    samples = []
    cpu = CpuMeter(pid)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return {"n": len(samples), "rps": len(samples) / sum(samples),
            "p50_ms": statistics.median(samples) * 1000,
            "p90_ms": samples[int(len(samples) * 0.9)] * 1000, **cpu.per(len(samples))}


class CpuMeter:
    """CPU used from now on by the Flow's processes (`pid`'s tree) and by this driver, per
    request. `cpu_units` is the first over the second: the driver does the same work per request
    whatever it calls, so the ratio cancels the machine's speed, which drifts by up to 2× within
    minutes on this shared host (rates do; this figure moves by a few percent)."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.flow = cpu_seconds(pid) if pid is not None else 0.0
        self.mine = time.process_time()

    def per(self, requests: int) -> dict[str, float]:
        if self.pid is None or not requests:
            return {}
        flow = (cpu_seconds(self.pid) - self.flow) / requests * 1000
        mine = (time.process_time() - self.mine) / requests * 1000
        return {"server_cpu_ms": flow, "client_cpu_ms": mine, "cpu_units": flow / mine}


def raw_request(side: Side, docs: Any) -> tuple[str, bytes]:
    """(gRPC method path, request bytes) of one prepared request on `side`'s own protocol:
    flowc's `Process`, Jina's `process_single_data` (its gateway's unary call)."""
    if side.kind == "flowc":
        from flowc.runtime.docs import encode_docs
        from flowc.runtime.proto import flowc_pb2

        request = flowc_pb2.DataRequest(docs=encode_docs(docs))
        request.header.endpoint = "/default"
        return "/flowc.v1.Flowc/Process", request.SerializeToString()
    from jina.types.request.data import DataRequest

    jina_request = DataRequest()
    jina_request.header.exec_endpoint = "/default"
    jina_request.data.docs = docs
    return ("/jina.JinaSingleDataRequestRPC/process_single_data",
            jina_request.proto.SerializeToString())


def raw_sequential(port: int, side: Side, seconds: float,
                   pid: int | None = None) -> dict[str, Any]:
    """Prepared request bytes through a plain gRPC stub on one channel (no client-side codec):
    each side's best case, as issue 13 compares them. With the Flow's `pid`, CPU too."""
    import grpc

    result = {}
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        for label, docs in (("1", side.one), ("100", side.hundred)):
            method, payload = raw_request(side, docs)
            call = channel.unary_unary(method)  # bytes in, bytes out
            result[label] = timed(lambda: call(payload), seconds, pid=pid)
            result[label]["bytes"] = len(payload)
    return result


def raw_concurrent(port: int, side: Side, seconds: float, clients: int = 8,
                   pid: int | None = None) -> dict[str, Any]:
    """`clients` concurrent clients (one channel each, grpc.aio in one process: the driver's own
    CPU stays small), each sending 1-document requests back to back; requests/s and p50, and
    with the Flow's `pid` the CPU per request (`CpuMeter`)."""
    import asyncio

    import grpc

    method, payload = raw_request(side, side.one)

    async def client(call: Any, end: float, samples: list[float]) -> None:
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            await call(payload)
            samples.append(time.perf_counter() - t0)

    async def run() -> dict[str, Any]:
        channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}",
                                              options=[("grpc.use_local_subchannel_pool", 1)])
                    for _ in range(clients)]
        calls = [channel.unary_unary(method) for channel in channels]
        for _ in range(20):  # warm-up: every channel connected before the clock starts
            await asyncio.gather(*(call(payload) for call in calls))
        samples: list[float] = []
        cpu = CpuMeter(pid)
        begin = time.perf_counter()
        await asyncio.gather(*(client(call, begin + seconds, samples) for call in calls))
        elapsed = time.perf_counter() - begin
        used = cpu.per(len(samples))
        for channel in channels:
            await channel.close()
        samples.sort()
        return {"clients": clients, "n": len(samples), "rps": len(samples) / elapsed,
                "p50_ms": statistics.median(samples) * 1000,
                "p90_ms": samples[int(len(samples) * 0.9)] * 1000, **used}

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("flowc", "jina"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    side = Side(args.kind)
    out: dict[str, Any] = {"kind": args.kind, "command": side.command(), "starts": [],
                           "start_cpu": [], "stops": []}
    for attempt in range(args.starts):
        port = free_port()
        proc, seconds, client = start_flow(side, port)
        out["starts"].append(seconds)
        out["start_cpu"].append(cpu_seconds(proc.pid))
        last = attempt == args.starts - 1
        try:
            if last:
                measure(side, proc, port, client, args.seconds, out)
        except BaseException:  # a failed measure must not leave the Flow running
            stop_flow(side, proc)
            raise
        if side.kind == "flowc":  # Jina's close() is a coroutine; its process ends anyway
            client.close()
        out["stops"].append(stop_flow(side, proc))
    out["start_median"] = statistics.median(out["starts"])
    out["start_cpu_median"] = statistics.median(out["start_cpu"])
    json.dump(out, sys.stdout)


def measure(side: Side, proc: subprocess.Popen, port: int, client: Any, seconds: float,
            out: dict[str, Any]) -> None:
    """The figures of one running Flow, into `out`."""
    time.sleep(1.0)
    out["idle"] = memory(proc.pid)
    for label, docs in (("1", side.one), ("100", side.hundred)):
        out[f"seq_{label}"] = timed(lambda: side.post(client, docs), seconds, pid=proc.pid)
    out["raw"] = raw_sequential(port, side, seconds, pid=proc.pid)
    out["concurrent_8"] = raw_concurrent(port, side, seconds, pid=proc.pid)
    out["loaded"] = memory(proc.pid)


if __name__ == "__main__":
    main()
