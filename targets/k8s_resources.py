"""CPU and memory of the k8s target's containers: what `resources:` says, else defaults.

Every container gets requests (so the scheduler places it) and limits (so one runaway executor
cannot starve its node): the keys `resources:` leaves out take these defaults, and a default
limit below the request the Flow gives is raised to that request, a default request above the
Flow's limit lowered to it (Kubernetes refuses a limit below its request). The defaults suit
flowc's own servers (gateway, heads: ~100 MiB) and small executors; an executor loading a model
should set its own `resources.limits.memory`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flowc.compiler.plan import Resources

DEFAULT_REQUESTS = {"cpu": "100m", "memory": "256Mi"}
DEFAULT_LIMITS = {"cpu": "2", "memory": "2Gi"}

_SUFFIX = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
           "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
           "P": Decimal(10**15), "E": Decimal(10**18), "Ki": Decimal(2**10),
           "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40),
           "Pi": Decimal(2**50), "Ei": Decimal(2**60)}
_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
                       r"(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?")


def quantity(text: str) -> Decimal | None:
    """A Kubernetes quantity's value (`500m` → 0.5, `1Gi` → 1073741824); None if not one."""
    match = _QUANTITY.fullmatch(text.strip())
    if not match:
        return None
    return Decimal(match.group(1)) * _SUFFIX[match.group(2) or ""]


def container_resources(res: Resources, gpus: bool = True) -> dict[str, Any]:
    """The container's `resources`: the Flow's values over the defaults."""
    requests = {**DEFAULT_REQUESTS, **{k: str(v) for k, v in res.requests.items()}}
    limits = {**DEFAULT_LIMITS, **{k: str(v) for k, v in res.limits.items()}}
    for key in DEFAULT_LIMITS:
        request, limit = quantity(requests[key]), quantity(limits[key])
        if request is None or limit is None or request <= limit:
            continue
        if key in res.limits:  # the Flow's limit wins over a default request above it
            requests[key] = limits[key]
        else:  # and the Flow's request over a default limit below it
            limits[key] = requests[key]
    if gpus and res.gpus:
        limits["nvidia.com/gpu"] = str(res.gpus)
    return {"requests": dict(sorted(requests.items())), "limits": dict(sorted(limits.items()))}
