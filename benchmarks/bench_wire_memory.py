"""Measurement: peak memory of the gateway process when one client sends it one big request.

Starts a one-entry Flow (a pass-through executor) on 127.0.0.1 with the test harness, sends one
`DataRequest` whose `docs` hold `--size` bytes, and reports the gateway's PSS (sampled every 5 ms
from /proc/PID/smaps_rollup) and its peak RSS (VmHWM from /proc/PID/status, kept by the kernel),
then checks that a normal request still gets an answer (issue 8 §3).

    .venv/bin/python benchmarks/bench_wire_memory.py                 # 100 MB, default limits
    .venv/bin/python benchmarks/bench_wire_memory.py --unlimited     # limits off (as before)

The code before the limits: `git archive bf6e4ac runtime compiler schemas targets | tar -x -C
/tmp/old/flowc`, then run this script with `PYTHONPATH=/tmp/old` (and without `--unlimited`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "runtime")]

import grpc  # noqa: E402

from flowc.compiler.driver import compile_flow  # noqa: E402
from flowc.runtime.proto import flowc_pb2  # noqa: E402
from flowc_gateway_harness import RunningFlow  # noqa: E402

EXECUTOR = '''
from flowc.runtime import Executor, requests


class Pass(Executor):
    @requests
    def nothing(self, **kwargs):
        return None
'''
FLOW = '''
jtype: Flow
{options}
executors:
  - name: p
    uses: Pass
    py_modules: [execs.py]
'''
UNLIMITED = '''with:
  grpc_server_options: {grpc.max_receive_message_length: -1, grpc.max_send_message_length: -1}
'''


def _proc_kib(path: str, field: str) -> int:
    for line in open(path):
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000_000, help="bytes of docs")
    parser.add_argument("--unlimited", action="store_true", help="Flow sets no message limit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "execs.py").write_text(EXECUTOR)
        (folder / "flow.yml").write_text(FLOW.format(options=UNLIMITED if args.unlimited else ""))
        plan = compile_flow(folder / "flow.yml").plan
        with RunningFlow(plan, folder, folder / "run") as flow:
            measure(flow, args.size)


def measure(flow: RunningFlow, size: int) -> None:
    pid = next(p.pid for label, p in flow.procs if label == "gateway")
    smaps, status = f"/proc/{pid}/smaps_rollup", f"/proc/{pid}/status"
    pss_before, hwm_before = _proc_kib(smaps, "Pss:"), _proc_kib(status, "VmHWM:")
    peak, done = [pss_before], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _proc_kib(smaps, "Pss:"))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    big = flowc_pb2.DataRequest(docs=b"x" * size)
    data = big.SerializeToString()
    del big
    options = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
    with grpc.insecure_channel(f"127.0.0.1:{flow.port}", options=options) as channel:
        call = channel.unary_unary("/flowc.v1.Flowc/Process", request_serializer=None,
                                   response_deserializer=None)
        started = time.monotonic()
        try:
            outcome = f"answered ({len(call(data, timeout=120)):,} bytes)"
        except grpc.RpcError as exc:
            outcome = f"{exc.code().name}: {exc.details()}"
        took = time.monotonic() - started
        time.sleep(0.3)
        done.set()
        sampler.join()
        normal = flowc_pb2.DataRequest.FromString(call(b"", timeout=10))
    print(f"{size:,}-byte request: {outcome} in {took:.2f} s")
    print(f"then a normal request: status {flowc_pb2.Status.Code.Name(normal.header.status.code)}")
    print(f"gateway PSS: {pss_before / 1024:.0f} MiB before, {peak[0] / 1024:.0f} MiB peak "
          f"(sampled); peak RSS (VmHWM): {hwm_before / 1024:.0f} MiB before, "
          f"{_proc_kib(status, 'VmHWM:') / 1024:.0f} MiB after")


if __name__ == "__main__":
    main()
