"""`tracing: true` and `metrics: true` (issue 13 §2): a real OTLP gRPC receiver, built in the
test from the official `opentelemetry-proto` services, collects what a running Flow exports.
The spans of one request form one tree across gateway, head and workers; errors are recorded;
the client's W3C context (gRPC metadata, HTTP headers) is the trace's parent; `metrics: true`
exports Jina's metric names."""

from __future__ import annotations

import sys
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc
import httpx
import pytest
from docarray import DocList
from docarray.documents import TextDoc
from opentelemetry.proto.collector.metrics.v1 import (metrics_service_pb2,
                                                      metrics_service_pb2_grpc)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from flowc.compiler.api import Flow
from flowc.runtime import Client
from flowc.runtime.proto import flowc_pb2, flowc_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ports import free_port  # noqa: E402

EXECUTORS = '''
from flowc.runtime import Executor, requests


class Traced(Executor):
    @requests(on="/search")
    def search(self, docs, tracing_context, **kwargs):
        with self.tracer.start_as_current_span("inner", context=tracing_context):
            for doc in docs:
                doc.text = doc.text.upper()

    @requests(on="/fail")
    def fail(self, docs, **kwargs):
        raise ValueError("refused")
'''

FLOW = '''jtype: Flow
with:
  protocol: [grpc, http]
  port: [{port}, {http}]
  tracing: true
  traces_exporter_host: 127.0.0.1
  traces_exporter_port: {otlp}
  metrics: true
  metrics_exporter_host: 127.0.0.1
  metrics_exporter_port: {otlp}
executors:
  - name: enc
    uses: Traced
    py_modules: [executors.py]
  - name: idx
    shards: 2
'''
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
HTTP_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


