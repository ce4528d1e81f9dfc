"""flowc's compiler: Flow YAML → checked, resolved, versioned plan (docs/ARCHITECTURE.md).

`load(path, env=None, context=None, **kw) -> Plan` raises `DiagnosticError` carrying every
diagnostic; `compile_flow` returns them all with the intermediate results. Imports are lazy so
`import flowc.compiler` costs nothing until used.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["load", "compile_flow", "CompileResult", "DiagnosticError", "Flow", "Plan"]

_LAZY = {
    "load": ("driver", "load"),
    "compile_flow": ("driver", "compile_flow"),
    "CompileResult": ("driver", "CompileResult"),
    "DiagnosticError": ("diagnostics", "DiagnosticError"),
    "Flow": ("api", "Flow"),
    "Plan": ("plan", "Plan"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'flowc.compiler' has no attribute {name!r}")
    module, attr = _LAZY[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), attr)
