"""The Python API: `Flow(**with).add(...).config_gateway(...)`, like Jina's, compiled by the same
phases as YAML (check, substitute, resolve, graph, plan), so a Flow built here and the equivalent
YAML give equal plans. `with Flow(...) as f: f.post(...)` starts it with the runtime's launcher.

Jina's Flow methods work on top of the builder: `load_config`/`save_config` (YAML in and out,
`api_yaml.py`), `needs`/`needs_all`, `expose_endpoint`, `plot` (`api_plot.py`), `block`, and
`to_kubernetes_yaml`/`to_docker_compose_yaml`, which write what `flowc build` writes
(`target_files.py`). Values built in Python have no source positions (spans at line 0 in a file
named `<python>`); strings stay strings (as a quoted YAML scalar would). A class given as `uses`
is named by its class name, and its source file becomes a `py_modules` entry: nothing is imported
or run by compilation.
"""

from __future__ import annotations

import inspect
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any, Iterable, TextIO

from . import api_plot
from .api_yaml import PYTHON_FILE, FlowParts, Section, dump, flow_parts, from_python, plain
from .check import detect_kind
from .diagnostics import DiagnosticError, Severity
from .driver import compile_flow, compile_tree
from .loader import load_file, load_text
from .output import NotOurs, apply_files
from .plan import Plan
from .target_files import render_target

__all__ = ["Flow", "from_python", "PYTHON_FILE"]

# `compile_tree`'s options that `load_config` keeps for when the Flow is compiled
_COMPILE_OPTIONS = frozenset({"env", "env_file", "allow_undefined"})


