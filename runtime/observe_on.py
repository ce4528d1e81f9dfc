"""Monitoring and tracing of one observed server (prometheus_client and OpenTelemetry are imported
only for what is on: observe.py decides).

Metrics carry Jina 3.34's names, documentation, types and labels (jina/serve/runtimes/
monitoring.py, worker/request_handling.py, networking/__init__.py, executors/__init__.py), so
Jina's dashboards read flowc's: Prometheus summaries (`jina_*_seconds_count`/`_sum`), counters
and a gauge at `/metrics`, and with `metrics: true` the same values over OTLP as histograms and
counters named `jina_*`. A gateway or head reports requests served and hops sent (`runtime_name`
label); a worker adds per-endpoint counts (`executor_endpoint`, `executor`) and the time of the
executor's method. Traces: one span per request in every server, named by its endpoint (a
worker's also records its executor), one client span per hop named by the entry it calls; the
W3C context travels in `Header.trace_context` of the request (one stream carries many requests,
so gRPC metadata cannot), taken from the client's gRPC metadata or HTTP headers at the gateway.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
import time
from typing import Any, Awaitable, Callable, Iterator

from .proto import flowc_pb2

_ERROR = flowc_pb2.Status.ERROR
# The OpenTelemetry context of the endpoint being run, for the executor's `tracing_context`
# argument (Jina passes the same): None when tracing is off.
TRACING_CONTEXT: contextvars.ContextVar[Any] = contextvars.ContextVar("flowc_tracing_context",
                                                                      default=None)
SUMMARY, COUNTER, GAUGE = "summary", "counter", "gauge"
RUNTIME = ("runtime_name",)
PER_ENDPOINT = ("executor_endpoint", "executor", "runtime_name")
# name: (type, documentation, label names, old name Jina still exports beside it)
ROUTER_METRICS = {
    "receiving_request_seconds": (SUMMARY, "Time spent processing successful request", RUNTIME,
                                  None),
    "number_of_pending_requests": (GAUGE, "Number of pending requests", RUNTIME, None),
    "failed_requests": (COUNTER, "Number of failed requests", RUNTIME, None),
    "successful_requests": (COUNTER, "Number of successful requests", RUNTIME, None),
    "received_request_bytes": (SUMMARY, "The size in bytes of the request returned to the client",
                               RUNTIME, "request_size_bytes"),
    "sent_response_bytes": (SUMMARY, "The size in bytes of the request returned to the client",
                            RUNTIME, None),
}
HOP_METRICS = {
    "sending_request_seconds": (SUMMARY, "Time spent between sending a request to the "
                                "Executor/Head and receiving the response", RUNTIME, None),
    "received_response_bytes": (SUMMARY, "Size in bytes of the response returned from the "
                                "Head/Executor", RUNTIME, None),
    "sent_request_bytes": (SUMMARY, "Size in bytes of the request sent to the Head/Executor",
                           RUNTIME, None),
}
WORKER_METRICS = {
    "receiving_request_seconds": (SUMMARY, "Time spent processing request", RUNTIME, None),
    "failed_requests": (COUNTER, "Number of failed requests", RUNTIME, None),
    "successful_requests": (COUNTER, "Number of successful requests", RUNTIME, None),
    "document_processed": (COUNTER, "Number of Documents that have been processed by the "
                           "executor", PER_ENDPOINT, None),
    "received_request_bytes": (SUMMARY, "The size in bytes of the request returned to the "
                               "gateway", PER_ENDPOINT, "request_size_bytes"),
    "sent_response_bytes": (SUMMARY, "The size in bytes of the response sent to the gateway",
                            PER_ENDPOINT, None),
    "process_request_seconds": (SUMMARY, "Time spent when calling the executor request method",
                                ("executor", "executor_endpoint", "runtime_name"), None),
}


class Metric:
    """One metric in Prometheus (`registry`) and/or OTLP (`meter`), recorded by label values."""

    def __init__(self, name: str, spec: tuple, registry: Any, meter: Any) -> None:
        kind, doc, self.labelnames, old = spec
        self.kind = kind
        self.prom = _prometheus(kind, name, doc, self.labelnames, registry, old) \
            if registry is not None else None
        self.otel = None
        if meter is not None:
            make = {SUMMARY: meter.create_histogram, COUNTER: meter.create_counter,
                    GAUGE: meter.create_up_down_counter}[kind]
            self.otel = make(name=f"jina_{name}", description=doc)
        self._children: dict[tuple, Any] = {}

    def record(self, value: float, labels: tuple) -> None:
        if self.prom is not None:
            child = self._children.get(labels)
            if child is None:
                child = self._children.setdefault(labels, self.prom.labels(*labels))
            if self.kind == SUMMARY:
                child.observe(value)
            else:
                child.inc(value)
        if self.otel is not None:
            attributes = dict(zip(self.labelnames, labels))
            if self.kind == SUMMARY:
                self.otel.record(value, attributes)
            else:
                self.otel.add(value, attributes)


def _prometheus(kind: str, name: str, doc: str, labelnames: tuple, registry: Any,
                old: str | None) -> Any:
    # 71 ms, only for `monitoring: true` (this module is imported by every worker: host.py)
    import prometheus_client as prom

    if kind == SUMMARY and old is not None:
        return _renamed_summary()(name, doc, labelnames=labelnames, namespace="jina",
                                  registry=registry, old_name=f"jina_{old}")
    cls = {SUMMARY: prom.Summary, COUNTER: prom.Counter, GAUGE: prom.Gauge}[kind]
    return cls(name, doc, labelnames=labelnames, namespace="jina", registry=registry)


@functools.cache
def _renamed_summary() -> type:
    from prometheus_client import Summary  # 71 ms, see _prometheus

    class RenamedSummary(Summary):
        """A summary exported under its name and a deprecated one (Jina's _SummaryDeprecated:
        `jina_received_request_bytes` and `jina_request_size_bytes` both)."""

        def __init__(self, *args: Any, old_name: str | None = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)  # `.labels()` makes children without old_name
            self._old_name = old_name

        def collect(self) -> list:
            metric = self._get_metric()
            for suffix, labels, value, timestamp, exemplar, *_ in self._samples():
                metric.add_sample(self._name + suffix, labels, value, timestamp, exemplar)
                if self._old_name:
                    metric.add_sample(self._old_name + suffix, labels, value, timestamp,
                                      exemplar)
            return [metric]

    return RenamedSummary


class Observer:
    """Metrics and traces of one server (see the module docstring); `close()` flushes them."""

    def __init__(self, *, name: str, kind: str, host: str, monitoring_port: int | None,
                 traces: str | None, metrics: str | None) -> None:
        self.name, self.kind = name, kind
        self.registry = self.meter_provider = self.tracer_provider = None
        self.tracer = self.meter = None
        self._http = None
        self._lock = threading.Lock()
        self._custom: dict[str, Metric] = {}
        if monitoring_port is not None:
            # 71 ms, only for `monitoring: true` (this module is imported by every worker)
            import prometheus_client as prom

            self.registry = prom.CollectorRegistry()
            self._http, _ = prom.start_http_server(monitoring_port, addr=host,
                                                   registry=self.registry)
            self.metrics_port = self._http.server_address[1]
        if traces is not None or metrics is not None:
            self._start_otel(traces, metrics)
        table = WORKER_METRICS if kind == "worker" else {**ROUTER_METRICS, **HOP_METRICS}
        self.m = {n: Metric(n, spec, self.registry, self.meter) for n, spec in table.items()}
        self._labels = (name,)

    def _start_otel(self, traces: str | None, metrics: str | None) -> None:
        # OpenTelemetry's SDK and OTLP exporters: 265 ms, only for `tracing`/`metrics: true`
        from opentelemetry import trace
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.trace import Status, StatusCode

        self._trace, self._error = trace, lambda text: Status(StatusCode.ERROR, text)
        resource = Resource.create({SERVICE_NAME: self.name})
        if traces is not None:
            # (265 ms together, see above)
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
            from opentelemetry.trace.propagation.tracecontext import (
                TraceContextTextMapPropagator)

            self.tracer_provider = TracerProvider(resource=resource)
            self.tracer_provider.add_span_processor(BatchSpanProcessor(
                OTLPSpanExporter(endpoint=traces, insecure=True)))
            self.tracer = self.tracer_provider.get_tracer(self.name)
            self._propagator = TraceContextTextMapPropagator()
        if metrics is not None:
            # (265 ms together, see above)
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
                OTLPMetricExporter)
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

            reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=metrics,
                                                                      insecure=True))
            self.meter_provider = MeterProvider(metric_readers=[reader], resource=resource)
            self.meter = self.meter_provider.get_meter(self.name)

    # -- requests a server answers -----------------------------------------------------------
    async def served(self, request: Any, call: Callable[[Any], Awaitable[Any]],
                     executor: str | None = None) -> Any:
        """`call(request)`'s answer, measured and traced as a request this server serves (a
        worker passes its executor's class name: per-endpoint metrics, the method's time)."""
        m, labels = self.m, self._labels
        endpoint = request.header.endpoint or "/default"
        worker = executor is not None
        wide = (endpoint, executor, self.name)
        m["received_request_bytes"].record(request.ByteSize(), wide if worker else labels)
        if not worker:
            m["number_of_pending_requests"].record(1, labels)
        started = time.perf_counter()
        span = self._server_span(request, endpoint, executor)
        try:
            with self._current(span):
                answer = await call(request)
            failed = answer.header.status.code == _ERROR
            if span is not None and failed:
                self._record_error(span, answer.header.status)
        except BaseException as exc:
            m["failed_requests"].record(1, labels)
            if span is not None:
                span.record_exception(exc)
                span.set_status(self._error(f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            if not worker:
                m["number_of_pending_requests"].record(-1, labels)
            if span is not None:
                span.end()
        took = time.perf_counter() - started
        m["failed_requests" if failed else "successful_requests"].record(1, labels)
        if worker or not failed:  # Jina's gateway times successful requests only
            m["receiving_request_seconds"].record(took, labels)
        if worker:
            m["process_request_seconds"].record(took, (executor, endpoint, self.name))
            m["document_processed"].record(count_docs(request.docs), wide)
        m["sent_response_bytes"].record(answer.ByteSize(), wide if worker else labels)
        return answer

    def _server_span(self, request: Any, endpoint: str, executor: str | None) -> Any:
        """The span of a request this server serves, a child of the caller's (from the
        request's header), whose context then replaces it there for every hop to copy."""
        if self.tracer is None:
            return None
        trace = self._trace
        carrier = dict(request.header.trace_context)
        parent = self._propagator.extract(carrier) if carrier else None
        span = self.tracer.start_span(endpoint, context=parent, kind=trace.SpanKind.SERVER,
                                      attributes={"flowc.runtime_name": self.name,
                                                  "flowc.endpoint": endpoint,
                                                  **({"flowc.executor": executor}
                                                     if executor else {})})
        self._inject(request, trace.set_span_in_context(span))
        return span

    def _inject(self, request: Any, context: Any) -> None:
        carrier: dict[str, str] = {}
        self._propagator.inject(carrier, context=context)
        request.header.trace_context.clear()
        request.header.trace_context.update(carrier)

    def adopt(self, request: Any, pairs: Any) -> None:
        """Take the W3C context from gRPC metadata or HTTP headers (`pairs`: (key, value)) into
        the request's header, unless it carries one already."""
        if self.tracer is None or request.header.trace_context:
            return
        for key, value in pairs or ():
            if str(key).lower() in ("traceparent", "tracestate"):
                request.header.trace_context[str(key).lower()] = str(value)

    # -- hops a router sends -----------------------------------------------------------------
    async def hop(self, entry: str, request: Any, call: Callable[[Any], Awaitable[Any]]) -> Any:
        """`call(request)`'s answer from `entry`: timed, sized and traced. Traced, a copy is
        sent, carrying this hop's span (a head sends one message to several shards)."""
        m, labels = self.m, self._labels
        span = None
        if self.tracer is not None:
            trace = self._trace
            carrier = dict(request.header.trace_context)
            parent = self._propagator.extract(carrier) if carrier else None
            span = self.tracer.start_span(entry, context=parent, kind=trace.SpanKind.CLIENT,
                                          attributes={"flowc.entry": entry})
            sent = flowc_pb2.DataRequest()
            sent.CopyFrom(request)
            request = sent
            self._inject(request, trace.set_span_in_context(span))
        m["sent_request_bytes"].record(request.ByteSize(), labels)
        started = time.perf_counter()
        try:
            answer = await call(request)
            if span is not None and answer.header.status.code == _ERROR:
                self._record_error(span, answer.header.status)
        except BaseException as exc:
            if span is not None:
                span.record_exception(exc)
                span.set_status(self._error(f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            if span is not None:
                span.end()
        m["sending_request_seconds"].record(time.perf_counter() - started, labels)
        m["received_response_bytes"].record(answer.ByteSize(), labels)
        return answer

    # -- executor code: self.monitor(...) ----------------------------------------------------
    def timer(self, name: str, documentation: str) -> Any:
        """Jina's `self.monitor(name, documentation)`: a summary `jina_<name>` (`runtime_name`)
        timing the block, created on first use."""
        metric = self._custom.get(name)
        if metric is None:
            with self._lock:
                metric = self._custom.get(name) or Metric(
                    name, (SUMMARY, documentation, RUNTIME, None), self.registry, self.meter)
                self._custom[name] = metric
        return _Timer(metric, self._labels)

    @contextlib.contextmanager
    def _current(self, span: Any) -> Iterator[None]:
        """`span` as the current span (user code's spans nest under it) and the executor's
        `tracing_context`; nothing without tracing."""
        if span is None:
            yield
            return
        token = TRACING_CONTEXT.set(self._trace.set_span_in_context(span))
        try:
            with self._trace.use_span(span, end_on_exit=False):
                yield
        finally:
            TRACING_CONTEXT.reset(token)

    def _record_error(self, span: Any, status: Any) -> None:
        """An ERROR answer on its span: the status and an `exception` event (OpenTelemetry's
        semantic conventions), as recording the raised exception would give."""
        info = status.exception
        span.add_event("exception", {
            "exception.type": info.name or "Error",
            "exception.message": status.description or ", ".join(info.args),
            "exception.stacktrace": "".join(info.stacks), "flowc.executor": info.executor})
        span.set_status(self._error(status.description or info.name))

    def close(self) -> None:
        """Flush what is still to be exported and stop the `/metrics` endpoint."""
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is not None:
                provider.shutdown()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()


class _Timer(contextlib.ContextDecorator):
    def __init__(self, metric: Metric, labels: tuple) -> None:
        self.metric, self.labels = metric, labels

    def __enter__(self) -> "_Timer":
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.metric.record(time.perf_counter() - self.started, self.labels)


def count_docs(data: bytes) -> int:
    """The documents in docarray DocListProto bytes, without decoding them: its top-level
    field 1 entries (tag 0x0A, then a varint length)."""
    count = i = 0
    end = len(data)
    while i < end:
        tag = data[i]
        i += 1
        length = shift = 0
        while i < end:
            byte = data[i]
            i += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        if tag != 0x0A:
            break
        count += 1
        i += length
    return count
