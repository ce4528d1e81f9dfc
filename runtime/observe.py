"""Whether a server is observed, and its observer: the runtime's entry to monitoring and tracing.

A server is observed when its plan node (an entry, or the gateway) has `tracing: true` or
`metrics: true`, or when it was given `--monitoring-port` (the target gives it one for
`monitoring: true`). Then `observer_for` builds an `observe_on.Observer`, which imports
prometheus_client (71 ms) and OpenTelemetry (265 ms) for what is on; otherwise it returns None,
neither is imported and the request path only tests `observer is None` (BENCHMARKS.md: no
measurable cost).

Jina's defaults for the exporters: host 0.0.0.0, port 6831 (jina/serve/instrumentation).
"""

from __future__ import annotations

import argparse
from typing import Any, Mapping

from .observe_on import Observer

JINA_EXPORTER_HOST = "0.0.0.0"
JINA_EXPORTER_PORT = 6831


def add_monitoring_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--monitoring-port", type=int, default=None,
                        help="serve Prometheus metrics at http://HOST:PORT/metrics "
                             "(`monitoring: true`)")


def observer_for(settings: Mapping[str, Any] | None, *, name: str, kind: str, host: str,
                 monitoring_port: int | None) -> Any:
    """The observer of one server (`kind`: gateway, head or worker; `name`: its runtime name,
    Jina's `runtime_name` label), or None when monitoring, tracing and metrics are all off.
    Starts the `/metrics` endpoint on `host:monitoring_port`; raises OSError if it cannot bind."""
    settings = settings or {}
    tracing, metrics = bool(settings.get("tracing")), bool(settings.get("metrics"))
    if monitoring_port is None and not tracing and not metrics:
        return None
    def exporter(prefix: str) -> str:
        host_ = settings.get(f"{prefix}_exporter_host") or JINA_EXPORTER_HOST
        return f"{host_}:{settings.get(f'{prefix}_exporter_port') or JINA_EXPORTER_PORT}"

    return Observer(name=name, kind=kind, host=host, monitoring_port=monitoring_port,
                    traces=exporter("traces") if tracing else None,
                    metrics=exporter("metrics") if metrics else None)


__all__ = ["JINA_EXPORTER_HOST", "JINA_EXPORTER_PORT", "add_monitoring_option", "observer_for"]
