"""`ProcessStream` (runtime/streams.py): many requests over one stream, answers matched by
`hop_id`, concurrency, graceful draining, broken streams, and the unary fallbacks."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from types import SimpleNamespace
from typing import AsyncIterator

import grpc
import pytest

from flowc.runtime.channels import ReplicaSet
from flowc.runtime.client import Client
from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc
from flowc.runtime.streams import (JOIN_BYTES, JOIN_COUNT, BlockingStream, Outbox, StreamError,
                                    StreamHop, StreamServer, joined, tagged)


def request(text: str, delay_ms: int = 0) -> flowc_pb2.DataRequest:
    message = flowc_pb2.DataRequest()
    message.header.endpoint = text
    message.header.timeout_ms = delay_ms  # the echo server below sleeps this long
    return message


class Echo(flowc_pb2_grpc.FlowcServicer):
    """Answers with the endpoint reversed after `timeout_ms` ms; counts requests per RPC kind."""

    def __init__(self) -> None:
        self.streams = StreamServer(self._answer)
        self.unary = 0
        self.streamed = 0
        self.running = 0
        self.most_running = 0

    async def _answer(self, message: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(message.header.timeout_ms / 1000)
        finally:
            self.running -= 1
        answer = flowc_pb2.DataRequest()
        answer.header.endpoint = message.header.endpoint[::-1]
        return answer

    async def Process(self, message, context):
        self.unary += 1
        return await self._answer(message)

    async def ProcessStream(self, requests, context):
        async def counted(message):
            self.streamed += 1
            return await self._answer(message)

        self.streams._process = counted
        await self.streams.serve(requests, context)


async def serve(servicer, port: int = 0) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    flowc_pb2_grpc.add_FlowcServicer_to_server(servicer, server)
    port = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server, f"127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def echo_stream(servicer=None) -> AsyncIterator[SimpleNamespace]:
    """An Echo server (or `servicer`) and a StreamHop to it (`.echo`, `.server`, `.address`,
    `.channel`, `.hop`); the hop, its channel and whatever `.server` is by then are closed
    afterwards."""
    echo = Echo() if servicer is None else servicer
    server, address = await serve(echo)
    channel = grpc.aio.insecure_channel(address)
    link = SimpleNamespace(echo=echo, server=server, address=address, channel=channel,
                           hop=StreamHop(channel))
    try:
        yield link
    finally:
        await link.hop.close()
        await channel.close()
        await link.server.stop(None)


def test_tagged_sets_hop_id_without_touching_the_request():
    message = request("x")
    message.hop_id = 7
    for hop_id in (1, 127, 128, 300, 2 ** 40):
        assert flowc_pb2.DataRequest.FromString(tagged(message, hop_id)).hop_id == hop_id
    assert message.hop_id == 7


def test_concurrent_requests_on_one_stream_each_get_their_own_answer():
    async def main():
        async with echo_stream() as link:
            # later requests finish first: answers arrive out of order
            words = [f"word{i}" for i in range(20)]
            answers = await asyncio.gather(*(link.hop.process(request(w, 200 - 10 * i))
                                             for i, w in enumerate(words)))
            return words, [a.header.endpoint for a in answers], link.echo

    words, answers, echo = asyncio.run(main())
    assert answers == [w[::-1] for w in words]
    assert echo.streamed == 20 and echo.unary == 0
    assert echo.most_running > 1  # processed concurrently, as separate calls would be


def test_drain_answers_what_was_read_and_ends_the_stream_without_waiting_for_grace():
    async def main():
        async with echo_stream() as link:
            await link.hop.process(request("warm"))
            slow = asyncio.ensure_future(link.hop.process(request("slow", 300)))
            await asyncio.sleep(0.1)  # read by the server, not answered yet
            began = time.monotonic()
            link.echo.streams.drain()
            await link.server.stop(30)  # a stream left open would hold this for 30 s
            stopped = time.monotonic() - began
            answer = await slow
            return stopped, answer.header.endpoint

    stopped, answer = asyncio.run(main())
    assert answer == "wols"
    assert stopped < 5


def test_a_stream_whose_server_died_fails_its_requests_as_unavailable_then_reopens():
    async def main():
        async with echo_stream() as link:
            await link.hop.process(request("one"))
            waiting = asyncio.ensure_future(link.hop.process(request("two", 5000)))
            await asyncio.sleep(0.1)
            await link.server.stop(None)  # no grace: the stream is cut
            with pytest.raises(StreamError) as broken:
                await waiting
            again = Echo()  # a new server on the same port: the next request opens a new stream
            port = int(link.address.rsplit(":", 1)[1])
            link.server, _ = await serve(again, port)
            for _ in range(100):
                try:
                    answer = await link.hop.process(request("three"))
                    break
                except StreamError:
                    await asyncio.sleep(0.05)
            return broken.value.code(), answer.header.endpoint, again.streamed

    code, answer, streamed = asyncio.run(main())
    assert code == grpc.StatusCode.UNAVAILABLE
    assert answer == "eerht" and streamed == 1


def test_a_timeout_on_a_stream_is_deadline_exceeded_and_the_stream_stays_usable():
    async def main():
        async with echo_stream() as link:
            with pytest.raises(StreamError) as late:
                await link.hop.process(request("late", 500), timeout=0.05)
            answer = await link.hop.process(request("next"))
            return late.value.code(), answer.header.endpoint

    assert asyncio.run(main()) == (grpc.StatusCode.DEADLINE_EXCEEDED, "txen")


def test_replica_set_retries_on_another_replica_when_a_stream_breaks():
    async def main():
        first, second = Echo(), Echo()
        server_a, address_a = await serve(first)
        server_b, address_b = await serve(second)
        replicas = ReplicaSet("e", [address_a, address_b], retries=-1)
        try:
            await replicas.process(request("a"))
            await replicas.process(request("b"))  # a stream is open to each replica
            await server_a.stop(None)
            answers = [(await replicas.process(request(w))).header.endpoint
                       for w in ("c", "d", "e", "f")]
            return answers, second.streamed
        finally:
            await replicas.close()
            await server_b.stop(None)

    answers, streamed = asyncio.run(main())
    assert answers == ["c", "d", "e", "f"]
    assert streamed == 5  # "b" and every later request: the dead replica's turns retried here


class UnaryOnly(flowc_pb2_grpc.FlowcServicer):
    """A server of an older protocol: ProcessStream is UNIMPLEMENTED."""

    async def Process(self, message, context):
        answer = flowc_pb2.DataRequest()
        answer.header.endpoint = "unary:" + message.header.endpoint
        return answer


def test_routers_fall_back_to_unary_calls_for_a_server_without_streams():
    async def main():
        server, address = await serve(UnaryOnly())
        replicas = ReplicaSet("old", [address])
        try:
            return [(await replicas.process(request(w))).header.endpoint for w in ("x", "y")]
        finally:
            await replicas.close()
            await server.stop(None)

    assert asyncio.run(main()) == ["unary:x", "unary:y"]


class ServerThread:
    """An asyncio gRPC server in a thread, for the blocking client."""

    def __init__(self, servicer) -> None:
        self.servicer = servicer
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server, self.address = self.loop.run_until_complete(serve(self.servicer))
        self.ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(None), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_blocking_client_uses_the_stream_and_falls_back_for_timeouts_and_busy_streams():
    echo = Echo()
    server = ServerThread(echo)
    try:
        with Client(address=server.address) as client:
            send = client._stub()
            assert send(request("abc")).header.endpoint == "cba"
            assert send(request("abc")).header.endpoint == "cba"
            assert (echo.streamed, echo.unary) == (2, 0)
            assert send(request("t"), timeout=5).header.endpoint == "t"
            assert echo.unary == 1  # a deadline is a unary call's
            results: list[str] = []

            def worker(i: int) -> None:
                results.append(send(request(f"w{i}", 50)).header.endpoint)

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(10)
            assert sorted(results) == sorted(f"w{i}"[::-1] for i in range(6))
            assert echo.unary > 1  # threads that found the stream busy called unary
    finally:
        server.stop()


def test_blocking_client_falls_back_to_unary_for_a_server_without_streams():
    server = ServerThread(UnaryOnly())
    try:
        with Client(address=server.address) as client:
            send = client._stub()
            assert send(request("a")).header.endpoint == "unary:a"
            assert send(request("b")).header.endpoint == "unary:b"
            assert client._stream is None
    finally:
        server.stop()


def test_blocking_stream_reports_a_broken_stream_and_reopens():
    echo = Echo()
    server = ServerThread(echo)
    address = server.address
    channel = grpc.insecure_channel(address)
    stream = BlockingStream(channel)
    try:
        assert stream.try_process(request("one")).header.endpoint == "eno"
        server.stop()
        with pytest.raises(grpc.RpcError):
            for _ in range(50):  # the stream's end is noticed at once or on the next send
                stream.try_process(request("two"))
                time.sleep(0.05)
    finally:
        stream.close()
        channel.close()


def test_requests_racing_a_drain_are_answered_or_sent_again_never_lost():
    async def main():
        first, second = Echo(), Echo()
        server_a, address_a = await serve(first)
        server_b, address_b = await serve(second)
        replicas = ReplicaSet("e", [address_a, address_b], retries=-1)
        failures, answers = [], []
        stop_sending = asyncio.Event()

        async def sender(n: int) -> None:
            i = 0
            while not stop_sending.is_set():
                word = f"s{n}-{i}"
                try:
                    answer = await replicas.process(request(word, 5))
                    answers.append(answer.header.endpoint == word[::-1])
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    failures.append(repr(exc))
                i += 1

        try:
            senders = [asyncio.ensure_future(sender(n)) for n in range(8)]
            await asyncio.sleep(0.3)
            began = time.monotonic()
            first.streams.drain()
            await server_a.stop(20)
            stopped = time.monotonic() - began
            await asyncio.sleep(0.3)
            stop_sending.set()
            await asyncio.gather(*senders)
            return failures, answers, stopped, first.streamed, second.streamed
        finally:
            await replicas.close()
            await server_b.stop(None)

    failures, answers, stopped, on_a, on_b = asyncio.run(main())
    assert failures == []
    assert answers and all(answers)
    assert on_a > 0 and on_b > 0
    assert stopped < 10  # the drained streams ended; the 20 s grace was not waited out


def test_blocking_stream_half_closes_on_the_drain_notice_and_moves_to_a_new_stream():
    echo = Echo()
    server = ServerThread(echo)
    channel = grpc.insecure_channel(server.address)
    stream = BlockingStream(channel)
    try:
        assert stream.try_process(request("one")).header.endpoint == "eno"
        first_call = stream._answers
        server.loop.call_soon_threadsafe(echo.streams.drain)
        time.sleep(0.2)  # the notice is on its way; the server reads on until we half-close
        # a request sent before the client saw the notice is still answered on the old stream
        assert stream.try_process(request("two", 100)).header.endpoint == "owt"
        for _ in range(100):  # the old stream ends once half-closed
            if first_call.done():
                break
            time.sleep(0.02)
        assert first_call.done() and first_call.code() == grpc.StatusCode.OK
    finally:
        stream.close()
        channel.close()
        server.stop()


class Counting(Echo):
    """An Echo that counts the gRPC messages of its streams both ways: per message, how many
    requests (`read`) or answers (`written`) it carried."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[int] = []
        self.written: list[int] = []

    async def ProcessStream(self, requests, context):
        async def counted():
            async for message in requests:
                self.read.append(len(message.joined) or 1)
                yield message

        await super().ProcessStream(counted(), CountingContext(context, self.written))


