"""Dynamic batching (issue 13 §3): `@dynamic_batching`, its settings per endpoint, the queue.

An endpoint with dynamic batching does not run once per request: the documents of requests that
arrive close together are joined into one `DocList` and the method runs once for them, which is
what a model on a GPU (or any call with a fixed cost) wants. As in Jina 3.34:

- settings come from the decorator, the Executor file's `dynamic_batching:` and the Flow entry's
  `uses_dynamic_batching:` (the last two already deep-merged by `compiler.precedence`); a key is
  an endpoint (`/encode`) or a method name (`encode`: every endpoint it is bound to);
- a batch is run when the waiting documents weigh `preferred_batch_size` (one each, or
  `custom_metric(doc)` with `use_custom_metric`), or when the oldest waiting request has waited
  `timeout` ms; it takes at most `preferred_batch_size` of them (a request may be split between
  two calls), or everything waiting with `flush_all`;
- requests whose (per-executor) parameters differ never share a batch: one queue per endpoint and
  parameters; each request gets back its own documents, in order; an exception reaches exactly
  the requests that had documents in the failing call.

Where flowc differs on purpose (docs/decisions.md, "Dynamic batching"): settings merge setting by
setting (Jina replaces a method's settings whole with an endpoint's), a request without documents
is answered at once (Jina never answers it), a queue that empties is dropped (Jina keeps one per
parameters value for ever), a request whose deadline passed while it waited is not run, and the
weight that triggers a batch is the weight that fills it (Jina adds the document count to it).

Only the standard library at import time: `from flowc.runtime import dynamic_batching` costs
nothing; documents are handled by `ExecutorHost` (host.py) through `Batcher`.
"""

from __future__ import annotations

import asyncio
import collections
import json
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Sequence

DEFAULT_TIMEOUT_MS = 10_000.0  # Jina's default
DEFAULT_BATCH_SIZE = 4  # Jina's BatchQueue default, when no size is given
_MARK = "__flowc_dynamic_batching__"

__all__ = ["dynamic_batching", "BatchSettings", "BatchQueue", "Batcher", "Segment", "Expired",
           "batch_settings", "endpoint_settings", "parameters_key"]


def dynamic_batching(func: Callable | None = None, *, preferred_batch_size: int | None = None,
                     timeout: float | None = DEFAULT_TIMEOUT_MS, flush_all: bool = False,
                     custom_metric: Callable[[Any], float] | None = None,
                     use_custom_metric: bool = False, use_dynamic_batching: bool = True) -> Any:
    """Batch the requests of an endpoint (Jina 3.34's decorator and arguments); stacks with
    `@requests` in either order. `timeout` is in milliseconds. The settings of the Executor
    file's `dynamic_batching:` and of the entry's `uses_dynamic_batching:` win over these."""
    settings = {"preferred_batch_size": preferred_batch_size, "timeout": timeout,
                "flush_all": flush_all, "custom_metric": custom_metric,
                "use_custom_metric": use_custom_metric,
                "use_dynamic_batching": use_dynamic_batching}
    BatchSettings.of(settings, "@dynamic_batching")  # bad values fail where they are written

    def mark(fn: Callable) -> Callable:
        if not callable(fn):
            raise TypeError("@dynamic_batching decorates a method")
        setattr(getattr(fn, "__func__", fn), _MARK, settings)
        return fn

    return mark(func) if func is not None else mark


@dataclass(frozen=True)
class BatchSettings:
    """One endpoint's batching: the size that triggers a batch, how long a request may wait."""

    preferred_batch_size: int = DEFAULT_BATCH_SIZE
    timeout_ms: float = DEFAULT_TIMEOUT_MS
    flush_all: bool = False
    metric: Callable[[Any], float] | None = None  # a document's weight (None: 1 each)

    @classmethod
    def of(cls, values: Mapping[str, Any], where: str) -> "BatchSettings":
        """Settings from a merged mapping; ValueError naming `where` for a bad value (YAML is
        checked by the compiler already; this guards the decorator and the Python API)."""
        size = values.get("preferred_batch_size")
        timeout = values.get("timeout")
        if size is None:
            size = DEFAULT_BATCH_SIZE
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"{where}: preferred_batch_size must be an integer ≥ 1, got "
                             f"{size!r}")
        if timeout is None:
            timeout = DEFAULT_TIMEOUT_MS
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0 \
                or not math.isfinite(timeout):
            raise ValueError(f"{where}: timeout must be a number of milliseconds ≥ 0, got "
                             f"{timeout!r}")
        for key in ("flush_all", "use_custom_metric", "use_dynamic_batching"):
            if not isinstance(values.get(key, False), bool):
                raise ValueError(f"{where}: {key} must be true or false, got {values[key]!r}")
        metric = values.get("custom_metric")
        if metric is not None and not callable(metric):
            raise ValueError(f"{where}: custom_metric must be a function of a document")
        return cls(size, float(timeout), bool(values.get("flush_all")),
                   metric if values.get("use_custom_metric") else None)


