"""The Python API: `Flow(**with).add(...).config_gateway(...)`, like Jina's, compiled by the same
phases as YAML (check, substitute, resolve, graph, plan), so a Flow built here and the equivalent
YAML give equal plans. `with Flow(...) as f: f.post(...)` starts it with the runtime's launcher.

Values are written as a syntax tree without source positions (spans at line 0 in a file named
`<python>`); strings stay strings (as a quoted YAML scalar would). A class given as `uses` is
named by its class name, and its source file becomes a `py_modules` entry: nothing is imported
or run by compilation.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from pathlib import Path
from typing import Any

from .diagnostics import DiagnosticError
from .driver import compile_flow, compile_tree
from .plan import Plan
from .syntax import Mapping, Node, Scalar, Sequence, Span

PYTHON_FILE = "<python>"
_PLAIN_KEY = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_.-]*|/[A-Za-z0-9_/.-]*)$")
_NO_SPAN = Span(PYTHON_FILE, 0, 0, 0, 0)


class Flow:
    """A Flow built in Python (`Flow(name='f', port=1234).add(name='a', uses='A')`), or loaded
    from a file with `Flow.load(path)`."""

    def __init__(self, **with_kwargs: Any) -> None:
        self._with = dict(with_kwargs)
        self._gateway: dict[str, Any] = {}
        self._entries: list[dict[str, Any]] = []
        self._path: Path | None = None
        self._load_kw: dict[str, Any] = {}
        self._handle: Any = None

    @classmethod
    def load(cls, path: str | os.PathLike, **kw: Any) -> "Flow":
        """A Flow from a YAML file; `kw` are `compile_flow`'s (env, env_file, context, ...)."""
        flow = cls()
        flow._path = Path(path)
        flow._load_kw = kw
        return flow

    def add(self, *, name: str | None = None, uses: Any = None, needs: Any = None,
            **entry_keys: Any) -> "Flow":
        """Append an executor entry (keys as in YAML `executors:` items); returns self."""
        self._builder_only("add")
        entry: dict[str, Any] = {}
        if name is not None:
            entry["name"] = name
        if isinstance(uses, type):
            entry["uses"] = uses.__name__
            source = inspect.getsourcefile(uses)
            if source:
                modules = entry_keys.pop("py_modules", [])
                modules = [modules] if isinstance(modules, str) else list(modules)
                entry["py_modules"] = modules + [str(Path(source).resolve())]
        elif uses is not None:
            entry["uses"] = uses
        if needs is not None:
            entry["needs"] = list(needs) if isinstance(needs, (list, tuple)) else needs
        entry.update(entry_keys)
        self._entries.append(entry)
        return self

    def config_gateway(self, **kw: Any) -> "Flow":
        """Set keys of the `gateway:` section; returns self."""
        self._builder_only("config_gateway")
        self._gateway.update(kw)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The Flow document as plain data (what `to_yaml` writes)."""
        self._builder_only("to_dict")
        doc: dict[str, Any] = {"jtype": "Flow", "version": "1"}
        if self._with:
            doc["with"] = self._with
        if self._gateway:
            doc["gateway"] = self._gateway
        doc["executors"] = self._entries
        return doc

    def to_yaml(self) -> str:
        """The equivalent Flow YAML (block style; strings double-quoted)."""
        if self._path is not None:
            return self._path.read_text(encoding="utf-8")
        return "".join(_emit(self.to_dict(), 0)) + ""

    def plan(self, base_dir: str | os.PathLike | None = None, **kw: Any) -> Plan:
        """Compile to the plan; raises `DiagnosticError` with every problem.

        `base_dir` (default: the current directory) is where relative paths start, as the Flow
        file's directory does for YAML; the flow's default name is `flow` (as `flow.yml`)."""
        if self._path is not None:
            result = compile_flow(self._path, **{**self._load_kw, **kw})
        else:
            base = Path(base_dir) if base_dir is not None else Path.cwd()
            result = compile_tree(from_python(self.to_dict()), path=base / "flow.yml",
                                  display=PYTHON_FILE, **kw)
        if result.plan is None:
            raise DiagnosticError(result.diagnostics)
        return result.plan

    def base_dir(self, base_dir: str | os.PathLike | None = None) -> Path:
        if self._path is not None:
            return self._path.resolve().parent
        return Path(base_dir).resolve() if base_dir is not None else Path.cwd()

    # --- running (the runtime's launcher) ------------------------------------------------------

    def start(self, *, in_process: bool = False, base_dir: str | os.PathLike | None = None
              ) -> "Flow":
        """Start every process (the runtime's supervisor) and return once all serve;
        `flowc.runtime.supervisor.LaunchError` names a process that did not start."""
        # imported here: 75 ms (-X importtime) that building or compiling a Flow never needs
        from flowc.runtime.launcher import start

        if self._handle is not None:
            raise RuntimeError("the Flow is already running")
        self._handle = start(self.plan(base_dir=base_dir), base_dir=self.base_dir(base_dir),
                             in_process=in_process)
        return self

    def __enter__(self) -> "Flow":
        return self if self._handle is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            handle.stop()

    @property
    def client(self) -> Any:
        if self._handle is None:
            raise RuntimeError("the Flow is not running: use `with flow:` or `flow.start()`")
        return self._handle.client

    def post(self, on: str, inputs: Any = None, **kw: Any) -> Any:
        """Send a request to the running Flow (the runtime Client's `post`)."""
        return self.client.post(on, inputs, **kw)

    def _builder_only(self, what: str) -> None:
        if self._path is not None:
            raise TypeError(f"`{what}` is for Flows built in Python, not loaded from "
                            f"{self._path}")


def from_python(value: Any, span: Span = _NO_SPAN) -> Node:
    """A syntax tree for plain Python data (mappings, lists, scalars); no source positions."""
    if isinstance(value, dict):
        return Mapping(tuple((Scalar(str(k), span), from_python(v, span))
                             for k, v in value.items()), span)
    if isinstance(value, (list, tuple)):
        return Sequence(tuple(from_python(v, span) for v in value), span)
    if isinstance(value, Path):
        value = str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return Scalar(value, span, '"' if isinstance(value, str) else "")
    raise TypeError(f"a Flow value must be YAML data (mapping, list, string, number, boolean, "
                    f"null), not {type(value).__name__}")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _key(key: Any) -> str:
    text = str(key)
    return text if _PLAIN_KEY.match(text) and text not in ("null", "true", "false") else \
        json.dumps(text, ensure_ascii=False)


def _emit(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list, tuple)) and v:
                out.append(f"{pad}{_key(k)}:\n")
                out += _emit(v, indent + 2)
            else:
                out.append(f"{pad}{_key(k)}: {_inline(v)}\n")
    else:
        for item in value:
            if isinstance(item, (dict, list, tuple)) and item:
                lines = _emit(item, indent + 2)
                out.append(f"{pad}- {lines[0].lstrip()}")
                out += lines[1:]
            else:
                out.append(f"{pad}- {_inline(item)}\n")
    return out


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    return _scalar(str(value) if isinstance(value, Path) else value)
