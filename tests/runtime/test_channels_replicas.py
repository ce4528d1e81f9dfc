"""Outgoing channels: address forms, round robin over replicas, retries, timeouts."""

from __future__ import annotations

import asyncio
import socket

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio

from flowc.runtime.channels import (HopFailure, ReplicaSet, Target, attempts_for,
                                    parse_address, wait_until_serving)
from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc
from flowc.runtime.streams import StreamServer


class Tagger:
    """Answers with its name in the request id field's place (header.endpoint)."""

    def __init__(self, name, delay=0.0, fail=False):
        self.name, self.delay, self.fail, self.calls = name, delay, fail, 0

    async def Process(self, request, context):
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = flowc_pb2.DataRequest()
        reply.CopyFrom(request)
        reply.header.endpoint = self.name
        if self.fail:
            reply.header.status.code = flowc_pb2.Status.ERROR
            reply.header.status.exception.executor = self.name
        return reply

    async def ProcessStream(self, requests, context):  # what routers use (streams.py)
        await StreamServer(lambda request: self.Process(request, None)).serve(requests, context)

    async def Endpoints(self, request, context):
        return flowc_pb2.EndpointsReply(executor=self.name, endpoints=[
            flowc_pb2.EndpointInfo(endpoint="/x")])


async def start(servicer, serving=True):
    server = grpc.aio.server()
    flowc_pb2_grpc.add_FlowcServicer_to_server(servicer, server)
    health = health_aio.HealthServicer()
    await health.set("", health_pb2.HealthCheckResponse.SERVING if serving
                     else health_pb2.HealthCheckResponse.NOT_SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}", health


def dead_address():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"127.0.0.1:{port}"


def test_parse_address_forms():
    assert parse_address("h:1") == Target("h:1")
    assert parse_address("grpc://h:1") == Target("h:1")
    assert parse_address("grpcs://h:443") == Target("h:443", tls=True)
    assert parse_address("dns:///svc.ns:8080") == Target("dns:///svc.ns:8080", balanced=True)
    for bad in ("h", "http://h:1", "h:0", "h:x", ":1"):
        with pytest.raises(ValueError):
            parse_address(bad)


def test_attempts():
    assert attempts_for(-1, 1) == 4 and attempts_for(-1, 5) == 6 and attempts_for(0, 3) == 1


def test_round_robin_over_replicas():
    async def main():
        servers = [await start(Tagger(f"r{i}")) for i in range(3)]
        rs = ReplicaSet("e", [a for _, a, _ in servers])
        try:
            names = [(await rs.process(flowc_pb2.DataRequest())).header.endpoint
                     for _ in range(6)]
        finally:
            await rs.close()
            for s, _, _ in servers:
                await s.stop(None)
        return names

    assert asyncio.run(main()) == ["r0", "r1", "r2", "r0", "r1", "r2"]


def test_retries_go_to_another_replica_when_one_is_down():
    async def main():
        server, live, _ = await start(Tagger("live"))
        rs = ReplicaSet("e", [dead_address(), live], retries=-1)
        try:
            return [(await rs.process(flowc_pb2.DataRequest())).header.endpoint
                    for _ in range(4)]
        finally:
            await rs.close()
            await server.stop(None)

    assert asyncio.run(main()) == ["live"] * 4


def test_unreachable_after_retries_names_the_entry():
    async def main():
        rs = ReplicaSet("enc", [dead_address()], retries=1)
        try:
            await rs.process(flowc_pb2.DataRequest())
        finally:
            await rs.close()

    with pytest.raises(HopFailure) as info:
        asyncio.run(main())
    status = info.value.status()
    assert info.value.kind == "unavailable" and "enc" in status.description
    assert status.exception.executor == "enc" and status.code == flowc_pb2.Status.ERROR


def test_executor_error_status_is_not_retried():
    async def main():
        bad, good = Tagger("bad", fail=True), Tagger("good")
        servers = [await start(bad), await start(good)]
        rs = ReplicaSet("e", [a for _, a, _ in servers], retries=3)
        try:
            reply = await rs.process(flowc_pb2.DataRequest())
        finally:
            await rs.close()
            for s, _, _ in servers:
                await s.stop(None)
        return reply, bad.calls, good.calls

    reply, bad_calls, good_calls = asyncio.run(main())
    assert reply.header.status.code == flowc_pb2.Status.ERROR
    assert (bad_calls, good_calls) == (1, 0)


def test_timeout_is_a_clear_failure():
    async def main():
        server, addr, _ = await start(Tagger("slow", delay=1.0))
        rs = ReplicaSet("slow_entry", [addr], timeout_ms=150)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        try:
            await rs.process(flowc_pb2.DataRequest())
        except HopFailure as exc:
            return exc, loop.time() - t0
        finally:
            await rs.close()
            await server.stop(None)

    exc, elapsed = asyncio.run(main())
    assert exc.kind == "timeout" and "slow_entry" in str(exc) and "150 ms" in str(exc)
    assert exc.status().exception.name == "TimeoutError"
    assert elapsed < 0.8


def test_health_waits_for_every_replica():
    async def main():
        s1, a1, _ = await start(Tagger("a"))
        s2, a2, h2 = await start(Tagger("b"), serving=False)
        rs = ReplicaSet("e", [a1, a2])
        try:
            assert not await rs.serving()
            waiter = asyncio.create_task(wait_until_serving([rs]))
            await asyncio.sleep(0.2)
            assert not waiter.done()
            await h2.set("", health_pb2.HealthCheckResponse.SERVING)
            await asyncio.wait_for(waiter, 3)
            return await rs.endpoints()
        finally:
            await rs.close()
            await s1.stop(None)
            await s2.stop(None)

    reply = asyncio.run(main())
    assert [e.endpoint for e in reply.endpoints] == ["/x"]


def test_dns_address_is_one_balanced_channel():
    async def main():
        server, addr, _ = await start(Tagger("only"))
        port = addr.rsplit(":", 1)[1]
        rs = ReplicaSet("e", [f"dns:///127.0.0.1:{port}"])
        try:
            names = [(await rs.process(flowc_pb2.DataRequest())).header.endpoint
                     for _ in range(3)]
            return names, len(rs.connections), await rs.serving()
        finally:
            await rs.close()
            await server.stop(None)

    assert asyncio.run(main()) == (["only"] * 3, 1, True)
