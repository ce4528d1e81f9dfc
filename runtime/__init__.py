"""flowc's runtime: the Executor API, worker, head, gateway and client.

    from flowc.runtime import Executor, requests, dynamic_batching, DocList, BaseDoc

Names are resolved lazily (module `__getattr__`), so importing `flowc.runtime` or writing an
executor costs nothing until a name that needs grpc or docarray is actually used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Executor": "flowc.runtime.executor",
    "requests": "flowc.runtime.executor",
    "write": "flowc.runtime.executor",
    "monitor": "flowc.runtime.executor",
    "dynamic_batching": "flowc.runtime.batching",
    "Client": "flowc.runtime.client",
    "AsyncClient": "flowc.runtime.client",
    "FlowcRequestError": "flowc.runtime.client",
    "Response": "flowc.runtime.client",
    "GenericDoc": "flowc.runtime.generic_doc",
    "DocList": "docarray",
    "BaseDoc": "docarray",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flowc.runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
