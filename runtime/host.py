"""`ExecutorHost`: runs one executor instance for data requests (SPEC §5).

Used by the worker's gRPC servicer and, in-process, by the gateway (`placement: gateway`). It
owns what happens between a `DataRequest` arriving and the answer leaving: choosing the bound
method (or passing the request through), per-executor parameters, the parameters model, running
sync methods in a thread and `async def` ones on the loop, serialising requests unless
`allow_concurrent`, interpreting the return value, dynamic batching (the queues are in
batching.py), and turning an exception into an ERROR status that names the executor. It never
raises for a user's error. A request whose deadline passed while it waited for its turn is not
executed (`DeadlineExceeded`; see `deadline_scope`).

Requests are treated as immutable: the answer is a new message, or the request itself when the
executor passes it through unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import json
import math
import queue
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from google.protobuf import struct_pb2

from .batching import Batcher, Expired, batch_settings, parameters_key
from .docs import DocumentsMismatch, LazyDocList, encode_docs, generic_doc_type
from .executor import DEFAULT_ENDPOINT, Executor, endpoint_types, is_streaming, is_write
from .observe_on import TRACING_CONTEXT
from .proto import flowc_pb2

RESULTS_KEY = "__results__"

# The monotonic time by which the request being processed must have started, set by the server
# that received it (the worker). A context variable, not an argument: a stateful replica's Raft
# applier calls `process` in a task of its own, where a replicated write must run whatever its
# first caller's deadline was (every replica applies every write).
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("flowc_deadline",
                                                                         default=None)


class DeadlineExceeded(Exception):
    """The request's deadline passed before its endpoint could start: it was not executed."""


