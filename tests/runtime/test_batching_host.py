"""Dynamic batching in `ExecutorHost`: DataRequests in, answers out, without a server.

Each batched call is recorded (the texts it was given and its parameters), so the tests can say
which requests shared a call.
"""

from __future__ import annotations

import asyncio
import time

from docarray import DocList
from docarray.documents import TextDoc
from pydantic import BaseModel

from flowc.runtime import Executor, dynamic_batching, requests
from flowc.runtime.docs import decode_docs, encode_docs
from flowc.runtime.host import ExecutorHost, deadline_scope
from flowc.runtime.proto import flowc_pb2


class Mode(BaseModel):
    mode: str = "plain"


class Batchy(Executor):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls: list[tuple[list[str], dict]] = []

    @requests(on="/tag")
    @dynamic_batching(preferred_batch_size=4, timeout=100)
    def tag(self, docs: DocList[TextDoc], parameters, **kwargs):
        self.calls.append((list(docs.text), dict(parameters)))
        if any(t == "boom" for t in docs.text):
            raise RuntimeError("a bad batch")
        for doc in docs:
            doc.text = f"{doc.text}:{parameters.get('suffix', '')}:{len(docs)}"

    @requests(on="/new")
    @dynamic_batching(preferred_batch_size=3, timeout=100)
    async def new(self, docs: DocList[TextDoc], **kwargs):
        self.calls.append((list(docs.text), {}))
        return DocList[TextDoc]([TextDoc(text=t[::-1]) for t in docs.text])

    @requests(on="/dict")
    @dynamic_batching(preferred_batch_size=2, timeout=50)
    def gives_dict(self, docs, **kwargs):
        return {"no": "documents"}

    @requests(on="/short")
    @dynamic_batching(preferred_batch_size=2, timeout=50)
    def gives_fewer(self, docs: DocList[TextDoc], **kwargs):
        return docs[:1]

    @requests(on="/model")
    @dynamic_batching(preferred_batch_size=4, timeout=50)
    def model(self, docs: DocList[TextDoc], parameters: Mode, **kwargs):
        self.calls.append((list(docs.text), {"mode": parameters.mode}))

    @requests(on="/plain")
    def plain(self, docs: DocList[TextDoc], **kwargs):
        self.calls.append((list(docs.text), {}))


def request(endpoint: str, *texts: str, parameters: dict | None = None,
            timeout_ms: int = 0) -> flowc_pb2.DataRequest:
    message = flowc_pb2.DataRequest()
    message.header.endpoint = endpoint
    message.header.timeout_ms = timeout_ms
    message.docs = encode_docs(DocList[TextDoc]([TextDoc(text=t) for t in texts]))
    if parameters:
        message.parameters.update(parameters)
    return message


def texts(answer: flowc_pb2.DataRequest) -> list[str]:
    return list(decode_docs(answer.docs, TextDoc).text)


def run_all(host: ExecutorHost, *requests_: flowc_pb2.DataRequest) -> list:
    async def main():
        return await asyncio.gather(*(host.process(r) for r in requests_))

    return asyncio.run(main())


def host_for(executor: Executor) -> ExecutorHost:
    return ExecutorHost(executor, runtime_name="enc/rep-0")


def test_concurrent_requests_share_one_call_and_get_their_own_documents():
    executor = Batchy()
    answers = run_all(host_for(executor), *(request("/tag", f"t{i}") for i in range(4)))
    assert [texts(a) for a in answers] == [[f"t{i}::4"] for i in range(4)]
    assert executor.calls == [(["t0", "t1", "t2", "t3"], {})]


def test_requests_with_other_parameters_never_share_a_batch():
    executor = Batchy()
    answers = run_all(host_for(executor),
                      request("/tag", "a0", parameters={"suffix": "A"}),
                      request("/tag", "b0", parameters={"suffix": "B"}),
                      request("/tag", "a1", parameters={"suffix": "A"}),
                      # the same parameters as this entry sees them: `enc__suffix` is `suffix`
                      request("/tag", "a2", parameters={"enc__suffix": "A"}),
                      request("/tag", "b1", parameters={"suffix": "B"}))
    assert [texts(a) for a in answers] == [["a0:A:3"], ["b0:B:2"], ["a1:A:3"], ["a2:A:3"],
                                           ["b1:B:2"]]
    assert sorted(executor.calls) == [(["a0", "a1", "a2"], {"suffix": "A"}),
                                      (["b0", "b1"], {"suffix": "B"})]


