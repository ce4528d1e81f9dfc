"""The user-facing Executor API: `Executor`, `@requests`, `@write` (SPEC §5).

Only the standard library is imported here: `from flowc.runtime import Executor, requests` must not
pull in docarray, grpc or pydantic, so a worker whose executor never looks at its documents starts
in a fraction of a second. Document types are read from annotations lazily (`endpoint_types`).

Injection. A worker builds an executor with only the user's `with:` arguments as constructor
arguments; `metas`, `requests` and `runtime_args` travel through a context variable that
`Executor.__new__` reads, so they are in place before the subclass's `__init__` runs, whether or
not it calls `super().__init__()` or accepts `**kwargs`. Passing `metas=`/`requests=`/
`runtime_args=` to the constructor (as in Jina) works too.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import logging
import os
import sys
import typing
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Mapping

DEFAULT_ENDPOINT = "/default"
# `metas` fields an executor always has, with Jina 3.34's defaults (`get_default_metas()`).
METAS_DEFAULTS = {"name": "", "description": "", "workspace": "", "py_modules": ""}
_REQUESTS_MARK = "__flowc_endpoints__"
_WRITE_MARK = "__flowc_write__"

# (metas, requests, runtime_args) handed from the loader to `Executor.__new__`.
_INJECT: contextvars.ContextVar[tuple[Mapping | None, Mapping | None, Mapping | None] | None] = (
    contextvars.ContextVar("flowc_executor_inject", default=None))

# Every Executor subclass by class name (the loader finds `jtype` classes here).
_REGISTRY: dict[str, list[type]] = {}


def requests(func: Callable | None = None, *, on: str | Iterable[str] | None = None,
             request_schema: Any = None, response_schema: Any = None) -> Any:
    """Bind a method to endpoints: `@requests` (the default endpoint), `@requests(on='/x')`,
    `@requests(on=['/a', '/b'])`. `request_schema`/`response_schema` override the document types
    read from the annotations. The method itself is returned unchanged, so it stays callable."""

    if on is None:
        endpoints = [DEFAULT_ENDPOINT]
    elif isinstance(on, str):
        endpoints = [on]
    else:
        endpoints = list(on)
    for endpoint in endpoints:
        if not isinstance(endpoint, str) or not endpoint:
            raise TypeError(f"@requests(on=...) takes endpoint strings, got {endpoint!r}")

    def mark(fn: Callable) -> Callable:
        if not callable(fn):
            raise TypeError("@requests decorates a method")
        existing = list(getattr(fn, _REQUESTS_MARK, ()))
        setattr(fn, _REQUESTS_MARK, existing + [e for e in endpoints if e not in existing])
        if request_schema is not None:
            fn.__flowc_request_schema__ = request_schema
        if response_schema is not None:
            fn.__flowc_response_schema__ = response_schema
        return fn

    return mark(func) if func is not None else mark


def write(func: Callable) -> Callable:
    """Mark an endpoint as changing the executor's state (replicated in order when stateful)."""
    setattr(func, _WRITE_MARK, True)
    return func


def monitor(*, name: str | None = None, documentation: str | None = None) -> Callable:
    """Jina's `@monitor(name=..., documentation=...)`: time every call of a helper method as the
    Prometheus summary `jina_<name>` (default `<method>_seconds`) when the entry has
    `monitoring: true`; a plain call otherwise. `@requests` methods are timed already."""
    def decorate(func: Callable) -> Callable:
        name_ = name or f"{func.__name__}_seconds"
        doc_ = documentation or f"Time spent calling method {func.__name__}"

        @functools.wraps(func)
        def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
            with self.monitor(name_, doc_):
                return func(self, *args, **kwargs)
        return timed
    return decorate


def is_write(method: Callable) -> bool:
    return bool(getattr(getattr(method, "__func__", method), _WRITE_MARK, False))