@contextlib.contextmanager
def deadline_scope(deadline: float | None) -> Iterator[None]:
    """Requests processed inside this block must start before `deadline` (`time.monotonic()`),
    else `ExecutorHost.process` raises DeadlineExceeded instead of running them."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def expired_answer(request: flowc_pb2.DataRequest, exc: DeadlineExceeded,
                   executor: str) -> flowc_pb2.DataRequest:
    """The answer on a stream (no gRPC status per request there): status ERROR, exception
    `DeadlineExceeded`, no documents."""
    response = flowc_pb2.DataRequest()
    response.header.CopyFrom(request.header)
    status = response.header.status
    status.code = flowc_pb2.Status.ERROR
    status.description = f"{executor}: DeadlineExceeded: {exc}"
    status.exception.name = "DeadlineExceeded"
    status.exception.args.append(str(exc))
    status.exception.executor = executor
    return response


async def wait_idle(host: Any, timeout: float) -> bool:
    """Until `host` processes no request (True) or `timeout` s passed (False). Counts sync
    endpoint calls still running in a thread after their caller gave up, too: those cannot be
    interrupted, and `close()` must not run beside them."""
    deadline = time.monotonic() + timeout
    while host.inflight or host.busy_threads:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


@dataclass
class _Binding:
    endpoint: str
    method: Callable
    is_async: bool
    accepts: frozenset[str] | None  # keyword names the method takes; None = it takes **kwargs
    input_type: type | None
    output_type: type | None
    params_model: type | None
    write: bool
    streaming: bool = False  # a generator endpoint: reached by StreamDoc (streaming.py)


class ExecutorHost:
    """Runs `executor` for requests; `runtime_name` (e.g. "enc/rep-0") names it in errors."""

    def __init__(self, executor: Executor, *, runtime_name: str) -> None:
        self.executor = executor
        self.runtime_name = runtime_name
        args = getattr(executor, "runtime_args", None)
        self.entry = getattr(args, "entry", None) or runtime_name.split("/")[0]
        self.allow_concurrent = bool(getattr(args, "allow_concurrent", False))
        self.exit_on_exceptions = tuple(getattr(args, "exit_on_exceptions", ()) or ())
        self.fatal: BaseException | None = None  # set when an exit_on_exceptions error happened
        self.on_fatal: Callable[[BaseException], None] | None = None
        self._bindings = {endpoint: _bind(endpoint, method)
                          for endpoint, method in executor.requests.items()}
        self._lock = asyncio.Lock() if not self.allow_concurrent else None
        # sync endpoints: one thread of their own when requests are serialised (the usual case,
        # and the cheaper hop), a pool of 8 with allow_concurrent
        name = f"exec-{self.entry}"
        self._pool: Any = (_SerialThread(name) if self._lock else
                           ThreadPoolExecutor(max_workers=8, thread_name_prefix=name))
        self._closed = False
        self.observer: Any = None  # observe_on.Observer when monitoring or tracing is on
        self.inflight = 0  # requests being processed
        self.busy_threads = 0  # sync endpoint calls running now (they cannot be cancelled)
        self._busy_lock = threading.Lock()
        self._batcher = Batcher(batch_settings(executor, runtime_name, skip=[
            e for e, b in self._bindings.items() if getattr(b, "streaming", False)]),
            self._run_whole)

    # -- requests ---------------------------------------------------------------------------
    async def process(self, request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        """The answer to one data request (an ERROR status when the executor raised),
        measured and traced when the worker is observed (observe.py)."""
        if self.observer is None:
            return await self._process(request)
        return await self.observer.served(request, self._process,
                                          type(self.executor).__name__)

    async def _process(self, request: flowc_pb2.DataRequest) -> flowc_pb2.DataRequest:
        endpoint = request.header.endpoint or DEFAULT_ENDPOINT
        binding = self._bindings.get(endpoint) or self._bindings.get(DEFAULT_ENDPOINT)
        if binding is None:
            return request  # not bound, no default endpoint: pass through unchanged (SPEC §5)
        if binding.streaming:
            return self._error(request, NotStreamed(
                f"endpoint {binding.endpoint} streams its results: call it with "
                "Client.stream_doc, `flowc post --stream` or HTTP GET"))
        self.inflight += 1
        arrived, deadline = time.monotonic(), _DEADLINE.get()
        try:
            if binding.endpoint in self._batcher:  # dynamic batching (batching.py)
                return await self._batched(binding, request, deadline)
            kwargs = self._arguments(binding, request)
            if self._lock is None:
                result = await self._call(binding, kwargs, arrived, deadline)
            else:
                async with self._lock:
                    result = await self._call(binding, kwargs, arrived, deadline)
            return self._answer(request, result)
        except DeadlineExceeded:
            raise
        except (DocumentsMismatch, ParametersError) as exc:  # the request's fault: never fatal
            if isinstance(exc, DocumentsMismatch):
                exc = DocumentsMismatch(f"endpoint {binding.endpoint}: {exc}")
            return self._error(request, exc)
        except Exception as exc:  # the executor's error becomes the request's status
            self._check_fatal(exc)
            return self._error(request, exc)
        finally:
            self.inflight -= 1

    def binding_for(self, request: flowc_pb2.DataRequest) -> _Binding | None:
        """The method bound to the request's endpoint (or the default one), if any."""
        endpoint = request.header.endpoint or DEFAULT_ENDPOINT
        return self._bindings.get(endpoint) or self._bindings.get(DEFAULT_ENDPOINT)

    async def in_thread(self, call: Callable[[], Any]) -> Any:
        """`call()` run where sync endpoints run (one at a time unless allow_concurrent)."""
        if isinstance(self._pool, _SerialThread):
            return await self._pool.run(call)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def check_fatal(self, exc: BaseException) -> None:
        """Stop the worker after this error if `exit_on_exceptions` lists it."""
        self._check_fatal(exc)

    # -- dynamic batching (batching.py) ------------------------------------------------------
    async def _batched(self, binding: _Binding, request: flowc_pb2.DataRequest,
                       deadline: float | None) -> flowc_pb2.DataRequest:
        """Answer `request` from the batch its documents join: requests share a batch only
        when their parameters (as this entry sees them) are equal."""
        parameters = for_executor(struct_to_dict(request.parameters), self.entry)
        key = parameters_key(parameters)
        if binding.params_model is not None:
            parameters = _validate_parameters(binding.params_model, parameters, binding.endpoint)
        docs = LazyDocList(request.docs, binding.input_type).materialise()
        try:
            data = await self._batcher.process(binding, docs, parameters, key, deadline)
        except Expired as exc:
            raise DeadlineExceeded(str(exc)) from None
        return self._answer(request, (data, None))

    async def _run_whole(self, binding: _Binding, prepare: Callable[[], dict],
                         finish: Callable[[Any, dict], Any]) -> Any:
        """One call of `binding` as any request's: in its turn (one at a time unless
        allow_concurrent), a sync method in the executor's thread; `prepare()` gives the keyword
        arguments and `finish(result, kwargs)` what is returned, both beside the method."""
        async with (self._lock or contextlib.nullcontext()):
            if binding.is_async:
                kwargs = prepare()
                return finish(await binding.method(**kwargs), kwargs)

            def work() -> Any:
                with self._busy_lock:
                    self.busy_threads += 1
                try:
                    kwargs = prepare()
                    return finish(binding.method(**kwargs), kwargs)
                finally:
                    with self._busy_lock:
                        self.busy_threads -= 1

            return await self.in_thread(work)

    def flush_batches(self) -> None:
        """Run the requests waiting for a batch now, and later ones at once (stopping)."""
        self._batcher.flush()

    def unbatch_writes(self) -> list[str]:
        """Dynamic batching off for `@write` endpoints (a stateful replica applies each write
        on its own, in the log's order); the endpoints it was on for."""
        return self._batcher.remove([e for e, b in sorted(self._bindings.items()) if b.write])

    def writes(self, request: flowc_pb2.DataRequest) -> bool:
        """Whether `request` reaches an `@write` endpoint (a stateful replica replicates it)."""
        endpoint = request.header.endpoint or DEFAULT_ENDPOINT
        binding = self._bindings.get(endpoint) or self._bindings.get(DEFAULT_ENDPOINT)
        return binding is not None and binding.write

    def error_answer(self, request: flowc_pb2.DataRequest,
                     exc: BaseException) -> flowc_pb2.DataRequest:
        """The ERROR answer to `request` for `exc`, as an endpoint raising it would give."""
        return self._error(request, exc)

    def stream_arguments(self, binding: _Binding,
                         request: flowc_pb2.DataRequest) -> dict[str, Any]:
        """The keyword arguments of a streaming endpoint: the request's one document as `doc`."""
        docs = LazyDocList(request.docs, binding.input_type)
        if len(docs) != 1:
            raise NotStreamed(f"endpoint {binding.endpoint} streams the results of one "
                              f"document; the request carries {len(docs)}")
        kwargs = self._arguments(binding, request, doc=docs[0])
        return kwargs

    def _arguments(self, binding: _Binding, request: flowc_pb2.DataRequest,
                   doc: Any = None) -> dict[str, Any]:
        parameters = for_executor(struct_to_dict(request.parameters), self.entry)
        if binding.params_model is not None:
            parameters = _validate_parameters(binding.params_model, parameters, binding.endpoint)
        kwargs: dict[str, Any] = {
            "parameters": parameters,
            "docs_matrix": ([LazyDocList(part, binding.input_type) for part in request.docs_matrix]
                            if len(request.docs_matrix) else None),
            # Jina also passes these two; methods written for Jina may name them
            "docs_map": None,
            "tracing_context": TRACING_CONTEXT.get(),  # None unless tracing is on
        }
        if doc is not None:
            kwargs["doc"] = doc
        else:
            kwargs["docs"] = LazyDocList(request.docs, binding.input_type)
        if binding.accepts is not None:
            kwargs = {k: v for k, v in kwargs.items() if k in binding.accepts}
        return kwargs

    async def _call(self, binding: _Binding, kwargs: dict[str, Any], arrived: float,
                    deadline: float | None) -> tuple[bytes | None, dict | None]:
        if binding.is_async:
            _check_deadline(arrived, deadline)
            result = await binding.method(**kwargs)
            return _encode_result(kwargs.get("docs"), result)
        # checked again in the thread: a pool (allow_concurrent) may queue the call there too
        run = functools.partial(self._run_sync, binding.method, kwargs, arrived, deadline)
        if isinstance(self._pool, _SerialThread):
            return await self._pool.run(run)
        return await asyncio.get_running_loop().run_in_executor(self._pool, run)

    def _run_sync(self, method: Callable, kwargs: dict[str, Any], arrived: float,
                  deadline: float | None) -> tuple[bytes | None, dict | None]:
        _check_deadline(arrived, deadline)
        with self._busy_lock:
            self.busy_threads += 1
        try:
            return _encode_result(kwargs.get("docs"), method(**kwargs))
        finally:
            with self._busy_lock:
                self.busy_threads -= 1

    def _answer(self, request: flowc_pb2.DataRequest,
                result: tuple[bytes | None, dict | None]) -> flowc_pb2.DataRequest:
        data, results = result
        if data is None and results is None and not request.docs_matrix:
            return request  # passed through untouched: the request is the answer
        response = flowc_pb2.DataRequest()
        response.header.CopyFrom(request.header)
        if request.HasField("parameters"):
            response.parameters.CopyFrom(request.parameters)
        response.routes.extend(request.routes)
        response.docs = request.docs if data is None else data
        if results is not None:
            response.parameters.get_or_create_struct(RESULTS_KEY).update(
                {self.runtime_name: results})
        return response

    def _error(self, request: flowc_pb2.DataRequest, exc: BaseException) -> flowc_pb2.DataRequest:
        response = flowc_pb2.DataRequest()
        response.CopyFrom(request)
        status = response.header.status
        status.code = flowc_pb2.Status.ERROR
        name = type(exc).__name__
        status.description = f"{self.runtime_name}: {name}: {exc}"
        status.exception.name = name
        status.exception.args.extend(str(a) for a in exc.args)
        status.exception.stacks.extend(traceback.format_exception(type(exc), exc,
                                                                  exc.__traceback__))
        status.exception.executor = self.runtime_name
        print(f"{self.runtime_name}: error in endpoint {request.header.endpoint or '/default'}: "
              f"{name}: {exc}", file=sys.stderr, flush=True)
        return response

    def _check_fatal(self, exc: BaseException) -> None:
        names = {klass.__name__ for klass in type(exc).__mro__}
        if self.exit_on_exceptions and names.intersection(self.exit_on_exceptions):
            self.fatal = exc
            if self.on_fatal is not None:
                self.on_fatal(exc)

    # -- discovery and shutdown -------------------------------------------------------------
    def endpoints(self) -> flowc_pb2.EndpointsReply:
        """Every bound endpoint with the JSON Schemas of its input and output documents."""
        reply = flowc_pb2.EndpointsReply(executor=self.runtime_name)
        for endpoint in sorted(self._bindings):
            binding = self._bindings[endpoint]
            reply.endpoints.add(endpoint=endpoint, input_schema=_schema(binding.input_type),
                                output_schema=_schema(binding.output_type), write=binding.write,
                                streaming=binding.streaming,
                                parameters_schema=_params_schema(binding.params_model))
        return reply

    def close(self) -> None:
        """Call the executor's `close()` once and stop the thread pool."""
        if self._closed:
            return
        self._closed = True
        try:
            self.executor.close()
        finally:
            self._pool.shutdown(wait=False)