def endpoint_settings(requests: Mapping[str, Callable], config: Mapping[str, Any] | None
                      ) -> tuple[dict[str, BatchSettings], list[str]]:
    """({endpoint: settings} for every batched endpoint, the `config` keys that name no
    endpoint and no method). Per endpoint, setting by setting: the decorator's, then the config
    under the method's name, then under the endpoint; `null` changes nothing."""
    config = dict(config or {})
    found: dict[str, BatchSettings] = {}
    methods = set()
    for endpoint, method in sorted(requests.items()):
        fn = getattr(method, "__func__", method)
        name = getattr(fn, "__name__", "")
        methods.add(name)
        layers = [getattr(fn, _MARK, None), config.get(name), config.get(endpoint)]
        layers = [layer for layer in layers if isinstance(layer, Mapping)]
        if not layers:
            continue
        merged: dict[str, Any] = {}
        for layer in layers:
            merged.update({k: v for k, v in layer.items() if v is not None})
        if merged.get("use_dynamic_batching", True) is False:
            continue
        found[endpoint] = BatchSettings.of(merged, f"dynamic_batching of {endpoint}")
    unknown = sorted(k for k in config if k not in requests and k not in methods)
    return found, unknown


def batch_settings(executor: Any, runtime_name: str, skip: Sequence[str] = ()
                   ) -> dict[str, BatchSettings]:
    """The batched endpoints of `executor` (its `runtime_args.dynamic_batching` holds the
    YAML's merged settings), said on stderr with the keys that match nothing; `skip`: endpoints
    never batched (a streaming endpoint answers one document at a time)."""
    config = getattr(getattr(executor, "runtime_args", None), "dynamic_batching", None)
    settings, unknown = endpoint_settings(executor.requests, config)
    for key in unknown:
        print(f"{runtime_name}: dynamic_batching: {key!r} names no endpoint and no method of "
              f"{type(executor).__name__}; ignored", file=sys.stderr, flush=True)
    for endpoint in skip:
        settings.pop(endpoint, None)
    for endpoint, each in sorted(settings.items()):
        print(f"{runtime_name}: dynamic batching on {endpoint}: preferred_batch_size "
              f"{each.preferred_batch_size}, timeout {each.timeout_ms:g} ms"
              f"{', flush_all' if each.flush_all else ''}"
              f"{', custom_metric' if each.metric else ''}", file=sys.stderr, flush=True)
    return settings


def parameters_key(parameters: Any) -> str:
    """Requests share a batch only when this is equal (Jina: the parameters as sorted JSON)."""
    if not parameters:
        return "{}"
    return json.dumps(parameters, sort_keys=True, default=str)


class Expired(Exception):
    """A request's deadline passed while it waited for its batch: it was not run."""


@dataclass(eq=False)
class _Waiting:
    docs: Sequence[Any]
    weights: Sequence[float] | None  # None: one per document
    deadline: float | None
    future: "asyncio.Future[list[Any]]"
    arrived: float = field(default_factory=time.monotonic)
    taken: int = 0  # documents handed to a batch so far
    running: int = 0  # batches holding some of them, not finished yet
    parts: list[Any] = field(default_factory=list)  # one result per finished segment, in order

    def weight(self, start: int, stop: int) -> float:
        return stop - start if self.weights is None else sum(self.weights[start:stop])


@dataclass(frozen=True)
class Segment:
    """Documents `docs[start:stop]` of one request, in a batch."""

    docs: Sequence[Any]
    start: int
    stop: int


