"""The runtime's fast paths keep their behaviour: the serial endpoint thread, a pass-through
answered with the request itself, READY=1 heard by `flowc run`'s supervisor, a router holding
requests that arrive before it is SERVING, and replicas that begin listening after the router."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading

import grpc
import pytest
from docarray import DocList
from docarray.documents import TextDoc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio

from flowc.runtime import Executor, requests
from flowc.runtime.channels import ReplicaSet, wait_until_serving
from flowc.runtime.docs import encode_docs
from flowc.runtime.server import HoldUntilServing
from flowc.runtime.host import ExecutorHost, _SerialThread
from flowc.runtime.supervisor import LaunchError, Supervisor
from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc


# -- the serial endpoint thread --------------------------------------------------------------

def test_serial_thread_runs_calls_in_one_thread_in_order_and_relays_errors():
    async def main():
        worker = _SerialThread("exec-test")
        order: list[int] = []
        try:
            names = await asyncio.gather(*(worker.run(lambda i=i: (
                order.append(i), threading.current_thread().name)[1]) for i in range(5)))
            with pytest.raises(ZeroDivisionError):
                await worker.run(lambda: 1 / 0)
            after = await worker.run(lambda: "still serving")
        finally:
            worker.shutdown(wait=True)
        return names, order, after

    names, order, after = asyncio.run(main())
    assert set(names) == {"exec-test"} and order == [0, 1, 2, 3, 4] and after == "still serving"


class Echoes(Executor):
    @requests(on="/untouched")
    def untouched(self, docs, **kwargs):
        return None

    @requests(on="/results")
    def results(self, docs, **kwargs):
        return {"n": 1}

    @requests(on="/changed")
    def changed(self, docs: DocList[TextDoc], **kwargs):
        for doc in docs:
            doc.text = doc.text.upper()


def _request(endpoint: str) -> flowc_pb2.DataRequest:
    request = flowc_pb2.DataRequest(docs=encode_docs(DocList[TextDoc]([TextDoc(text="a")])))
    request.header.endpoint = endpoint
    request.header.request_id = "r1"
    return request


def test_pass_through_answers_with_the_request_itself_and_others_with_a_new_message():
    host = ExecutorHost(Echoes(), runtime_name="e/rep-0")
    try:
        untouched, results, changed = (_request(e) for e in ("/untouched", "/results",
                                                              "/changed"))
        answers = asyncio.run(_process_all(host, [untouched, results, changed]))
    finally:
        host.close()
    assert answers[0] is untouched
    assert answers[1] is not results and answers[1].docs == results.docs
    assert dict(answers[1].parameters["__results__"]["e/rep-0"]) == {"n": 1}
    assert answers[2] is not changed and answers[2].docs != changed.docs
    assert [a.header.request_id for a in answers] == ["r1"] * 3


async def _process_all(host: ExecutorHost, requests_: list) -> list:
    return [await host.process(r) for r in requests_]


# -- flowc run hears READY=1 ----------------------------------------------------------------------

def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launch(script: str, ready_timeout: float) -> Supervisor:
    launch = {"flow": "t", "gateway": {"host": "127.0.0.1", "port": _dead_port()},
              "processes": [{"name": "only", "kind": "worker", "port": _dead_port(),
                             "argv": [sys.executable, "-c", script]}]}
    return Supervisor(launch, cwd=".", quiet=True, ready_timeout=ready_timeout)


READY_THEN_WAIT = ("import time; from flowc.runtime.notify import notify\n"
                   "assert notify('READY=1'); time.sleep(30)")


def test_supervisor_takes_ready_notification_as_readiness():
    # nothing listens on the child's port: only its READY=1 can make it ready
    supervisor = _launch(READY_THEN_WAIT, ready_timeout=20)
    try:
        supervisor.start()
        assert [c.ready for c in supervisor.children] == [True]
    finally:
        supervisor.stop(grace=2)


def test_supervisor_without_ready_or_health_times_out():
    supervisor = _launch("import time; time.sleep(30)", ready_timeout=1.5)
    with pytest.raises(LaunchError, match="not ready after"):
        supervisor.start()
    assert all(c.popen.poll() is not None for c in supervisor.children)


# -- routers: requests before SERVING, replicas listening late -------------------------------------

class _Answering:
    async def Process(self, request, context):
        return "processed"

    async def Endpoints(self, request, context):
        return "endpoints"


class _Deadline:
    def __init__(self, seconds):
        self.seconds = seconds

    def time_remaining(self):
        return self.seconds


def test_request_before_serving_waits_for_it():
    async def main():
        serving = asyncio.Event()
        held = HoldUntilServing(_Answering(), serving, "gateway")
        call = asyncio.create_task(held.Process(None, _Deadline(None)))
        await asyncio.sleep(0.2)
        waited = not call.done()
        serving.set()
        return waited, await asyncio.wait_for(call, 2), await held.Endpoints(None, None)

    assert asyncio.run(main()) == (True, "processed", "endpoints")


def test_request_before_serving_goes_on_at_its_deadline():
    async def main():
        held = HoldUntilServing(_Answering(), asyncio.Event(), "gateway")
        return await asyncio.wait_for(held.Process(None, _Deadline(0.1)), 5)

    assert asyncio.run(main()) == "processed"


class _Tag(flowc_pb2_grpc.FlowcServicer):  # no ProcessStream: reached by unary calls
    async def Process(self, request, context):
        request.header.endpoint = "late"
        return request

    async def Endpoints(self, request, context):
        return flowc_pb2.EndpointsReply()


def test_replica_that_starts_listening_late_is_noticed_and_reached():
    async def main():
        port = _dead_port()
        rs = ReplicaSet("late", [f"127.0.0.1:{port}"])
        waiter = asyncio.create_task(wait_until_serving([rs]))
        await asyncio.sleep(0.4)  # the router dialled and was refused a few times meanwhile
        assert not waiter.done()
        server = grpc.aio.server()
        flowc_pb2_grpc.add_FlowcServicer_to_server(_Tag(), server)
        health = health_aio.HealthServicer()
        await health.set("", health_pb2.HealthCheckResponse.SERVING)
        health_pb2_grpc.add_HealthServicer_to_server(health, server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        try:
            await asyncio.wait_for(waiter, 5)
            answer = await rs.process(flowc_pb2.DataRequest(), timeout_ms=2000)
            return answer.header.endpoint
        finally:
            await rs.close()
            await server.stop(None)

    assert asyncio.run(main()) == "late"
