"""One side of benchmarks/bench_batching.py: start a Flow, load it with concurrent clients,
stop it; JSON out.

    <python> benchmarks/flows/drive_batching.py flowc|jina flow.yml|plain.yml|in_gateway.yml
             [--clients 32] [--seconds 5] [--warmup 1] [--stream]

Run by flowc's interpreter for `flowc` (`flowc run`) and by Jina's own for `jina` (`jina flow
--uses`, inside the loopback-only network namespace), so both are measured by this code. The
load is the same for both: one gRPC channel to the gateway, `--clients` coroutines (grpc.aio) each
sending a 1-document request and the next one as soon as its answer is back, the requests
serialised once beforehand (one per client, so request ids differ) and sent as bytes: Jina's
`JinaSingleDataRequestRPC/process_single_data`, flowc's `Flowc/Process`; with `--stream`, all
of them over one long-lived stream (Jina's `JinaRPC/Call`, flowc's `Flowc/ProcessStream`).
Every answer is parsed for its status (an error is counted, never a success). The executor logs
the size of each call (`BENCH_BATCH_LOG`), from which the mean batch is reported. The Flow's own
output goes to a temporary file, shown when it fails to answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from drive import cpu_seconds, free_port, stop_flow  # noqa: E402

METHODS = {"flowc": "/flowc.v1.Flowc/Process",
           "jina": "/jina.JinaSingleDataRequestRPC/process_single_data"}
STREAMS = {"flowc": "/flowc.v1.Flowc/ProcessStream", "jina": "/jina.JinaRPC/Call"}


def stream_ids(kind: str) -> tuple[Callable[[bytes, int], bytes], Callable[[bytes], int]]:
    """(tag a serialised request with a number, read that number from an answer): flowc's
    `hop_id`, Jina's `header.request_id` (a field appended to a serialised message overrides or
    merges into the same field before it, so the requests stay prepared bytes)."""
    if kind == "flowc":
        from flowc.runtime.proto import flowc_pb2
        from flowc.runtime.streams import tagged

        def tag(payload: bytes, number: int) -> bytes:
            return tagged(flowc_pb2.DataRequest.FromString(payload), number)

        return tag, lambda answer: flowc_pb2.DataRequest.FromString(answer).hop_id
    from jina.proto import jina_pb2

    def tag(payload: bytes, number: int) -> bytes:
        request = jina_pb2.DataRequestProto.FromString(payload)
        request.header.request_id = str(number)
        return request.SerializeToString()

    return tag, lambda answer: int(jina_pb2.DataRequestProto.FromString(answer)
                                   .header.request_id)


def requests_and_check(kind: str, count: int) -> tuple[list[bytes], Callable[[bytes], bool]]:
    """`count` serialised 1-document requests to `/default`, and a function telling whether an
    answer's status is success (with one document)."""
    from docarray import DocList
    from docarray.documents import TextDoc

    docs = DocList[TextDoc]([TextDoc(text="hello world")])
    if kind == "flowc":
        from flowc.runtime.docs import encode_docs
        from flowc.runtime.proto import flowc_pb2

        payloads = []
        for i in range(count):
            request = flowc_pb2.DataRequest(docs=encode_docs(docs))
            request.header.endpoint = "/default"
            request.header.request_id = f"client-{i}"
            payloads.append(request.SerializeToString())

        def ok(answer: bytes) -> bool:
            reply = flowc_pb2.DataRequest.FromString(answer)
            return reply.header.status.code == flowc_pb2.Status.SUCCESS and bool(reply.docs)

        return payloads, ok
    from jina.proto import jina_pb2
    from jina.types.request.data import DataRequest

    payloads = []
    for i in range(count):
        request = DataRequest()
        request.header.exec_endpoint = "/default"
        request.header.request_id = f"client-{i}"
        request.data.docs = docs
        payloads.append(request.proto_with_data.SerializeToString())

    def ok(answer: bytes) -> bool:
        reply = jina_pb2.DataRequestProto.FromString(answer)
        return reply.header.status.code == 0 and len(reply.data.docs.docs) == 1

    return payloads, ok


def command(kind: str, flow: Path) -> list[str]:
    bindir = Path(sys.executable).parent
    if kind == "flowc":
        return [str(bindir / "flowc"), "run", str(flow)]
    return [str(bindir / "jina"), "flow", "--uses", str(flow)]