class BatchQueue:
    """The requests of one endpoint with one parameters value, run in batches by one task.

    `run(segments)` runs one batch (the documents of `segments`, joined in order) and returns
    one result per segment; `submit` returns a request's results (a list: its documents may
    have been split between batches) or raises what its batch raised. The task sleeps until
    the batch is full or the oldest request's timeout, never polls, and ends (calling
    `on_idle`) once nothing waits. `flush()` runs what waits without waiting any longer, now and
    for every later request (a stopping server)."""

    def __init__(self, settings: BatchSettings,
                 run: Callable[[list[Segment]], Awaitable[list[Any]]],
                 on_idle: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self._run = run
        self._on_idle = on_idle
        self._waiting: collections.deque[_Waiting] = collections.deque()
        self._weight = 0.0  # of the documents not handed to a batch yet
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._flushing = False

    def __len__(self) -> int:
        """Requests waiting for (some of) their documents to be batched."""
        return len(self._waiting)

    async def submit(self, docs: Sequence[Any], *, weights: Sequence[float] | None = None,
                     deadline: float | None = None) -> list[Any]:
        if not len(docs):
            return []
        item = _Waiting(docs, weights, deadline, asyncio.get_running_loop().create_future())
        self._waiting.append(item)
        self._weight += item.weight(0, len(docs))
        if self._full() or self._flushing:
            self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._loop())
        return await item.future

    def flush(self) -> None:
        self._flushing = True
        self._wake.set()

    def _full(self) -> bool:
        return self._weight >= self.settings.preferred_batch_size

    async def _loop(self) -> None:
        try:
            while self._waiting:
                if not (self._full() or self._flushing):
                    left = (self._waiting[0].arrived + self.settings.timeout_ms / 1000
                            - time.monotonic())
                    if left > 0:
                        self._wake.clear()
                        try:
                            await asyncio.wait_for(self._wake.wait(), left)
                        except asyncio.TimeoutError:
                            pass
                        continue
                batch = self._take()
                if batch:
                    await self._execute(batch)
        except BaseException as exc:  # cancelled (the loop is closing), or a bug: nobody waits
            for item in self._waiting:  # for ever on a queue that no longer runs
                if not item.future.done():
                    if isinstance(exc, Exception):
                        item.future.set_exception(exc)
                    else:
                        item.future.cancel()
            self._waiting.clear()
            self._weight = 0.0
            raise
        finally:
            self._task = None
        if self._on_idle is not None:
            self._on_idle()

    def _take(self) -> list[tuple[_Waiting, Segment]]:
        """The next batch: documents from the oldest requests on, up to the preferred weight
        (everything with flush_all); requests whose caller left or whose deadline passed before
        any of their documents was taken are dropped."""
        batch: list[tuple[_Waiting, Segment]] = []
        size, weight, now = self.settings.preferred_batch_size, 0.0, time.monotonic()
        while self._waiting and (self.settings.flush_all or weight < size):
            item = self._waiting[0]
            total = len(item.docs)
            if item.taken == 0 and (item.future.done() or (
                    item.deadline is not None and now >= item.deadline)):
                self._drop(item)
                if not item.future.done():
                    item.future.set_exception(Expired(
                        f"the deadline passed {now - item.deadline:.2f} s before the request "
                        f"could start (it waited {now - item.arrived:.2f} s for its batch); "
                        "not executed"))
                continue
            start = stop = item.taken
            if self.settings.flush_all:
                stop = total
            elif item.weights is None:
                stop = min(total, start + math.ceil(size - weight))
            else:  # the document that reaches the weight is the batch's last (as Jina)
                reached = weight
                while stop < total and reached < size:
                    reached += item.weights[stop]
                    stop += 1
            taken = item.weight(start, stop)
            weight += taken
            self._weight -= taken
            item.taken, item.running = stop, item.running + 1
            batch.append((item, Segment(item.docs, start, stop)))
            if stop == total:
                self._waiting.popleft()
        if not self._waiting:
            self._weight = 0.0  # no rounding left over from custom weights
        return batch

    def _drop(self, item: _Waiting) -> None:
        """Take `item`'s documents not batched yet out of the queue."""
        if item in self._waiting:
            self._waiting.remove(item)
            self._weight = (self._weight - item.weight(item.taken, len(item.docs))
                            if self._waiting else 0.0)

    async def _execute(self, batch: list[tuple[_Waiting, Segment]]) -> None:
        try:
            results = await self._run([segment for _, segment in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} segments got {len(results)} "
                                   "results")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the requests of this batch get it, and only they
            for item, _ in batch:
                item.running -= 1
                self._drop(item)
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        for (item, _), result in zip(batch, results):
            item.running -= 1
            item.parts.append(result)
            if not item.future.done() and item.taken == len(item.docs) and not item.running:
                item.future.set_result(item.parts)