class CountingContext:
    """A servicer context whose writes are counted."""

    def __init__(self, context, written: list[int]) -> None:
        self._context, self._written = context, written

    def __getattr__(self, name: str):
        return getattr(self._context, name)

    async def write(self, message) -> None:
        self._written.append(len(message.joined) or 1)
        await self._context.write(message)


def test_concurrent_requests_are_joined_into_fewer_messages_both_ways():
    async def main():
        async with echo_stream(Counting()) as link:
            await link.hop.process(request("warm"))  # the server's yes to joining has been read
            words = [f"w{i}" for i in range(50)]
            answers = await asyncio.gather(*(link.hop.process(request(w)) for w in words))
            return words, [a.header.endpoint for a in answers], link.echo

    words, answers, echo = asyncio.run(main())
    assert answers == [w[::-1] for w in words]
    assert echo.streamed == 51  # each request processed once
    assert sum(echo.read) == 51 and sum(echo.written) == 51
    assert len(echo.read) < 20  # 50 requests sent at once: mostly joined
    assert len(echo.written) < 25  # and their answers, finished together


def test_a_client_that_does_not_ask_gets_one_message_per_answer():
    """A raw client (or an older flowc) reads plain answers, however many finish together."""

    async def main():
        async with echo_stream() as link:
            call = link.channel.stream_stream(
                "/flowc.v1.Flowc/ProcessStream", request_serializer=None,
                response_deserializer=flowc_pb2.DataRequest.FromString)()
            for hop_id in range(1, 41):
                await call.write(tagged(request(f"r{hop_id}"), hop_id))
            await call.done_writing()
            return [answer async for answer in call], await call.initial_metadata()

    answers, metadata = asyncio.run(main())
    assert sorted(a.hop_id for a in answers) == list(range(1, 41))
    assert all(not a.joined for a in answers)
    assert ("flowc-join", "1") not in tuple(metadata or ())