def test_a_parameters_model_is_validated_per_request():
    executor = Batchy()
    answers = run_all(host_for(executor), request("/model", "x", parameters={"mode": "m"}),
                      request("/model", "y", parameters={"mode": ["not", "text"]}),
                      request("/model", "z", parameters={"mode": "m"}))
    assert [a.header.status.code for a in answers] == [flowc_pb2.Status.SUCCESS,
                                                       flowc_pb2.Status.ERROR,
                                                       flowc_pb2.Status.SUCCESS]
    assert "invalid parameters for /model" in answers[1].header.status.description
    assert executor.calls == [(["x", "z"], {"mode": "m"})]


def test_a_multi_document_request_is_split_and_answered_in_order():
    executor = Batchy()
    answers = run_all(host_for(executor), request("/new", "abc", "def", "ghi", "jkl"),
                      request("/new", "mno", "pqr"))
    assert [texts(a) for a in answers] == [["cba", "fed", "ihg", "lkj"], ["onm", "rqp"]]
    assert [c[0] for c in executor.calls] == [["abc", "def", "ghi"], ["jkl", "mno", "pqr"]]


def test_an_error_reaches_only_the_requests_of_its_batch():
    executor = Batchy()
    answers = run_all(host_for(executor), *(request("/tag", t) for t in
                                            ("a", "b", "boom", "c", "d", "e", "f", "g")))
    codes = [a.header.status.code for a in answers]
    assert codes == [flowc_pb2.Status.ERROR] * 4 + [flowc_pb2.Status.SUCCESS] * 4
    for answer in answers[:4]:
        status = answer.header.status
        assert status.exception.name == "RuntimeError"
        assert status.exception.executor == "enc/rep-0"
        assert "a bad batch" in status.description
    assert [texts(a) for a in answers[4:]] == [["d::4"], ["e::4"], ["f::4"], ["g::4"]]


def test_a_batched_endpoint_must_return_documents_one_for_one():
    answers = run_all(host_for(Batchy()), request("/dict", "a"), request("/dict", "b"),
                      request("/short", "a"), request("/short", "b"))
    descriptions = [a.header.status.description for a in answers]
    assert all("has dynamic batching" in d for d in descriptions)
    assert "returns a DocList (or None), not dict" in descriptions[0]
    assert "(2 given, 1 returned)" in descriptions[2]


def test_yaml_settings_reach_the_host_through_runtime_args():
    executor = Batchy(runtime_args={"dynamic_batching": {
        "/tag": {"preferred_batch_size": 2}, "plain": {"preferred_batch_size": 2,
                                                       "timeout": 50}}})
    answers = run_all(host_for(executor), *(request("/tag", f"t{i}") for i in range(4)),
                      *(request("/plain", f"p{i}") for i in range(2)))
    assert [texts(a) for a in answers[:4]] == [["t0::2"], ["t1::2"], ["t2::2"], ["t3::2"]]
    assert (["p0", "p1"], {}) in executor.calls  # the YAML alone batches /plain


def test_use_dynamic_batching_false_turns_the_decorator_off():
    executor = Batchy(runtime_args={"dynamic_batching": {"tag": {"use_dynamic_batching":
                                                                 False}}})
    run_all(host_for(executor), request("/tag", "a"), request("/tag", "b"))
    assert [c[0] for c in executor.calls] == [["a"], ["b"]]


def test_a_deadline_that_passes_while_waiting_for_the_batch_is_not_executed():
    executor = Batchy()
    host = host_for(executor)

    async def main():
        with deadline_scope(time.monotonic() + 0.02):
            try:
                await host.process(request("/tag", "late"))
            except Exception as exc:  # DeadlineExceeded, as for a request queued unbatched
                return exc
        return None

    caught = asyncio.run(main())
    assert type(caught).__name__ == "DeadlineExceeded"
    assert executor.calls == []


def test_flush_runs_waiting_requests_now():
    executor = Batchy(runtime_args={"dynamic_batching": {"/tag": {"timeout": 60_000}}})
    host = host_for(executor)

    async def main():
        began = time.monotonic()
        waiting = asyncio.ensure_future(host.process(request("/tag", "a")))
        await asyncio.sleep(0.05)
        host.flush_batches()
        answer = await waiting
        return answer, time.monotonic() - began

    answer, took = asyncio.run(main())
    assert texts(answer) == ["a::1"] and took < 5


def test_stateful_writes_are_not_batched():
    class Writes(Executor):
        @requests(on="/w")
        @dynamic_batching(preferred_batch_size=8)
        def w(self, docs, **kwargs):
            return None

    from flowc.runtime.executor import write

    Writes.w = write(Writes.w)
    host = host_for(Writes())
    assert host.unbatch_writes() == ["/w"]
    began = time.monotonic()
    run_all(host, request("/w", "a"))
    assert time.monotonic() - began < 5  # not held for the 10 s default timeout