class Batcher:
    """The batched endpoints of one `ExecutorHost`: a `BatchQueue` per endpoint and parameters.

    `call(binding, prepare, finish)` is the host's one endpoint call (its turn, its thread):
    `prepare()` joins the batch's documents into the method's keyword arguments and
    `finish(result, kwargs)` checks the result and encodes each request's share, both where the
    method runs, so the event loop only moves bytes."""

    def __init__(self, settings: Mapping[str, BatchSettings],
                 call: Callable[[Any, Callable[[], dict], Callable[[Any, dict], Any]],
                                Awaitable[Any]]) -> None:
        self.settings = dict(settings)
        self._call = call
        self._queues: dict[tuple[str, str], BatchQueue] = {}
        self._flushing = False

    def __contains__(self, endpoint: str) -> bool:
        return endpoint in self.settings

    def queues(self) -> int:
        """Queues holding requests now (one per endpoint and parameters value)."""
        return len(self._queues)

    def remove(self, endpoints: Sequence[str]) -> list[str]:
        """Batch these endpoints no more; those that were batched."""
        return [e for e in endpoints if self.settings.pop(e, None) is not None]

    def flush(self) -> None:
        """Run what waits now, and every later request without waiting (a stopping server)."""
        self._flushing = True
        for queue in self._queues.values():
            queue.flush()

    async def process(self, binding: Any, docs: Sequence[Any], parameters: Any, key: str,
                      deadline: float | None) -> bytes:
        """The wire bytes of `docs` after their batch ran (raises what the batch raised)."""
        settings = self.settings[binding.endpoint]
        slot = (binding.endpoint, key)
        queue = self._queues.get(slot)
        if queue is None:
            queue = BatchQueue(settings,
                               lambda segments: self._run(binding, parameters, segments),
                               on_idle=lambda: self._forget(slot, queue))
            self._queues[slot] = queue
            if self._flushing:
                queue.flush()
        weights = None
        if settings.metric is not None:
            weights = [float(settings.metric(doc)) for doc in docs]
        return b"".join(await queue.submit(docs, weights=weights, deadline=deadline))

    def _forget(self, slot: tuple[str, str], queue: BatchQueue) -> None:
        if self._queues.get(slot) is queue:
            del self._queues[slot]

    async def _run(self, binding: Any, parameters: Any, segments: list[Segment]) -> list[bytes]:
        def prepare() -> dict:
            kwargs = {"docs": join(segments), "parameters": parameters, "docs_matrix": None,
                      "docs_map": None, "tracing_context": None}
            if binding.accepts is not None:
                kwargs = {k: v for k, v in kwargs.items() if k in binding.accepts}
            return kwargs

        def finish(result: Any, kwargs: dict) -> list[bytes]:
            return split(segments, kwargs.get("docs"), result, binding.endpoint)

        return await self._call(binding, prepare, finish)


def join(segments: Sequence[Segment]) -> Any:
    """One DocList of the segments' documents, in order (a whole single request as it is)."""
    first = segments[0]
    if len(segments) == 1 and first.start == 0 and first.stop == len(first.docs):
        return first.docs
    return type(first.docs)([s.docs[i] for s in segments for i in range(s.start, s.stop)])


def split(segments: Sequence[Segment], given: Any, result: Any, endpoint: str) -> list[bytes]:
    """Each segment's documents of a batch's result, encoded. The result is the documents
    (changed in place) when the method returned None; else it must be as many documents."""
    out = given if result is None else result
    if isinstance(out, (dict, str, bytes)) or not (hasattr(out, "to_protobuf")
                                                   or isinstance(out, (list, tuple))):
        raise TypeError(f"endpoint {endpoint} has dynamic batching: it returns a DocList (or "
                        f"None), not {type(result).__name__}")
    items = list(out) if out is not None else []
    expected = sum(s.stop - s.start for s in segments)
    if len(items) != expected:
        raise ValueError(f"endpoint {endpoint} has dynamic batching: it must return as many "
                         f"documents as it was given, in the same order ({expected} given, "
                         f"{len(items)} returned)")
    from .fastproto import encode  # docarray: loaded already, the documents are decoded

    parts, at = [], 0
    for segment in segments:
        count = segment.stop - segment.start
        parts.append(encode(items[at:at + count]))
        at += count
    return parts
