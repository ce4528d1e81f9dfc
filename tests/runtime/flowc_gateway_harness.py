"""Test harness: start a plan's workers, heads and gateway as real processes on 127.0.0.1.

Not a test module. Each process writes its output to a log file under the test's tmp dir; `stop()`
sends SIGTERM to every process it started (by pid), waits, and kills only what is still running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from flowc.compiler.driver import compile_flow
from flowc.compiler.plan import Plan
from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def compile_example(name: str) -> Plan:
    result = compile_flow(EXAMPLES / name / "flow.yml")
    assert result.ok and result.plan is not None, [d.message for d in result.diagnostics]
    return result.plan


def runtime_cmd(*args: Any) -> list[str]:
    return [sys.executable, "-m", "flowc.runtime", *[str(a) for a in args]]


class RunningFlow:
    """Workers (+ heads) + gateway for `plan`, started by `start()` and stopped by `stop()`."""

    def __init__(self, plan: Plan, base_dir: Path, tmp: Path, *, extra_env: dict | None = None,
                 gateway_args: Sequence[str] = ()):
        self.plan = plan
        self.base_dir = Path(base_dir)
        self.tmp = Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", **(extra_env or {}))
        self.gateway_args = list(gateway_args)
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.addresses: dict[str, list[str]] = {}
        self.worker_ports: dict[str, list[int]] = {}
        self.port = 0
        self._channel: grpc.Channel | None = None

    # -- processes ---------------------------------------------------------------------------
    def spawn(self, label: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{label.replace('/', '_')}.log", "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                cwd=self.tmp)
        log.close()
        self.procs.append((label, proc))
        return proc

    def worker(self, name: str, *, shard: int = 0, replica: int = 0,
               role: str = "executor") -> str:
        port = free_port()
        self.spawn(f"{name}-{role}-{shard}-{replica}", runtime_cmd(
            "worker", "--plan", self.plan_path, "--deployment", name, "--role", role,
            "--shard", shard, "--replica", replica, "--port", port, "--host", "127.0.0.1",
            "--base-dir", self.base_dir, "--grace", 2))
        self.worker_ports.setdefault(name, []).append(port)
        return f"127.0.0.1:{port}"

    def start(self, timeout: float = 60.0) -> "RunningFlow":
        """Start every process and wait until the gateway is SERVING; on any failure, stop what
        was started before raising (a failed start must leave no process behind)."""
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout: float) -> None:
        self.plan_path = self.tmp / "plan.json"
        self.plan_path.write_text(self.plan.to_json(), encoding="utf-8")
        for dep in self.plan.deployments:
            if dep.placement == "gateway" or dep.external:
                continue
            if dep.shards > 1:
                shards = [[self.worker(dep.name, shard=s, replica=r)
                           for r in range(dep.replicas)] for s in range(dep.shards)]
                head = ["--shards", json.dumps(shards)]
                if dep.uses_before is not None:
                    head += ["--uses-before", self.worker(dep.name, role="uses_before")]
                if dep.uses_after is not None:
                    head += ["--uses-after", self.worker(dep.name, role="uses_after")]
                port = free_port()
                self.spawn(f"{dep.name}-head", runtime_cmd(
                    "head", "--plan", self.plan_path, "--deployment", dep.name, "--port", port,
                    "--host", "127.0.0.1", "--grace", 2, *head))
                self.addresses[dep.name] = [f"127.0.0.1:{port}"]
            else:
                self.addresses[dep.name] = [self.worker(dep.name, replica=r)
                                            for r in range(dep.replicas)]
        self.port = free_port()
        self.spawn("gateway", runtime_cmd(
            "gateway", "--plan", self.plan_path, "--port", self.port, "--host", "127.0.0.1",
            "--base-dir", self.base_dir, "--addresses", json.dumps(self.addresses),
            "--grace", 2, *self.gateway_args))
        self.wait_serving(f"127.0.0.1:{self.port}", timeout)

    def wait_serving(self, address: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                self.check_alive()
                try:
                    reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=0.5)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.05)
        raise AssertionError(f"{address} not SERVING after {timeout}s\n{self.logs()}")

    def check_alive(self) -> None:
        dead = [(label, p.returncode) for label, p in self.procs if p.poll() is not None]
        if dead:
            raise AssertionError(f"processes exited: {dead}\n{self.logs()}")

    def logs(self) -> str:
        parts = []
        for path in sorted(self.tmp.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def stop(self) -> list[int]:
        if self._channel is not None:
            self._channel.close()
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = []
        for _, proc in self.procs:
            try:
                codes.append(proc.wait(timeout=10))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes

    def __enter__(self) -> "RunningFlow":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- requests ----------------------------------------------------------------------------
    @property
    def stub(self) -> flowc_pb2_grpc.FlowcStub:
        if self._channel is None:
            self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        return flowc_pb2_grpc.FlowcStub(self._channel)

    def post(self, on: str = "/default", docs: Any = None, parameters: dict | None = None,
             target: str = "", timeout: float = 20.0) -> flowc_pb2.DataRequest:
        from flowc.runtime.docs import encode_docs

        request = flowc_pb2.DataRequest()
        request.header.request_id = "req"
        request.header.endpoint = on
        request.header.target_executor = target
        if parameters:
            request.parameters.update(parameters)
        if docs is not None:
            request.docs = encode_docs(docs)
        return self.stub.Process(request, timeout=timeout)


def generic_docs(*items: Any) -> Any:
    """A DocList of the runtime's generic documents: strings become texts, dicts the fields."""
    from docarray import DocList

    from flowc.runtime.generic_doc import GenericDoc

    docs = [GenericDoc(text=i) if isinstance(i, str) else GenericDoc(**i) for i in items]
    return DocList[GenericDoc](docs)


def decode(response: flowc_pb2.DataRequest) -> Any:
    from flowc.runtime.docs import decode_docs

    return decode_docs(response.docs)


def results_of(response: flowc_pb2.DataRequest) -> dict:
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(response.parameters).get("__results__", {})