class Flow:
    """A Flow built in Python (`Flow(name='f', port=1234).add(name='a', uses='A')`), read from a
    file to build on (`Flow.load_config(path)`), or a file as it is (`Flow.load(path)`)."""

    def __init__(self, **with_kwargs: Any) -> None:
        self._with = dict(with_kwargs)
        self._gateway: dict[str, Any] = {}
        self._entries: list[Any] = []
        self._others: dict[str, Any] = {}  # other top-level keys of a loaded file
        self._root = Section()  # a loaded file's document: its span and key nodes
        self._source: Path | None = None  # the file `load_config` read (resolved)
        self._display: str | None = None  # ... as it was named (diagnostics say this)
        self._path: Path | None = None  # the file `load` names (the Flow is that file)
        self._load_kw: dict[str, Any] = {}
        self._handle: Any = None

    @classmethod
    def load(cls, path: str | os.PathLike, **kw: Any) -> "Flow":
        """A Flow from a YAML file; `kw` are `compile_flow`'s (env, env_file, context, ...)."""
        flow = cls()
        flow._path = Path(path)
        flow._load_kw = kw
        return flow

    @classmethod
    def load_config(cls, source: str | os.PathLike | TextIO | dict, *,
                    context: dict[str, Any] | None = None, **kw: Any) -> "Flow":
        """A Flow read from YAML (a path, YAML text, an open file, or a dict) to build on, as
        Jina's `Flow.load_config`. Substitution happens when the Flow is compiled (`plan`,
        `start`), with `context` and `kw` (`env`, `env_file`, `allow_undefined`); relative paths
        start at the file's directory; diagnostics point into the file."""
        unknown = sorted(set(kw) - _COMPILE_OPTIONS)
        if unknown:
            raise TypeError(f"load_config() got unexpected keyword argument(s): "
                            f"{', '.join(unknown)}")
        if isinstance(source, dict):
            flow, root, display = cls(), from_python(source), None
        else:
            root, display = _read_source(source)
            flow = cls()
        if detect_kind(root) == "deployment":  # a lone Deployment: a Flow with that one entry
            parts: FlowParts | None = FlowParts(entries=[root])
        elif detect_kind(root) == "executor":
            raise TypeError(f"{display or 'the source'} is an Executor file, not a Flow: add it "
                            f"to one with Flow().add(uses=...)")
        else:
            parts = flow_parts(root)
        if parts is None:
            raise TypeError(f"{display or 'the source'} is not a Flow document (a mapping)")
        flow._with, flow._gateway = parts.with_, parts.gateway
        flow._entries, flow._others, flow._root = parts.entries, parts.others, parts.root
        if display is not None and not display.startswith("<"):
            flow._source, flow._display = Path(display).resolve(), display
        flow._load_kw = {**kw, "context": context} if context is not None else dict(kw)
        return flow

    def save_config(self, filename: str | os.PathLike | None = None) -> Path:
        """Write the Flow as YAML (`to_yaml`) to `filename`, by default the file it was loaded
        from (as Jina); `load_config` of that file gives the same Flow. Returns the path."""
        target = filename if filename is not None else (self._source or self._path)
        if target is None:
            raise ValueError("save_config needs a filename: this Flow was not loaded from one")
        path = Path(target)
        path.write_text(self.to_yaml(), encoding="utf-8")
        return path

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

    def needs(self, needs: str | Iterable[str], name: str = "joiner", **entry_keys: Any
              ) -> "Flow":
        """Add an entry (a pass-through unless `uses` is given) that waits for every entry of
        `needs` and merges their documents (SPEC §4), as Jina's `needs`; returns self."""
        wanted = [needs] if isinstance(needs, str) else list(needs)
        if len(wanted) <= 1:
            raise ValueError("`needs` joins several entries: give two or more names (one entry "
                             "is followed with `add(needs=name)`)")
        return self.add(name=name, needs=wanted, **entry_keys)

    def needs_all(self, name: str = "joiner", **entry_keys: Any) -> "Flow":
        """Add an entry that waits for every entry whose output reaches nothing so far (not
        floating), as Jina's `needs_all`; the Flow so far is compiled to find them."""
        self._builder_only("needs_all")
        plan = self.plan()
        needed = {need for dep in plan.deployments for need in dep.needs}
        hanging = [dep.name for dep in plan.deployments
                   if not dep.floating and dep.name not in needed]
        if len(hanging) > 1:
            return self.needs(hanging, name=name, **entry_keys)
        return self.add(name=name, needs=hanging[0] if hanging else "gateway", **entry_keys)

    def config_gateway(self, **kw: Any) -> "Flow":
        """Set keys of the `gateway:` section; returns self."""
        self._builder_only("config_gateway")
        self._gateway.update(kw)
        return self

    def expose_endpoint(self, exec_endpoint: str, **kwargs: Any) -> "Flow":
        """Serve the executors' endpoint `exec_endpoint` on the HTTP gateway too, with FastAPI's
        route options (`path`, `methods`, `summary`, ...): the gateway's `expose_endpoints`,
        as Jina's `expose_endpoint`; returns self."""
        self._builder_only("expose_endpoint")
        current = plain(self._gateway.get("expose_endpoints")) or {}
        if isinstance(current, str):
            current = json.loads(current)
        self._gateway["expose_endpoints"] = {**current, exec_endpoint: kwargs}
        return self

    def to_dict(self) -> dict[str, Any]:
        """The Flow document as plain data (what `to_yaml` writes)."""
        return plain(self._document())

    def to_yaml(self) -> str:
        """The equivalent Flow YAML (block style; strings double-quoted)."""
        if self._path is not None:
            return self._path.read_text(encoding="utf-8")
        return dump(self._document())

    def _document(self) -> dict[str, Any]:
        self._builder_only("to_dict")
        doc = Section(span=self._root.span)
        doc.key_nodes = self._root.key_nodes
        doc["jtype"] = "Flow"
        doc.update(self._others)
        doc.setdefault("version", "1")
        if self._with:
            doc["with"] = self._with
        if self._gateway:
            doc["gateway"] = self._gateway
        doc["executors"] = self._entries
        return doc

    def plan(self, base_dir: str | os.PathLike | None = None, **kw: Any) -> Plan:
        """Compile to the plan; raises `DiagnosticError` with every problem.

        `base_dir` (default: the file's directory for `load_config`, else the current
        directory) is where relative paths start, as the Flow file's directory does for YAML;
        the flow's default name is `flow` (as `flow.yml`)."""
        if self._path is not None:
            result = compile_flow(self._path, **{**self._load_kw, **kw})
        else:
            base = self.base_dir(base_dir)
            display = self._display or PYTHON_FILE
            path = base / (self._source.name if self._source is not None else "flow.yml")
            result = compile_tree(from_python(self._document()), path=path, display=display,
                                  **{**self._load_kw, **kw})
        if result.plan is None:
            raise DiagnosticError(result.diagnostics)
        return result.plan

    def base_dir(self, base_dir: str | os.PathLike | None = None) -> Path:
        if base_dir is not None:
            return Path(base_dir).resolve()
        source = self._path or self._source
        return source.resolve().parent if source is not None else Path.cwd()

    # --- pictures and artifacts ----------------------------------------------------------------

    def plot(self, output: str | os.PathLike | None = None, vertical_layout: bool = False,
             inline_display: bool = False, build: bool = True, copy_flow: bool = True) -> "Flow":
        """Draw the Flow's graph, as Jina's `plot`: Mermaid text (no `output`: printed;
        `.mmd`/`.mermaid`), Graphviz DOT (`.dot`/`.gv`), or an image drawn by Graphviz's `dot`
        (`.svg`, `.png`, `.jpg`, `.pdf`; `api_plot.GraphvizMissing` when `dot` is not installed).
        Offline, unlike Jina's (mermaid.ink). `inline_display`, `build` and `copy_flow` are
        accepted for Jina's callers and change nothing (flowc always compiles a copy)."""
        api_plot.plot(self.plan(), output, vertical=vertical_layout)
        return self

    def to_kubernetes_yaml(self, output_base_path: str | os.PathLike,
                           k8s_namespace: str | None = None, include_gateway: bool = True,
                           **options: Any) -> Path:
        """Write what `flowc build --target k8s -o output_base_path` writes (`k8s_namespace`:
        `--namespace`; `options`: the target's other build options, e.g. `image=`)."""
        return self._build("k8s", output_base_path, include_gateway,
                           {"namespace": k8s_namespace, **options})

    to_k8s_yaml = to_kubernetes_yaml

    def to_docker_compose_yaml(self, output_path: str | os.PathLike | None = None,
                               network_name: str | None = None, include_gateway: bool = True,
                               **options: Any) -> Path:
        """Write what `flowc build --target compose` writes, into the directory of `output_path`
        (a folder, or the compose file's path: its name must be `compose.yaml`; default: the
        current directory). `network_name` names the Flow's compose network."""
        target = Path(output_path) if output_path is not None else Path.cwd()
        if target.suffix in (".yml", ".yaml"):
            if target.name != "compose.yaml":
                raise ValueError(f"flowc writes the compose file as `compose.yaml` beside its "
                                 f"build files: give its folder or `{target.parent}/compose.yaml`")
            target = target.parent
        return self._build("compose", target, include_gateway,
                           {"network": network_name, **options})

    def _build(self, target: str, outdir: str | os.PathLike, include_gateway: bool,
               options: dict[str, Any]) -> Path:
        if not include_gateway:
            raise ValueError("flowc always writes the gateway: executors are reached only "
                             "through it (include_gateway=False is not supported)")
        plan, out = self.plan(), Path(outdir)
        files, diags = render_target(plan, target, self.base_dir(), out,
                                     {k: v for k, v in options.items() if v is not None})
        if any(d.severity is Severity.ERROR for d in diags):
            raise DiagnosticError(diags)
        try:
            apply_files(out, files)
        except NotOurs as exc:
            raise FileExistsError(f"`flowc build` would overwrite {', '.join(exc.names)} in "
                                  f"{out}, which no earlier build wrote (FC906)") from None
        return out

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

    def block(self, stop_event: threading.Event | None = None) -> None:
        """Serve until SIGINT/SIGTERM (or `stop_event` is set), as Jina's `block`; a Flow not
        started yet is started here and stopped on return. Signals are caught only when called
        from the main thread (Python delivers them there)."""
        started_here = self._handle is None
        if started_here:
            self.start()
        stop = stop_event or threading.Event()
        previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            if started_here:
                self.stop()

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

    def stream_doc(self, on: str, inputs: Any, **kw: Any) -> Any:
        """The documents a streaming endpoint yields for `inputs` (one document), as an async
        iterator (the runtime Client's `stream_doc`, as Jina's `Flow.stream_doc`)."""
        return self.client.stream_doc(on=on, inputs=inputs, **kw)

    def _builder_only(self, what: str) -> None:
        if self._path is not None:
            raise TypeError(f"`{what}` is for Flows built in Python, not loaded from "
                            f"{self._path} (use Flow.load_config to build on a file)")


def _read_source(source: str | os.PathLike | TextIO) -> tuple[Any, str]:
    """(syntax tree, display name) of `load_config`'s source; DiagnosticError when it does not
    load. A string naming no file but holding a newline or `:` is YAML text."""
    if hasattr(source, "read"):
        display = str(getattr(source, "name", "<stream>"))
        root, diags = load_text(source.read(), display)
    elif isinstance(source, str) and not os.path.exists(source) and (
            "\n" in source or ":" in source):
        display = "<string>"
        root, diags = load_text(source, display)
    else:
        display = os.fspath(source)
        root, diags = load_file(display)
    if root is None or any(d.severity is Severity.ERROR for d in diags):
        raise DiagnosticError(diags)
    return root, display