class Plain(flowc_pb2_grpc.FlowcServicer):
    """A server that does not join (an older flowc): one answer per message, no yes."""

    def __init__(self) -> None:
        self.joined_seen = 0

    async def ProcessStream(self, requests, context):
        async for message in requests:
            self.joined_seen += len(message.joined)
            await asyncio.sleep(0.001)
            answer = flowc_pb2.DataRequest(hop_id=message.hop_id)
            answer.header.endpoint = message.header.endpoint[::-1]
            await context.write(answer)


def test_a_server_that_does_not_say_yes_never_gets_joined_requests():
    async def main():
        async with echo_stream(Plain()) as link:
            answers = await asyncio.gather(*(link.hop.process(request(f"p{i}"))
                                             for i in range(30)))
            return [a.header.endpoint for a in answers], link.echo.joined_seen

    answers, joined_seen = asyncio.run(main())
    assert answers == [f"p{i}"[::-1] for i in range(30)]
    assert joined_seen == 0


def test_large_requests_are_not_joined_beyond_the_join_limit():
    async def main():
        async with echo_stream(Counting()) as link:
            big = "x" * (JOIN_BYTES // 2)
            await link.hop.process(request("warm"))
            answers = await asyncio.gather(*(link.hop.process(request(big + str(i)))
                                             for i in range(12)))
            return answers, link.echo.read

    answers, messages = asyncio.run(main())
    assert [a.header.endpoint for a in answers] == [(("x" * (JOIN_BYTES // 2)) + str(i))[::-1]
                                                   for i in range(12)]
    assert max(messages) <= 1  # two halves plus their headers exceed the limit: each alone


def test_outbox_keeps_order_and_finishes_after_what_waited():
    async def main():
        written: list[object] = []

        async def write(message: object) -> None:
            await asyncio.sleep(0.01)
            written.append(message)

        outbox = Outbox(write, lambda group: tuple(group), lambda message: 1)
        outbox.joins = True
        first = asyncio.ensure_future(outbox.send("a"))
        await asyncio.sleep(0)  # "a" is being written: the rest wait for the next write
        for message in "bcd":
            await outbox.send(message)
        await outbox.finish(lambda: write("end"))
        await first
        await outbox.flushed()
        return written

    assert asyncio.run(main()) == ["a", ("b", "c", "d"), "end"]


def test_a_failed_write_of_waiting_requests_reports_them_unsent():
    async def main():
        failures: list[tuple[list, str]] = []
        calls = 0

        async def write(message: object) -> None:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.01)
            if calls > 1:
                raise grpc.aio.UsageError("the call is over")

        outbox = Outbox(write, list, lambda message: 1,
                        lambda keys, exc: failures.append((keys, str(exc))))
        outbox.joins = True
        first = asyncio.ensure_future(outbox.send("a", 1))
        await asyncio.sleep(0)
        await outbox.send("b", 2)
        await outbox.send("c", 3)
        await first
        await outbox.flushed()
        return failures

    assert asyncio.run(main()) == [([2, 3], "the call is over")]


def test_a_message_joining_too_many_requests_is_refused_and_the_server_serves_on(capfd):
    """An attack: one small message asking for a task per joined request, tens of thousands."""

    async def main():
        async with echo_stream() as link:
            call = link.channel.stream_stream(
                "/flowc.v1.Flowc/ProcessStream", request_serializer=None,
                response_deserializer=flowc_pb2.DataRequest.FromString)()
            await call.write(joined([tagged(request("x"), i + 1) for i in range(JOIN_COUNT + 1)]))
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                async for _ in call:
                    pass
            after = await link.hop.process(request("next"))  # a new stream is served as before
            return refused.value, after.header.endpoint, link.echo.streamed

    refused, after, streamed = asyncio.run(main())
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"at most {JOIN_COUNT} requests" in refused.details()
    assert after == "txen" and streamed == 1  # none of the refused message's requests ran
    assert "refused a malformed" in capfd.readouterr().err


def test_outbox_joins_at_most_join_count_messages_in_one():
    async def main():
        written: list[object] = []

        async def write(message: object) -> None:
            await asyncio.sleep(0)
            written.append(message)

        outbox = Outbox(write, tuple, lambda message: 1)
        outbox.joins = True
        first = asyncio.ensure_future(outbox.send(-1))
        await asyncio.sleep(0)
        for number in range(JOIN_COUNT + 5):
            await outbox.send(number)
        await first
        await outbox.flushed()
        return written

    written = asyncio.run(main())
    assert written[0] == -1
    assert [len(w) for w in written[1:]] == [JOIN_COUNT, 5]
    assert [n for w in written[1:] for n in w] == list(range(JOIN_COUNT + 5))