async def load(port: int, method: str, payloads: list[bytes], ok: Callable[[bytes], bool],
               seconds: float, warmup: float, pid: int, sizes: Path,
               stream: str | None = None) -> dict[str, Any]:
    """Closed-loop clients for `warmup` + `seconds`; rates, latencies and the CPU used by the
    Flow's processes (tree of `pid`) and by this client, per request, over `seconds` only.
    `stream` ("flowc" or "jina"): over one long-lived stream of that side instead of unary
    calls."""
    import grpc

    identity = lambda b: b  # noqa: E731
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        unary = channel.unary_unary(method, request_serializer=identity,
                                    response_deserializer=identity)
        latencies: list[float] = []
        errors = 0
        measuring = False
        stop_at = time.perf_counter() + warmup + seconds
        if stream is not None:  # one stream; a client's answers found by its number
            tag, number_of = stream_ids(stream)
            duplex = channel.stream_stream(STREAMS[stream], request_serializer=identity,
                                           response_deserializer=identity)()
            waiting: dict[int, asyncio.Future] = {}
            lock = asyncio.Lock()
            payloads = [tag(p, i + 1) for i, p in enumerate(payloads)]

            async def read() -> None:
                async for answer in duplex:
                    waiting.pop(number_of(answer)).set_result(answer)

            reader = asyncio.ensure_future(read())

        async def send(number: int, payload: bytes) -> bytes:
            if stream is None:
                return await unary(payload, timeout=30)
            future = waiting[number] = asyncio.get_running_loop().create_future()
            async with lock:
                await duplex.write(payload)
            return await asyncio.wait_for(future, 30)

        async def client(number: int, payload: bytes) -> None:
            nonlocal errors
            while True:
                began = time.perf_counter()
                if began >= stop_at:
                    return
                try:
                    good = ok(await send(number, payload))
                except (grpc.aio.AioRpcError, asyncio.TimeoutError):
                    good = False
                if measuring:
                    if good:
                        latencies.append(time.perf_counter() - began)
                    else:
                        errors += 1

        tasks = [asyncio.ensure_future(client(i + 1, p)) for i, p in enumerate(payloads)]
        await asyncio.sleep(warmup)
        measuring = True
        sizes.write_text("")  # the executor appends one line per call from here on
        servers, mine, began = cpu_seconds(pid), time.process_time(), time.perf_counter()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
        servers, mine = cpu_seconds(pid) - servers, time.process_time() - mine
        if stream is not None:
            await duplex.done_writing()
            reader.cancel()
    latencies.sort()
    total = max(len(latencies) + errors, 1)
    calls = [int(line) for line in sizes.read_text().split()]
    return {"rps": len(latencies) / elapsed, "n": len(latencies), "errors": errors,
            "server_cpu_ms": servers / total * 1000, "client_cpu_ms": mine / total * 1000,
            "calls": len(calls), "mean_batch": statistics.mean(calls) if calls else 0.0,
            "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0}


def wait_ready(proc: subprocess.Popen, port: int, method: str, payload: bytes,
               ok: Callable[[bytes], bool]) -> float:
    import grpc

    began, last = time.perf_counter(), "nothing"
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(method, request_serializer=lambda b: b,
                                   response_deserializer=lambda b: b)
        while time.perf_counter() - began < 90:
            if proc.poll() is not None:
                raise SystemExit(f"the Flow exited with {proc.returncode} before answering")
            if not _port_open(port):  # nothing listens yet: no failed call, no backoff
                time.sleep(0.02)
                continue
            try:
                answer = call(payload, timeout=10)
                if ok(answer):
                    return time.perf_counter() - began
                last = f"an answer that is not a success ({len(answer)} bytes)"
            except grpc.RpcError as exc:
                last = f"{exc.code()}: {exc.details()}"
            time.sleep(0.05)
    raise SystemExit(f"the Flow did not answer within 90 s; last: {last}")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.05)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("flowc", "jina"))
    parser.add_argument("flow", help="a Flow file of batching/<kind>/: flow.yml (batched), "
                                     "plain.yml, in_gateway.yml (flowc)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--stream", action="store_true",
                        help="one long-lived stream (flowc ProcessStream, Jina Call), not "
                             "unary calls")
    args = parser.parse_args()
    flow = HERE / "batching" / args.kind / args.flow
    payloads, ok = requests_and_check(args.kind, args.clients)
    method = METHODS[args.kind]
    port = free_port()
    sizes = Path(tempfile.mkdtemp(prefix="flowc-bench-batch-")) / "sizes.txt"
    env = dict(os.environ, BENCH_PORT=str(port), JINA_OPTOUT_TELEMETRY="1",
               BENCH_BATCH_LOG=str(sizes))
    log = sizes.with_name("flow.log")  # the Flow's output, shown if it fails to answer
    with open(log, "wb") as out:
        proc = subprocess.Popen(command(args.kind, flow), cwd=str(flow.parent), env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        try:
            started = wait_ready(proc, port, method, payloads[0], ok)
        except SystemExit as exc:
            tail = log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"{exc}\n--- the Flow's output:\n{tail}") from None
        result = asyncio.run(load(port, method, payloads, ok, args.seconds, args.warmup,
                                  proc.pid, sizes, args.kind if args.stream else None))
        result["start_s"] = started
    finally:
        stop = stop_flow(type("Side", (), {"kind": args.kind})(), proc)
        shutil.rmtree(sizes.parent, ignore_errors=True)
    result.update(kind=args.kind, flow=args.flow, clients=args.clients, stream=args.stream,
                  left_behind=stop["left_behind"])
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
