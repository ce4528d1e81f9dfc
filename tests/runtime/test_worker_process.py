"""`flowc-runtime worker` as a real process on 127.0.0.1 (SPEC §5; issue 3 item 3)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc
from tests.ports import free_port


EXECUTORS = '''
import os, time
from docarray import DocList
from docarray.documents import TextDoc
from flowc.runtime import Executor, requests


class Service(Executor):
    def __init__(self, close_marker=None, **kwargs):
        super().__init__(**kwargs)
        self.close_marker = close_marker

    @requests(on="/echo")
    def echo(self, docs: DocList[TextDoc], **kwargs) -> DocList[TextDoc]:
        for doc in docs:
            doc.text = "echo:" + doc.text

    @requests(on="/slow")
    def slow(self, docs, parameters, **kwargs):
        time.sleep(parameters.get("seconds", 1))
        return {"slept": True}

    @requests(on="/fail")
    def fail(self, docs, **kwargs):
        raise NotImplementedError("no fail today", 42)

    @requests(on="/fatal")
    def fatal(self, docs, **kwargs):
        raise MemoryError("out of memory")

    @requests(on="/env")
    def env(self, **kwargs):
        return {"value": os.environ.get("FLOWC_TEST_VAR", "")}

    def close(self):
        if self.close_marker:
            with open(self.close_marker, "w") as handle:
                handle.write("closed")


class FailsAtInit(Executor):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        raise ValueError("cannot load weights", "w.bin")
'''

FAST_RECONNECT = [("grpc.initial_reconnect_backoff_ms", 20), ("grpc.min_reconnect_backoff_ms", 20),
                  ("grpc.max_reconnect_backoff_ms", 50)]


def write_plan(folder: Path, jtype: str, **dep_kwargs) -> Path:
    (folder / "execs.py").write_text(EXECUTORS)
    ref = ExecutorRef(kind="class", jtype=jtype, py_modules=("execs.py",),
                      uses_with=dep_kwargs.pop("uses_with", {}))
    dep = Deployment(name="svc", executor=ref, needs=("gateway",), **dep_kwargs)
    plan = Plan(flow=FlowInfo(name="t", source="flow.yml"), gateway=Gateway(),
                deployments=(dep,), responders=("svc",))
    path = folder / "plan.json"
    path.write_text(plan.to_json())
    return path


def start_worker(plan: Path, port: int, *extra: str, env: dict | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "flowc.runtime", "worker", "--plan", str(plan),
           "--deployment", "svc", "--port", str(port), "--host", "127.0.0.1", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def wait_serving(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=FAST_RECONNECT)
    stub = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"worker exited {proc.returncode}: {proc.stderr.read()}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=0.5)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.02)
        raise AssertionError("worker did not become SERVING")
    finally:
        channel.close()


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=10)


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("worker")
    marker = folder / "closed.txt"
    plan = write_plan(folder, "Service", uses_with={"close_marker": str(marker)},
                      env={"FLOWC_TEST_VAR": "from-plan"})
    port = free_port()
    proc = start_worker(plan, port)
    try:
        wait_serving(port, proc)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield flowc_pb2_grpc.FlowcStub(channel), port
        channel.close()
    finally:
        stop(proc)


def data_request(endpoint: str, texts=(), parameters=None) -> flowc_pb2.DataRequest:
    from docarray import DocList
    from docarray.documents import TextDoc

    from flowc.runtime.docs import encode_docs

    request = flowc_pb2.DataRequest()
    request.header.endpoint = endpoint
    request.header.request_id = "req"
    if texts:
        request.docs = encode_docs(DocList[TextDoc]([TextDoc(text=t) for t in texts]))
    if parameters:
        request.parameters.update(parameters)
    return request


def test_serving_and_processing(worker):
    from docarray.documents import TextDoc

    from flowc.runtime.docs import decode_docs

    stub, _ = worker
    answer = stub.Process(data_request("/echo", ["a", "b"]), timeout=10)
    assert answer.header.status.code == flowc_pb2.Status.SUCCESS
    assert decode_docs(answer.docs, TextDoc).text == ["echo:a", "echo:b"]


def test_endpoint_discovery_with_schemas(worker):
    stub, _ = worker
    reply = stub.Endpoints(flowc_pb2.EndpointsRequest(), timeout=20)
    assert reply.executor == "svc/rep-0"
    endpoints = {e.endpoint: e for e in reply.endpoints}
    assert sorted(endpoints) == ["/echo", "/env", "/fail", "/fatal", "/slow"]
    echo_in = json.loads(endpoints["/echo"].input_schema)
    assert echo_in["title"] == "TextDoc"
    assert json.loads(endpoints["/slow"].input_schema)["title"] == "GenericDoc"


def test_entry_env_reaches_the_executor(worker):
    from flowc.runtime.host import struct_to_dict

    stub, _ = worker
    answer = stub.Process(data_request("/env"), timeout=10)
    assert struct_to_dict(answer.parameters)["__results__"]["svc/rep-0"] == {"value": "from-plan"}


def test_endpoint_error_keeps_serving(worker):
    stub, _ = worker
    answer = stub.Process(data_request("/fail", ["a"]), timeout=10)
    status = answer.header.status
    assert status.code == flowc_pb2.Status.ERROR
    assert status.exception.name == "NotImplementedError"
    assert list(status.exception.args) == ["no fail today", "42"]
    assert status.exception.executor == "svc/rep-0"
    assert "svc/rep-0" in status.description
    assert stub.Process(data_request("/echo", ["ok"]), timeout=10).header.status.code == 0


def test_health_command(worker):
    _, port = worker
    cmd = [sys.executable, "-m", "flowc.runtime", "health", f"127.0.0.1:{port}"]
    ok = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0 and "SERVING" in ok.stdout
    down = subprocess.run([sys.executable, "-m", "flowc.runtime", "health",
                           f"127.0.0.1:{free_port()}", "--timeout", "0.5"],
                          capture_output=True, text=True, timeout=30)
    assert down.returncode == 1 and "UNREACHABLE" in down.stdout


def test_init_failure_exits_1_with_name_and_traceback(tmp_path):
    plan = write_plan(tmp_path, "FailsAtInit")
    proc = start_worker(plan, free_port())
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "Traceback" in err and "raise ValueError" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("svc/rep-0: executor FailsAtInit (svc) failed to start: ValueError")


def test_init_failure_of_an_executor_yaml_names_the_file_not_the_class_the_plan_recorded(
        tmp_path):
    """The YAML may name another class by now (`restart: true`): the file is what is true."""
    (tmp_path / "execs.py").write_text(EXECUTORS)
    (tmp_path / "exec.yml").write_text("jtype: FailsAtInit\npy_modules: [execs.py]\n")
    ref = ExecutorRef(kind="file", jtype="Echo", path="exec.yml", py_modules=("execs.py",))
    dep = Deployment(name="svc", executor=ref, needs=("gateway",))
    plan = Plan(flow=FlowInfo(name="t", source="flow.yml"), gateway=Gateway(),
                deployments=(dep,), responders=("svc",))
    (tmp_path / "plan.json").write_text(plan.to_json())
    proc = start_worker(tmp_path / "plan.json", free_port())
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("svc/rep-0: executor from exec.yml (svc) failed to start: ValueError")


def test_load_error_exits_1(tmp_path):
    plan = write_plan(tmp_path, "NoSuchClass")
    proc = start_worker(plan, free_port())
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "executor class 'NoSuchClass' not found" in err and "Traceback" not in err


def test_sigterm_finishes_in_flight_then_closes(tmp_path):
    marker = tmp_path / "closed.txt"
    plan = write_plan(tmp_path, "Service", uses_with={"close_marker": str(marker)})
    port = free_port()
    proc = start_worker(plan, port, "--grace", "5")
    try:
        wait_serving(port, proc)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = flowc_pb2_grpc.FlowcStub(channel)
        result = {}

        def slow_call():
            result["answer"] = stub.Process(data_request("/slow", (), {"seconds": 1}), timeout=10)

        thread = threading.Thread(target=slow_call)
        thread.start()
        time.sleep(0.3)  # the request is in flight
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        thread.join(timeout=10)
        code = proc.wait(timeout=10)
        elapsed = time.monotonic() - started
        channel.close()
        assert result["answer"].header.status.code == 0
        assert code == 0 and elapsed < 5
        assert marker.read_text() == "closed"
        err = proc.stderr.read()
        assert "stopping" in err and "stopped in" in err
    finally:
        stop(proc)


def test_grace_bounds_shutdown(tmp_path):
    plan = write_plan(tmp_path, "Service")
    port = free_port()
    proc = start_worker(plan, port, "--grace", "0.5")
    try:
        wait_serving(port, proc)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = flowc_pb2_grpc.FlowcStub(channel)
        future = stub.Process.future(data_request("/slow", (), {"seconds": 30}), timeout=60)
        time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert time.monotonic() - started < 5
        with pytest.raises(grpc.RpcError):
            future.result()
        channel.close()
    finally:
        stop(proc)


def test_exit_on_exceptions(tmp_path):
    plan = write_plan(tmp_path, "Service", exit_on_exceptions=("MemoryError",))
    port = free_port()
    proc = start_worker(plan, port)
    try:
        wait_serving(port, proc)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        answer = flowc_pb2_grpc.FlowcStub(channel).Process(data_request("/fatal", ["a"]),
                                                             timeout=10)
        assert answer.header.status.exception.name == "MemoryError"
        assert proc.wait(timeout=20) == 1
        assert "exit_on_exceptions" in proc.stderr.read()
        channel.close()
    finally:
        stop(proc)


def test_sd_notify_ready(tmp_path):
    sock_path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(30)
    plan = write_plan(tmp_path, "Service")
    port = free_port()
    proc = start_worker(plan, port, env={"NOTIFY_SOCKET": sock_path})
    try:
        assert sock.recv(100) == b"READY=1"
        wait_serving(port, proc, timeout=5)  # READY=1 is only sent once SERVING
        proc.send_signal(signal.SIGTERM)
        assert sock.recv(100) == b"STOPPING=1"
        assert proc.wait(timeout=20) == 0
    finally:
        sock.close()
        stop(proc)


def test_port_in_use_fails_clearly(worker, tmp_path):
    _, port = worker
    plan = write_plan(tmp_path, "Service")
    proc = start_worker(plan, port)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in err


def test_runtime_dispatch_usage():
    out = subprocess.run([sys.executable, "-m", "flowc.runtime", "nope"], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 2 and "unknown command 'nope'" in out.stderr


def test_sigterm_while_loading_exits_0(tmp_path):
    (tmp_path / "slow_init.py").write_text(
        "import time\nfrom flowc.runtime import Executor\n\n"
        "class SlowInit(Executor):\n"
        "    def __init__(self, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        open(__file__ + '.started', 'w').close()\n"
        "        time.sleep(30)\n")
    ref = ExecutorRef(kind="class", jtype="SlowInit", py_modules=("slow_init.py",))
    plan = Plan(flow=FlowInfo(name="t", source="flow.yml"), gateway=Gateway(),
                deployments=(Deployment(name="svc", executor=ref, needs=("gateway",)),),
                responders=("svc",))
    (tmp_path / "plan.json").write_text(plan.to_json())
    proc = start_worker(tmp_path / "plan.json", free_port())
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "slow_init.py.started").exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "stopped before serving" in proc.stderr.read()
    finally:
        stop(proc)


HOT = '''
from flowc.runtime import Executor, requests
from helper import BONUS


class Hot(Executor):
    @requests(on="/v")
    def v(self, **kwargs):
        return {"v": VERSION + BONUS}

    def close(self):
        with open(__file__ + ".closed", "a") as handle:
            handle.write(str(VERSION) + "\\n")


VERSION = %d
'''


def _version(stub) -> int | None:
    from flowc.runtime.host import struct_to_dict

    answer = stub.Process(data_request("/v"), timeout=10)
    return struct_to_dict(answer.parameters)["__results__"]["svc/rep-0"]["v"]


def _wait_for_version(stub, expected: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while _version(stub) != expected:
        assert time.monotonic() < deadline, f"version never became {expected}"
        time.sleep(0.1)


def test_reload_swaps_code_and_survives_a_broken_edit(tmp_path):
    (tmp_path / "hot.py").write_text(HOT % 1)
    (tmp_path / "helper.py").write_text("BONUS = 0\n")
    ref = ExecutorRef(kind="class", jtype="Hot", py_modules=("hot.py",))
    plan = Plan(flow=FlowInfo(name="t", source="flow.yml"), gateway=Gateway(),
                deployments=(Deployment(name="svc", executor=ref, needs=("gateway",),
                                        reload=True),),
                responders=("svc",))
    (tmp_path / "plan.json").write_text(plan.to_json())
    port = free_port()
    proc = start_worker(tmp_path / "plan.json", port)
    try:
        wait_serving(port, proc)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = flowc_pb2_grpc.FlowcStub(channel)
        assert _version(stub) == 1
        (tmp_path / "hot.py").write_text(HOT % 2)
        _wait_for_version(stub, 2)
        (tmp_path / "hot.py").write_text(HOT % 3 + "\ndef broken(:\n")
        time.sleep(1.5)  # three polls: the broken file is seen and refused
        assert _version(stub) == 2
        (tmp_path / "helper.py").write_text("BONUS = 100\n")  # a sibling module counts too
        (tmp_path / "hot.py").write_text(HOT % 4)
        _wait_for_version(stub, 104)
        channel.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        err = proc.stderr.read()
        assert "reload failed, the previous code keeps serving: " in err and "SyntaxError" in err
        assert (tmp_path / "hot.py.closed").read_text().split() == ["1", "2", "4"]
    finally:
        stop(proc)