def default_workspace_root() -> str:
    """The per-user cache folder used when neither the Flow nor the executor names a workspace."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "flowc", "workspace")


class Executor:
    """Base class of every executor. Subclass it and decorate methods with `@requests`.

    Usable as a plain object (`MyExec().foo(docs)`) and as a context manager that calls `close()`.
    """

    # {endpoint: method name} from the decorators, filled per class by __init_subclass__.
    _flowc_class_requests: dict[str, str] = {}
    # Jina's OpenTelemetry tracer and meter (`tracing: true`, `metrics: true`; set by the
    # worker once the executor is built), None otherwise, as in Jina
    tracer: Any = None
    meter: Any = None
    _flowc_observer: Any = None  # the worker's observe_on.Observer when it is observed

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                # only functions carry the mark (a class attribute with a permissive
                # __getattr__, e.g. a mock or a lazy module, must not look like an endpoint)
                endpoints = getattr(value, _REQUESTS_MARK, None) if inspect.isfunction(
                    value) else None
                if not isinstance(endpoints, list):
                    # An override without the decorator keeps the parent's endpoints.
                    continue
                for endpoint in [e for e, m in table.items() if m == name]:
                    del table[endpoint]
                for endpoint in endpoints:
                    table[endpoint] = name
        cls._flowc_class_requests = table
        _REGISTRY.setdefault(cls.__name__, []).append(cls)

    def __new__(cls, *args: Any, **kwargs: Any) -> "Executor":
        self = super().__new__(cls)
        injected = _INJECT.get()
        metas, reqs, runtime_args = injected if injected else (None, None, None)
        self._flowc_setup(kwargs.get("metas", metas), kwargs.get("requests", reqs),
                          kwargs.get("runtime_args", runtime_args))
        return self

    def __init__(self, metas: Mapping | None = None, requests: Mapping | None = None,
                 runtime_args: Mapping | None = None, **kwargs: Any) -> None:
        # Everything was set up in __new__; accepting these keeps Jina-style calls working.
        pass

    def _flowc_setup(self, metas: Mapping | None, reqs: Mapping | None,
                     runtime_args: Mapping | None) -> None:
        cls = type(self)
        # Jina's defaults (jina/serve/executors/metas.py): '' for what the user did not set, so
        # `self.metas.description.upper()` works; a null written in YAML counts as not set
        # (Jina keeps None there: docs/decisions.md); an empty name is the class name.
        meta_values = dict(METAS_DEFAULTS)
        meta_values.update({k: v for k, v in dict(metas or {}).items() if v is not None})
        meta_values["name"] = meta_values["name"] or cls.__name__
        self.metas = SimpleNamespace(**meta_values)
        args = {"name": meta_values["name"], "entry": None, "replicas": 1,
                "shards": 1, "shard_id": 0, "replica_id": 0, "workspace": None,
                "py_modules": None, "allow_concurrent": False, "exit_on_exceptions": ()}
        args.update(dict(runtime_args or {}))
        self.runtime_args = SimpleNamespace(**args)
        self._flowc_workspace: str | None = None
        # The `requests:` table (uses_requests already merged in) wins: a method it names loses
        # every endpoint its decorator gave it (SPEC §3), but keeps all the table binds it to.
        given = {str(e): str(m) for e, m in dict(reqs or {}).items() if m is not None}
        for endpoint, method_name in given.items():
            if not callable(getattr(cls, method_name, None)):
                raise AttributeError(
                    f"requests: endpoint {endpoint!r} names {method_name!r}, which is not a "
                    f"method of {cls.__name__}")
        named = set(given.values())
        table = {e: m for e, m in cls._flowc_class_requests.items() if m not in named}
        table.update(given)
        self.requests = {endpoint: getattr(self, name) for endpoint, name in sorted(table.items())}

    @property
    def workspace(self) -> str:
        """`<workspace>/<metas.name>/<shard_id>/`, created on first use (SPEC §3)."""
        if self._flowc_workspace is None:
            root = (getattr(self.runtime_args, "workspace", None) or self.metas.workspace
                    or default_workspace_root())
            path = Path(root) / str(self.metas.name) / str(self.runtime_args.shard_id or 0)
            path.mkdir(parents=True, exist_ok=True)
            self._flowc_workspace = str(path)
        return self._flowc_workspace

    @property
    def logger(self) -> Any:
        """A `logging.Logger` named after the replica (Jina executors use `self.logger`)."""
        return logging.getLogger(str(self.runtime_args.name))

    def monitor(self, name: str, documentation: str) -> Any:
        """Jina's `with self.monitor(name, documentation):` the block timed as the Prometheus
        summary `jina_<name>` (label `runtime_name`) when monitoring is on; else nothing."""
        if self._flowc_observer is None:
            return contextlib.nullcontext()
        return self._flowc_observer.timer(name, documentation)

    def close(self) -> None:
        """Release resources; called once when the worker stops. Override it."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def find_executor_class(name: str) -> type[Executor] | None:
    """The Executor subclass named `name` (the most recently defined one wins)."""
    if name in ("Executor", "BaseExecutor"):
        return Executor
    found = _REGISTRY.get(name)
    return found[-1] if found else None