def _check_deadline(arrived: float, deadline: float | None) -> None:
    now = time.monotonic()
    if deadline is not None and now >= deadline:
        raise DeadlineExceeded(f"the deadline passed {now - deadline:.2f} s before the request "
                               f"could start (it waited {now - arrived:.2f} s for its turn); "
                               "not executed")


class _SerialThread:
    """One thread that runs sync endpoint calls one at a time, for a host that serialises its
    requests anyway. Cheaper per call than `run_in_executor` with a one-thread pool (no
    concurrent.futures.Future to chain), and started at once rather than on the first request.
    A daemon thread: a call that outlives the grace period does not hold up the exit."""

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def run(self, call: Callable[[], Any]) -> "asyncio.Future[Any]":
        """A future (of the running loop) for `call()`'s result, run in this thread."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((loop, future, call))
        return future

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            loop, future, call = item
            if future.cancelled():  # its caller gave up (a deadline, a closed stream): skip it
                continue
            try:
                result, error = call(), None
            except BaseException as exc:  # handed to the awaiting coroutine, as a pool would
                result, error = None, exc
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the loop is closed: nobody waits for this answer any more
                pass

    def shutdown(self, wait: bool = False) -> None:
        self._queue.put(None)
        if wait:
            self._thread.join()


def _settle(future: "asyncio.Future[Any]", result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _bind(endpoint: str, method: Callable) -> _Binding:
    fn = getattr(method, "__func__", method)
    try:
        signature = inspect.signature(method)
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        accepts = None if takes_kwargs else frozenset(signature.parameters)
    except (TypeError, ValueError):
        accepts = None
    in_type, out_type, params_model = endpoint_types(method)
    return _Binding(endpoint, method, inspect.iscoroutinefunction(fn), accepts, in_type,
                    out_type, params_model, is_write(method), is_streaming(fn))


def _encode_result(docs: Any, result: Any) -> tuple[bytes | None, dict | None]:
    """(new document bytes or None to keep the request's, a `__results__` dict or None)."""
    if result is None:
        return _kept(docs), None
    if type(result) is LazyDocList:  # `return docs`; checked first: isinstance would decode it
        return _kept(result), None
    if isinstance(result, dict):
        json.dumps(result)  # a value the wire cannot carry fails here, naming the executor
        return _kept(docs), result
    if hasattr(result, "to_protobuf") or isinstance(result, (list, tuple)):
        return encode_docs(result), None
    raise TypeError(f"an endpoint returns a DocList, a dict or None, not {type(result).__name__}")


def _kept(docs: Any) -> bytes | None:
    """The request's documents as the executor left them: None when it never decoded them."""
    if docs is None or (isinstance(docs, LazyDocList) and not docs.decoded):
        return None
    return encode_docs(docs)


def _params_schema(model: type | None) -> str:
    """The JSON Schema of an endpoint's pydantic parameters model ("" without one)."""
    if model is None or not hasattr(model, "model_json_schema"):
        return ""
    try:
        return json.dumps(model.model_json_schema(), sort_keys=True)
    except Exception:  # a model pydantic cannot describe: the OpenAPI document says "any dict"
        return ""


def _schema(doc_type: type | None) -> str:
    if doc_type is None:
        doc_type = generic_doc_type()
    try:
        schema = doc_type.model_json_schema()
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/") and set(schema) == {"$ref", "$defs"}:
            # a self-referencing type: put its definition on top, keep $defs for the inner refs
            schema = {**schema["$defs"][ref[len("#/$defs/"):]], "$defs": schema["$defs"]}
        return json.dumps(schema, sort_keys=True)
    except Exception as exc:  # a field type without a JSON Schema: say so rather than fail
        return json.dumps({"title": doc_type.__name__, "description": f"no schema: {exc}"})


def _validate_parameters(model: type, parameters: dict, endpoint: str) -> Any:
    from pydantic import ValidationError  # 19 ms that a worker without docarray never pays

    try:
        return model.model_validate(parameters)
    except ValidationError as exc:
        problems = "; ".join(
            f"parameter '{'.'.join(str(p) for p in err['loc']) or '?'}': {err['msg']}"
            for err in exc.errors())
        raise ParametersError(f"invalid parameters for {endpoint}: {problems}") from None


class ParametersError(ValueError):
    """The request's parameters do not fit the endpoint's parameters model."""


class NotStreamed(ValueError):
    """A plain request reached a streaming endpoint (which answers StreamDoc only)."""


def for_executor(parameters: dict[str, Any], entry: str) -> dict[str, Any]:
    """The client's parameters as the entry `entry` sees them (SPEC §5).

    `{'<entry>__key': v}` and `{'<entry>': {...}}` become plain keys for that entry (the nested
    form wins over the prefixed one, both over a plain key of the same name); the per-entry
    keys themselves are removed.
    """
    if not parameters:
        return {}
    prefix = f"{entry}__"
    result = {k: v for k, v in parameters.items() if k != entry and not k.startswith(prefix)}
    for key, value in parameters.items():
        if key.startswith(prefix) and len(key) > len(prefix):
            result[key[len(prefix):]] = value
    nested = parameters.get(entry)
    if isinstance(nested, dict):
        result.update(nested)
    return result


def struct_to_dict(struct: Any) -> dict[str, Any]:
    """A protobuf Struct as plain Python; whole numbers come back as int (Struct stores floats)."""
    if not struct.fields:
        return {}
    return {key: _plain(value) for key, value in struct.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        if value.is_integer() and math.fabs(value) < 2 ** 53:
            return int(value)
        return value
    if isinstance(value, struct_pb2.Struct):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, struct_pb2.ListValue):
        return [_plain(v) for v in value]
    return value