class Receiver(trace_service_pb2_grpc.TraceServiceServicer,
               metrics_service_pb2_grpc.MetricsServiceServicer):
    """An OTLP collector endpoint: keeps every span and metric name it is sent."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, object]] = []  # (service.name, Span)
        self.metrics: set[tuple[str, str]] = set()  # (service.name, metric name)
        self.lock = threading.Lock()

    @staticmethod
    def _service(resource) -> str:
        return next((a.value.string_value for a in resource.attributes
                     if a.key == "service.name"), "")

    def Export(self, request, context):
        with self.lock:
            if isinstance(request, trace_service_pb2.ExportTraceServiceRequest):
                for rs in request.resource_spans:
                    for ss in rs.scope_spans:
                        self.spans += [(self._service(rs.resource), s) for s in ss.spans]
                return trace_service_pb2.ExportTraceServiceResponse()
            for rm in request.resource_metrics:
                for sm in rm.scope_metrics:
                    self.metrics |= {(self._service(rm.resource), m.name) for m in sm.metrics}
            return metrics_service_pb2.ExportMetricsServiceResponse()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("traced")
    receiver = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(receiver, server)
    otlp = free_port()
    server.add_insecure_port(f"127.0.0.1:{otlp}")
    server.start()
    port, http = free_port(), free_port()
    (folder / "executors.py").write_text(EXECUTORS)
    (folder / "flow.yml").write_text(FLOW.format(port=port, http=http, otlp=otlp))
    mp = pytest.MonkeyPatch()
    mp.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")  # the runtime's processes inherit them
    mp.setenv("OTEL_METRIC_EXPORT_INTERVAL", "300")
    flow = Flow.load(str(folder / "flow.yml"))
    try:
        flow.start()
        try:
            with Client(host="127.0.0.1", port=port) as client:
                client.post("/search", DocList[TextDoc]([TextDoc(text="a")]))
                with pytest.raises(Exception, match="refused"):
                    client.post("/fail", DocList[TextDoc]([TextDoc(text="x")]))
            request = flowc_pb2.DataRequest()
            request.header.endpoint = "/search"
            request.docs = DocList[TextDoc]([TextDoc(text="b")]).to_protobuf().SerializeToString()
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                flowc_pb2_grpc.FlowcStub(channel).Process(request, timeout=30, metadata=(
                    ("traceparent", f"00-{TRACE_ID}-{PARENT_ID}-01"),))
            answer = httpx.post(f"http://127.0.0.1:{http}/search", json={"data": [{"text": "c"}]},
                                headers={"traceparent": f"00-{HTTP_TRACE_ID}-{PARENT_ID}-01"},
                                timeout=30)
            assert answer.status_code == 200, answer.text
            time.sleep(1.0)  # a metrics export or two
        finally:
            flow.stop()  # every process flushes its spans as it stops
        yield receiver
    finally:
        mp.undo()
        server.stop(None)


def _traces(receiver: Receiver) -> dict[str, list[tuple[str, object]]]:
    traces: dict[str, list] = {}
    for service, span in receiver.spans:
        traces.setdefault(span.trace_id.hex(), []).append((service, span))
    return traces


def _root(spans: list) -> tuple[str, object]:
    (root,) = [(svc, s) for svc, s in spans if not s.parent_span_id]
    return root


def _is_one_tree(spans: list, root_parent: bytes = b"") -> bool:
    ids = {s.span_id for _, s in spans}
    return all(s.parent_span_id in ids or s.parent_span_id == root_parent for _, s in spans) \
        and len([s for _, s in spans if s.parent_span_id == root_parent]) == 1


def _trace_of(receiver: Receiver, endpoint: str, *, parented: bool = False) -> list:
    for spans in _traces(receiver).values():
        roots = [(svc, s) for svc, s in spans if svc == "gateway" and s.name == endpoint
                 and bool(s.parent_span_id) == parented]
        if roots:
            return spans
    raise AssertionError(f"no trace of {endpoint}: {sorted(_traces(receiver))}")


def test_the_spans_of_one_request_form_one_tree_across_every_server(exported):
    spans = _trace_of(exported, "/search")
    assert _is_one_tree(spans)
    service, root = _root(spans)
    assert (service, root.name) == ("gateway", "/search")
    named = {(svc, s.name) for svc, s in spans}
    # the gateway's hops are named by entry; every server's span by endpoint; /search is
    # polled ALL, so both shards answer; the executor's own span nests under its endpoint's
    assert {("gateway", "enc"), ("gateway", "idx"), ("enc/rep-0", "/search"),
            ("enc/rep-0", "inner"), ("idx/head", "/search"), ("idx/head", "idx/shard-0"),
            ("idx/head", "idx/shard-1"), ("idx/shard-0/rep-0", "/search"),
            ("idx/shard-1/rep-0", "/search")} <= named
    by_id = {s.span_id: (svc, s) for svc, s in spans}
    inner = next(s for svc, s in spans if s.name == "inner")
    assert by_id[inner.parent_span_id][1].name == "/search"
    assert by_id[inner.parent_span_id][0] == "enc/rep-0"


def test_an_error_is_recorded_on_the_spans_it_passes(exported):
    spans = _trace_of(exported, "/fail")
    assert _is_one_tree(spans)
    failed = [(svc, s) for svc, s in spans if s.status.code == s.status.STATUS_CODE_ERROR]
    assert {(svc, s.name) for svc, s in failed} >= {("gateway", "/fail"), ("enc/rep-0", "/fail")}
    worker = next(s for svc, s in failed if svc == "enc/rep-0")
    (event,) = [e for e in worker.events if e.name == "exception"]
    attributes = {a.key: a.value.string_value for a in event.attributes}
    assert attributes["exception.type"] == "ValueError"
    assert "refused" in attributes["exception.message"]
    assert not any(svc.startswith("idx") for svc, _ in spans)  # stopped after the error


@pytest.mark.parametrize("trace_id", [TRACE_ID, HTTP_TRACE_ID], ids=["grpc", "http"])
def test_the_callers_trace_context_in_grpc_metadata_or_http_headers_is_the_parent(exported,
                                                                                trace_id):
    mine = [(svc, s) for svc, s in exported.spans if s.trace_id.hex() == trace_id]
    assert mine, "the client's traceparent was not adopted"
    assert _is_one_tree(mine, root_parent=bytes.fromhex(PARENT_ID))
    assert {svc for svc, _ in mine} >= {"gateway", "enc/rep-0", "idx/head"}


def test_metrics_true_exports_jinas_metric_names_over_otlp(exported):
    assert {("gateway", "jina_successful_requests"), ("gateway", "jina_failed_requests"),
            ("gateway", "jina_sending_request_seconds"), ("enc/rep-0", "jina_document_processed"),
            ("enc/rep-0", "jina_process_request_seconds"),
            ("idx/head", "jina_receiving_request_seconds")} <= exported.metrics