class inject:
    """Context manager: constructors of Executors inside it receive these metas/requests/args."""

    def __init__(self, metas: Mapping | None, reqs: Mapping | None,
                 runtime_args: Mapping | None) -> None:
        self._value = (metas, reqs, runtime_args)
        self._token: contextvars.Token | None = None

    def __enter__(self) -> None:
        self._token = _INJECT.set(self._value)

    def __exit__(self, *exc: Any) -> None:
        assert self._token is not None
        _INJECT.reset(self._token)


def _hints(fn: Callable) -> dict[str, Any]:
    target = getattr(fn, "__func__", fn)
    try:
        return typing.get_type_hints(target)
    except Exception:  # an unresolvable forward reference: use what is plainly there
        return {k: v for k, v in getattr(target, "__annotations__", {}).items()
                if not isinstance(v, str)}


def _doc_type_of(annotation: Any) -> type | None:
    """T from `DocList[T]` (or `Optional[DocList[T]]`); None when it is not a docarray list."""
    if annotation is None or "docarray" not in sys.modules:
        return None
    from docarray import BaseDoc, DocList  # loaded already (checked above); 350 ms on a gateway

    candidates = [annotation] + list(typing.get_args(annotation))
    for candidate in candidates:
        if inspect.isclass(candidate) and issubclass(candidate, DocList):
            doc_type = getattr(candidate, "doc_type", None)
            if inspect.isclass(doc_type) and issubclass(doc_type, BaseDoc):
                return doc_type
        if inspect.isclass(candidate) and issubclass(candidate, BaseDoc):
            return candidate
    return None


def _params_model(annotation: Any) -> type | None:
    """A pydantic model class given as the `parameters` annotation, else None (a plain dict)."""
    if inspect.isclass(annotation) and hasattr(annotation, "model_validate") and hasattr(
            annotation, "model_fields"):
        return annotation
    return None


def endpoint_types(method: Callable) -> tuple[type | None, type | None, type | None]:
    """(input doc type, output doc type, parameters model) of an endpoint method.

    None for the document types means "no docarray annotation": the generic document is used.
    Only annotations are read; docarray is imported only if the user's module already did.
    """
    fn = getattr(method, "__func__", method)
    hints = _hints(fn)
    # a streaming endpoint takes one `doc`; its `AsyncIterator[T]` return gives T (get_args)
    docs_hint = hints.get("doc") if is_streaming(fn) else hints.get("docs")
    in_type = _doc_type_of(getattr(fn, "__flowc_request_schema__", None) or docs_hint)
    out_type = _doc_type_of(getattr(fn, "__flowc_response_schema__", None) or hints.get("return"))
    return in_type, out_type or in_type, _params_model(hints.get("parameters"))


def is_streaming(method: Callable) -> bool:
    """Whether an endpoint streams its results: a generator (async or not), as Jina's
    `stream_doc` endpoints are; it takes one document as `doc` and yields documents."""
    fn = getattr(method, "__func__", method)
    return inspect.isasyncgenfunction(fn) or inspect.isgeneratorfunction(fn)
