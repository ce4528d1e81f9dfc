"""The Executor API as a user sees it without any server (SPEC §5)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from docarray import DocList
from docarray.documents import ImageDoc, TextDoc
from pydantic import BaseModel

from flowc.runtime import Executor, requests, write
from flowc.runtime.executor import (DEFAULT_ENDPOINT, endpoint_types, find_executor_class, inject,
                                    is_write)


class Params(BaseModel):
    top_k: int = 1


class Typed(Executor):
    @requests(on="/t")
    def t(self, docs: DocList[TextDoc], parameters: Params, **kwargs) -> DocList[ImageDoc]:
        return None

    @requests(on="/u")
    def u(self, docs, **kwargs):
        return None


class Indexer(Executor):
    def __init__(self, dim: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.closed = False
        self.name_at_init = self.metas.name  # metas exist before super() returns

    @requests
    def default(self, docs, **kwargs):
        return {"endpoint": "default"}

    @requests(on="/index")
    @write
    def index(self, docs, **kwargs):
        return {"dim": self.dim}

    @requests(on=["/search", "/find"])
    def search(self, docs, parameters=None, **kwargs):
        return {"top_k": (parameters or {}).get("top_k")}

    def close(self):
        self.closed = True


class NoSuper(Executor):
    def __init__(self, x):  # neither calls super().__init__ nor takes **kwargs
        self.x = x

    @requests(on="/x")
    def x_endpoint(self, **kwargs):
        return {"x": self.x}


class Child(Indexer):
    @requests(on="/child")
    def extra(self, **kwargs):
        return None

    def search(self, docs, parameters=None, **kwargs):  # override keeps the parent's endpoints
        return {"child": True}


def test_plain_object_and_direct_calls():
    ex = Indexer(dim=8)
    assert ex.index(docs=[]) == {"dim": 8}
    assert ex.search([], parameters={"top_k": 3}) == {"top_k": 3}
    assert ex.dim == 8 and ex.name_at_init == "Indexer"


def test_decorators_bind_endpoints():
    ex = Indexer()
    assert sorted(ex.requests) == ["/default", "/find", "/index", "/search"]
    assert ex.requests["/find"].__func__ is Indexer.search
    assert ex.requests[DEFAULT_ENDPOINT].__func__ is Indexer.default
    assert is_write(ex.requests["/index"]) and not is_write(ex.requests["/search"])


def test_subclass_inherits_and_overrides():
    ex = Child()
    assert sorted(ex.requests) == ["/child", "/default", "/find", "/index", "/search"]
    assert ex.requests["/search"]([]) == {"child": True}


def test_requests_rejects_bad_endpoint():
    with pytest.raises(TypeError):
        requests(on=[""])


def test_context_manager_calls_close():
    with Indexer() as ex:
        assert not ex.closed
    assert ex.closed


def test_default_metas_and_runtime_args():
    ex = Indexer()
    assert ex.metas.name == "Indexer"
    assert ex.metas.description == "" and ex.metas.workspace == ""  # Jina's defaults
    args = ex.runtime_args
    assert (args.replicas, args.shards, args.shard_id) == (1, 1, 0)


def test_jina_style_keyword_injection():
    ex = Indexer(metas={"name": "idx", "description": "d"}, runtime_args={"shard_id": 2})
    assert ex.metas.name == "idx" and ex.metas.description == "d"
    assert ex.runtime_args.shard_id == 2


def test_inject_reaches_classes_that_skip_super():
    with inject({"name": "nx"}, {"/y": "x_endpoint"}, {"name": "e/rep-1", "replica_id": 1}):
        ex = NoSuper(5)
    assert ex.metas.name == "nx"
    assert ex.runtime_args.name == "e/rep-1"
    assert sorted(ex.requests) == ["/y"]  # rebinding the method removed '/x'


def test_uses_requests_rebinding_removes_old_binding():
    ex = Indexer(requests={"/add": "index", "/other": "search"})
    assert "/index" not in ex.requests
    assert ex.requests["/add"].__func__ is Indexer.index
    # `search` had two endpoints: both are replaced by the new binding
    assert "/search" not in ex.requests and "/find" not in ex.requests
    assert ex.requests["/other"].__func__ is Indexer.search


def test_uses_requests_unknown_method_is_an_error():
    with pytest.raises(AttributeError, match="not a method of Indexer"):
        Indexer(requests={"/x": "missing"})


def test_workspace_path_created_on_first_use(tmp_path):
    ex = Indexer(metas={"name": "idx"}, runtime_args={"workspace": str(tmp_path), "shard_id": 3})
    expected = tmp_path / "idx" / "3"
    assert not expected.exists()
    assert ex.workspace == str(expected)
    assert expected.is_dir()


def test_workspace_defaults_to_metas_then_cache(tmp_path, monkeypatch):
    ex = Indexer(metas={"workspace": str(tmp_path / "m")})
    assert ex.workspace == str(tmp_path / "m" / "Indexer" / "0")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ex = Indexer()
    assert ex.workspace == str(tmp_path / "cache" / "flowc" / "workspace" / "Indexer" / "0")


def test_registry_finds_classes_by_name():
    assert find_executor_class("Indexer") is Indexer
    assert find_executor_class("Executor") is Executor
    assert find_executor_class("Nope") is None


def test_endpoint_types_from_annotations():
    ex = Typed()
    assert endpoint_types(ex.requests["/t"]) == (TextDoc, ImageDoc, Params)
    assert endpoint_types(ex.requests["/u"]) == (None, None, None)


def test_importing_the_api_stays_light():
    code = ("import sys; from flowc.runtime import Executor, requests, write; "
            "heavy = [m for m in ('docarray', 'grpc', 'pydantic', 'numpy') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_permissive_class_attributes_are_not_endpoints():
    class Anything:
        def __getattr__(self, name):
            return ["/surprise"]

    class WithMockish(Executor):
        helper = Anything()

        @requests(on="/real")
        def real(self, **kwargs):
            return None

    assert sorted(WithMockish().requests) == ["/real"]
