"""ExecutorHost: a DataRequest in, the answer out (SPEC §5), without a server."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time

from docarray import DocList
from docarray.documents import TextDoc
from pydantic import BaseModel

from flowc.runtime import Executor, requests
from flowc.runtime.docs import decode_docs, encode_docs
from flowc.runtime.generic_doc import GenericDoc
from flowc.runtime.host import ExecutorHost, for_executor, struct_to_dict
from flowc.runtime.proto import flowc_pb2


class SearchParams(BaseModel):
    top_k: int
    mode: str = "fast"


class Worky(Executor):
    @requests(on="/upper")
    def upper(self, docs: DocList[TextDoc], **kwargs):
        for doc in docs:
            doc.text = doc.text.upper()

    @requests(on="/replace")
    def replace(self, docs, **kwargs):
        return DocList[TextDoc]([TextDoc(text="new")])

    @requests(on="/status")
    def status(self, parameters, **kwargs):
        return {"seen": parameters}

    @requests(on="/typed")
    def typed(self, docs, parameters: SearchParams, **kwargs):
        return {"top_k": parameters.top_k, "mode": parameters.mode}

    @requests(on="/async")
    async def run_async(self, docs: DocList[TextDoc], **kwargs):
        await asyncio.sleep(0)
        for doc in docs:
            doc.text += "!"

    @requests(on="/boom")
    def boom(self, docs, **kwargs):
        raise KeyError("missing", 7)

    @requests(on="/noop")
    def noop(self, docs, **kwargs):
        return None

    @requests(on="/bad-return")
    def bad_return(self, docs, **kwargs):
        return 42

    @requests(on="/matrix")
    def matrix(self, docs_matrix, **kwargs):
        return {"parts": [len(part) for part in docs_matrix]}


class NoDefault(Executor):
    @requests(on="/only")
    def only(self, docs, **kwargs):
        return {"called": True}


def make_request(endpoint: str, docs=None, parameters=None, matrix=()) -> flowc_pb2.DataRequest:
    request = flowc_pb2.DataRequest()
    request.header.request_id = "r1"
    request.header.endpoint = endpoint
    if docs is not None:
        request.docs = encode_docs(docs)
    for part in matrix:
        request.docs_matrix.append(encode_docs(part))
    if parameters:
        request.parameters.update(parameters)
    return request


def texts(n: int = 2) -> DocList[TextDoc]:
    return DocList[TextDoc]([TextDoc(text=f"doc{i}") for i in range(n)])


def run(host: ExecutorHost, request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
    return asyncio.run(host.process(request))


def host_for(executor: Executor) -> ExecutorHost:
    return ExecutorHost(executor, runtime_name="enc/rep-0")


def test_in_place_change_is_kept():
    answer = run(host_for(Worky()), make_request("/upper", texts()))
    assert answer.header.status.code == flowc_pb2.Status.SUCCESS
    assert decode_docs(answer.docs, TextDoc).text == ["DOC0", "DOC1"]
    assert answer.header.request_id == "r1"


def test_returned_doclist_replaces():
    answer = run(host_for(Worky()), make_request("/replace", texts()))
    assert decode_docs(answer.docs, TextDoc).text == ["new"]


def test_untouched_documents_keep_their_exact_bytes():
    request = make_request("/noop", texts(3))
    answer = run(host_for(Worky()), request)
    assert answer.docs == request.docs


def test_dict_return_lands_in_results_with_parameters_kept():
    request = make_request("/status", texts(), {"top_k": 10})
    answer = run(host_for(Worky()), request)
    params = struct_to_dict(answer.parameters)
    assert params["top_k"] == 10 and isinstance(params["top_k"], int)
    assert params["__results__"] == {"enc/rep-0": {"seen": {"top_k": 10}}}
    assert answer.docs == request.docs


def test_per_executor_parameters():
    params = {"top_k": 1, "enc__top_k": 5, "other__top_k": 9, "enc": {"mode": "x"},
              "other": {"mode": "y"}}
    answer = run(host_for(Worky()), make_request("/status", None, params))
    seen = struct_to_dict(answer.parameters)["__results__"]["enc/rep-0"]["seen"]
    assert seen == {"top_k": 5, "mode": "x", "other__top_k": 9, "other": {"mode": "y"}}


def test_for_executor_nested_wins_over_prefixed():
    assert for_executor({"a": 1, "e__a": 2, "e": {"a": 3}}, "e") == {"a": 3}
    assert for_executor({}, "e") == {}


def test_parameters_model():
    answer = run(host_for(Worky()), make_request("/typed", None, {"top_k": 3}))
    result = struct_to_dict(answer.parameters)["__results__"]["enc/rep-0"]
    assert result == {"top_k": 3, "mode": "fast"}


def test_parameters_model_validation_error_names_the_field():
    answer = run(host_for(Worky()), make_request("/typed", None, {"top_k": "many"}))
    status = answer.header.status
    assert status.code == flowc_pb2.Status.ERROR
    assert status.exception.name == "ParametersError"
    assert "parameter 'top_k'" in status.description
    assert "enc/rep-0" in status.description


def test_async_endpoint():
    answer = run(host_for(Worky()), make_request("/async", texts(1)))
    assert decode_docs(answer.docs, TextDoc).text == ["doc0!"]


def test_exception_becomes_error_status(capsys):
    request = make_request("/boom", texts(1))
    answer = run(host_for(Worky()), request)
    status = answer.header.status
    assert status.code == flowc_pb2.Status.ERROR
    assert status.exception.name == "KeyError"
    assert list(status.exception.args) == ["missing", "7"]
    assert status.exception.executor == "enc/rep-0"
    assert any("raise KeyError" in line for line in status.exception.stacks)
    assert answer.docs == request.docs
    assert "enc/rep-0: error in endpoint /boom: KeyError" in capsys.readouterr().err


def test_bad_return_type_is_an_error_status():
    answer = run(host_for(Worky()), make_request("/bad-return", texts(1)))
    assert answer.header.status.code == flowc_pb2.Status.ERROR
    assert "not int" in answer.header.status.description


def test_unbound_endpoint_without_default_passes_through():
    request = make_request("/elsewhere", texts(1), {"a": 1})
    assert run(host_for(NoDefault()), request) is request


def test_default_endpoint_catches_unbound():
    class WithDefault(Executor):
        @requests
        def any(self, **kwargs):
            return {"default": True}

    answer = run(host_for(WithDefault()), make_request("/whatever"))
    assert struct_to_dict(answer.parameters)["__results__"]["enc/rep-0"] == {"default": True}


def test_docs_matrix():
    request = make_request("/matrix", texts(1), matrix=[texts(2), texts(3)])
    answer = run(host_for(Worky()), request)
    assert struct_to_dict(answer.parameters)["__results__"]["enc/rep-0"] == {"parts": [2, 3]}


def test_generic_documents_keep_unknown_fields():
    class Tagger(Executor):
        @requests
        def tag(self, docs, **kwargs):
            for doc in docs:
                doc.tags["seen"] = True

    class Rich(TextDoc):
        price: int = 0

    request = make_request("/x", DocList[Rich]([Rich(text="a", price=7)]))
    answer = run(host_for(Tagger()), request)
    back = decode_docs(answer.docs, Rich)
    assert back[0].price == 7 and back[0].text == "a"
    assert decode_docs(answer.docs)[0].tags == {"seen": True}


def _timed_executor(allow_concurrent: bool) -> Executor:
    class Slow(Executor):
        active = 0
        peak = 0
        lock = threading.Lock()

        @requests
        def slow(self, **kwargs):
            with Slow.lock:
                Slow.active += 1
                Slow.peak = max(Slow.peak, Slow.active)
            time.sleep(0.05)
            with Slow.lock:
                Slow.active -= 1

    return Slow(runtime_args={"allow_concurrent": allow_concurrent})


def _peak(allow_concurrent: bool) -> int:
    executor = _timed_executor(allow_concurrent)
    host = host_for(executor)

    async def many():
        await asyncio.gather(*(host.process(make_request("/x")) for _ in range(4)))

    asyncio.run(many())
    return type(executor).peak


def test_requests_are_serialised_by_default():
    assert _peak(False) == 1


def test_allow_concurrent_runs_requests_together():
    assert _peak(True) > 1


def test_exit_on_exceptions_reports_fatal():
    executor = Worky(runtime_args={"exit_on_exceptions": ("LookupError",)})
    host = host_for(executor)
    seen = []
    host.on_fatal = seen.append
    run(host, make_request("/boom", texts(1)))  # KeyError is a LookupError
    assert isinstance(host.fatal, KeyError) and seen == [host.fatal]


def test_endpoints_with_schemas():
    reply = host_for(Worky()).endpoints()
    assert reply.executor == "enc/rep-0"
    by_name = {e.endpoint: e for e in reply.endpoints}
    assert sorted(by_name) == sorted(Worky().requests)
    upper = json.loads(by_name["/upper"].input_schema)
    assert upper["title"] == "TextDoc" and "text" in upper["properties"]
    generic = json.loads(by_name["/status"].input_schema)
    assert generic["title"] == "GenericDoc" and "tags" in generic["properties"]


def test_close_once():
    class Closing(Executor):
        calls = 0

        def close(self):
            Closing.calls += 1

    host = host_for(Closing())
    host.close()
    host.close()
    assert Closing.calls == 1


def test_passthrough_never_imports_docarray(tmp_path):
    """A worker whose executor does not look at its documents never pays for docarray."""
    import subprocess

    docs = DocList[GenericDoc]([GenericDoc(text="a")])
    data = tmp_path / "docs.bin"
    data.write_bytes(encode_docs(docs))
    code = f"""
import asyncio, sys
from flowc.runtime import Executor, requests
from flowc.runtime.host import ExecutorHost
from flowc.runtime.proto import flowc_pb2

class P(Executor):
    @requests
    def foo(self, docs, **kwargs):
        return None

    @requests(on="/same")
    def same(self, docs, **kwargs):
        return docs

request = flowc_pb2.DataRequest(docs=open({str(data)!r}, 'rb').read())
host = ExecutorHost(P(), runtime_name='p/rep-0')
answer = asyncio.run(host.process(request))
request.header.endpoint = "/same"
same = asyncio.run(host.process(request))
print(answer.docs == request.docs, same.docs == request.docs, 'docarray' in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "False"]
