"""Addresses of external executors (`external: true`): `host`/`port`/`tls` → a list of endpoints.

Forms (SPEC §4, as in Jina): `host: h` + `port: p`; `host: grpc://h:p` or `grpcs://h:p` (TLS);
a list of hosts = external replicas, paired with a list of ports or sharing one port.
"""

from __future__ import annotations

import re
from typing import Any

_URL = re.compile(r"^(?:(grpcs?)://)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?/?$", re.IGNORECASE)


def _values(value: Any) -> list:
    v = getattr(value, "value", value)
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def parse_addresses(host: Any, port: Any, tls: Any) -> tuple[list[dict], str | None]:
    """`([{host, port, tls}, ...], None)` or `([], problem)`; arguments may be `Value`s."""
    hosts = [str(h) for h in _values(host)]
    ports = _values(port)
    use_tls = getattr(tls, "value", tls) is True
    if not hosts:
        return [], "an external executor needs `host` (and `port`, unless the host is a URL)"
    if len(ports) > 1 and len(ports) != len(hosts):
        return [], f"{len(hosts)} host(s) but {len(ports)} ports: give one port, or one per host"
    out = []
    for i, text in enumerate(hosts):
        match = _URL.match(text.strip())
        if not match:
            return [], f"`{text}` is not a host, `grpc://host:port` or `grpcs://host:port`"
        scheme, name, url_port = match.groups()
        chosen = url_port or (ports[i] if len(ports) > 1 else (ports[0] if ports else None))
        try:
            number = int(chosen) if chosen is not None else None
        except (TypeError, ValueError):
            return [], f"port `{chosen}` of external host `{text}` is not a number"
        if number is None:
            return [], f"external host `{text}` has no port: set `port` or write `grpc://{name}:PORT`"
        if not 0 < number < 65536:
            return [], f"port {number} of external host `{text}` is out of range"
        out.append({"host": name.strip("[]"), "port": number,
                    "tls": use_tls or (scheme or "").lower() == "grpcs"})
    return out, None
