"""`monitoring: true` (issue 13 §1): a real Prometheus (Debian's `prometheus`, `make tools`)
scrapes every server of a running Flow on loopback; the series carry Jina 3.34's names and
labels and count the requests sent. Off, no server imports prometheus_client."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from docarray import DocList
from docarray.documents import TextDoc

from flowc.compiler.api import Flow
from flowc.runtime import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ports import free_port  # noqa: E402

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(PROMETHEUS is None,
                                reason="Debian's `prometheus` is not installed (make tools)")

EXECUTORS = '''
from flowc.runtime import Executor, monitor, requests


class Count(Executor):
    @requests(on="/index")
    def index(self, docs, **kwargs):
        with self.monitor("tagging_seconds", "Time spent tagging"):
            for doc in docs:
                doc.text = self.upper(doc.text)

    @monitor(name="upper_seconds", documentation="Time spent in upper")
    def upper(self, text):
        return text.upper()

    @requests(on="/fail")
    def fail(self, docs, **kwargs):
        raise ValueError("refused")
'''

FLOW = '''jtype: Flow
with:
  port: {port}
  monitoring: true
executors:
  - name: enc
    uses: Count
    py_modules: [executors.py]
  - name: idx
    shards: 2
'''


def _query(base: str, expr: str) -> list[dict]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())["data"]["result"]


def _value(base: str, expr: str) -> float | None:
    found = _query(base, expr)
    return float(found[0]["value"][1]) if len(found) == 1 else None


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    folder = tmp_path_factory.mktemp("monitored")
    port = free_port()
    (folder / "executors.py").write_text(EXECUTORS)
    (folder / "flow.yml").write_text(FLOW.format(port=port))
    flow = Flow.load(str(folder / "flow.yml"))
    flow.start()
    prometheus = None
    try:
        metrics = flow._handle.metrics
        targets = [urllib.parse.urlsplit(url).netloc for url in metrics.values()]
        (folder / "prometheus.yml").write_text(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: flow\n"
            f"    static_configs:\n      - targets: {json.dumps(targets)}\n")
        web = free_port()
        prometheus = subprocess.Popen(
            [PROMETHEUS, f"--config.file={folder / 'prometheus.yml'}",
             f"--storage.tsdb.path={folder / 'tsdb'}", f"--web.listen-address=127.0.0.1:{web}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with Client(host="127.0.0.1", port=port) as client:
            for _ in range(5):
                client.post("/index", DocList[TextDoc]([TextDoc(text="a"), TextDoc(text="b")]))
            for _ in range(2):
                with pytest.raises(Exception, match="refused"):
                    client.post("/fail", DocList[TextDoc]([TextDoc(text="x")]))
        yield f"http://127.0.0.1:{web}", metrics
    finally:
        if prometheus is not None:
            prometheus.terminate()
            prometheus.wait(timeout=30)
        flow.stop()


def _eventually(base: str, expr: str, expected: float, timeout: float = 30.0) -> float | None:
    """The value of `expr` once Prometheus has scraped it equal to `expected` (or the last)."""
    end = time.monotonic() + timeout
    value = None
    while time.monotonic() < end:
        try:
            value = _value(base, expr)
        except OSError:  # Prometheus is still starting
            value = None
        if value == expected:
            return value
        time.sleep(0.3)
    return value


def test_every_server_serves_metrics_and_flowc_run_names_them(scraped):
    _, metrics = scraped
    assert set(metrics) == {"enc/rep-0", "idx/shard-0/rep-0", "idx/shard-1/rep-0", "idx/head",
                            "gateway"}
    assert all(url.startswith("http://127.0.0.1:") and url.endswith("/metrics")
               for url in metrics.values())


def test_the_gateway_series_count_the_requests_sent(scraped):
    base, _ = scraped
    gw = '{runtime_name="gateway"}'
    assert _eventually(base, f"jina_successful_requests_total{gw}", 5) == 5
    assert _eventually(base, f"jina_failed_requests_total{gw}", 2) == 2
    assert _eventually(base, f"jina_receiving_request_seconds_count{gw}", 5) == 5  # successes
    assert _eventually(base, f"jina_number_of_pending_requests{gw}", 0) == 0
    assert _eventually(base, f"jina_received_request_bytes_count{gw}", 7) == 7
    assert _eventually(base, f"jina_request_size_bytes_count{gw}", 7) == 7  # Jina's old name
    assert _eventually(base, f"jina_sent_response_bytes_count{gw}", 7) == 7
    # 5 requests reach enc and idx's head; the 2 failures stop at enc
    assert _eventually(base, f"jina_sending_request_seconds_count{gw}", 12) == 12


def test_the_worker_series_are_per_endpoint_and_executor(scraped):
    base, _ = scraped
    index = '{runtime_name="enc/rep-0",executor="Count",executor_endpoint="/index"}'
    assert _eventually(base, f"jina_document_processed_total{index}", 10) == 10
    assert _eventually(base, f"jina_process_request_seconds_count{index}", 5) == 5
    assert _eventually(base, f"jina_received_request_bytes_count{index}", 5) == 5
    worker = '{runtime_name="enc/rep-0"}'
    assert _eventually(base, f"jina_successful_requests_total{worker}", 5) == 5
    assert _eventually(base, f"jina_failed_requests_total{worker}", 2) == 2
    # the executor's own: `self.monitor(...)` once per request, `@monitor` once per document
    assert _eventually(base, f"jina_tagging_seconds_count{worker}", 5) == 5
    assert _eventually(base, f"jina_upper_seconds_count{worker}", 10) == 10


def test_the_head_counts_what_it_sent_to_its_shards(scraped):
    base, _ = scraped
    head = '{runtime_name="idx/head"}'
    assert _eventually(base, f"jina_successful_requests_total{head}", 5) == 5
    # /index is polled ANY: one shard per request
    assert _eventually(base, f"jina_sending_request_seconds_count{head}", 5) == 5
    # the shards are scraped apart from the head: wait for their scrape too
    shards = 'sum(jina_successful_requests_total{runtime_name=~"idx/shard-.*"})'
    assert _eventually(base, shards, 5) == 5


def test_flowc_run_prints_every_metrics_address(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from flowc_run_harness import FlowcRun

    (tmp_path / "flow.yml").write_text("jtype: Flow\nwith:\n  monitoring: true\n"
                                       "executors:\n  - name: a\n  - name: b\n"
                                       "    monitoring: false\n")
    run = FlowcRun(str(tmp_path / "flow.yml"), cwd=tmp_path)
    try:
        run.ready()
        run.wait_for("flowc run: metrics of gateway at http://127.0.0.1:")
        printed = [line for line in run.lines if line.startswith("flowc run: metrics of ")]
        assert [line.split()[4] for line in printed] == ["a/rep-0", "gateway"]
        url = printed[0].split()[-1]
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert b"jina_successful_requests_total" in answer.read()
        run.signal(signal.SIGINT)
        assert run.wait() == 0
    finally:
        run.kill_all()


def test_monitoring_off_imports_neither_prometheus_nor_opentelemetry(tmp_path):
    """A server without monitoring or tracing never imports them (no cost when off)."""
    code = ("import sys\nfrom flowc.runtime import observe\n"
            "assert observe.observer_for({}, name='x', kind='worker', host='127.0.0.1', "
            "monitoring_port=None) is None\n"
            "import flowc.runtime.gateway, flowc.runtime.worker, flowc.runtime.head\n"
            "bad = [m for m in sys.modules if m.startswith(('prometheus_client', "
            "'opentelemetry'))]\nassert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
