"""The compiler driver: the phases in order, each once, one screen (docs/ARCHITECTURE.md).

load → substitute → includes (the files the Flow names, each loaded once; a Deployment file
substituted once) → check (every document once) → resolve → graph → plan.

Each phase is a pure function returning `(value, diagnostics)`, so one run reports every problem.
A later phase never repeats what an earlier one reported: its diagnostics located inside the span
of an earlier error, or inside a scalar whose substitution failed, are dropped, and if it fails on
input an earlier phase already rejected, that failure is the earlier error's consequence, not a
new problem. The plan is only made from a flow
without errors. Nothing here prints or exits (that is the CLI's job).
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping as TMapping

from .check import check, detect_kind
from .check_support import SERVED_BY_GATEWAY, speaks_web
from .diagnostics import Diagnostic, DiagnosticError, Severity, normalise
from .envfile import parse_env_file
from .graph import FlowGraph, build_graph
from .includes import Files, include_files
from .model import ResolvedFlow
from .plan import Plan
from .planner import make_plan
from .resolve import resolve
from .resolve_files import FileContext, executor_modules
from .runtime_values import flow_secret_names
from .substitute import SubstitutionContext, failed_spans, substitute
from .syntax import Mapping, Node, Scalar, Sequence, Span


@dataclass
class CompileResult:
    plan: Plan | None
    resolved: ResolvedFlow | None
    graph: FlowGraph | None
    diagnostics: list[Diagnostic]
    timings: dict[str, float] = field(default_factory=dict)
    kind: str | None = None  # 'flow' | 'deployment' | 'executor' | 'gateway' (None: not loaded)

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


def compile_flow(path: str | os.PathLike, *, env: TMapping[str, str] | None = None,
                 env_file: str | os.PathLike | None = None, context: TMapping[str, Any] | None = None,
                 allow_undefined: bool = False, display_name: str | None = None,
                 context_complete: bool = True, for_build: bool = True) -> CompileResult:
    """Compile a Flow (or a lone Deployment / Executor) file. Executor files stop after check.

    `context_complete=False` says a context source was refused (e.g. a `--context-file` that is
    not a mapping, already reported): a context name it may have defined is then left unknown,
    not reported as undefined (that would repeat the first error once per name).
    `for_build=False` (`flowc validate`): a value --allow-undefined left unknown where flowc
    needs it to build is a warning (FC417), not an error (FC415), and no plan is made."""
    run, files = _Run(), Files()
    display = display_name or str(path)
    with _gc_paused():
        document = run.phase("load", lambda: _load(files, path, display))
        if document.root is None:
            return run.result(None, None, None, None)
        return compile_tree(document.root, path=path, display=display, env=env,
                            env_file=env_file, context=context, allow_undefined=allow_undefined,
                            run=run, context_complete=context_complete, files=files,
                            for_build=for_build)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while compiling: the phases allocate many small acyclic
    objects, and the collector's passes over them made a 10,000-executor Flow 1.5x slower
    (resolve 5x). Whatever cyclic garbage there is, is collected once compilation is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def compile_tree(root: Node, *, path: str | os.PathLike, display: str,
                 env: TMapping[str, str] | None = None, env_file: str | os.PathLike | None = None,
                 context: TMapping[str, Any] | None = None, allow_undefined: bool = False,
                 run: "_Run | None" = None, context_complete: bool = True,
                 files: Files | None = None, for_build: bool = True) -> CompileResult:
    """The phases after load on a syntax tree (from the loader, or built by the Python API);
    `path` is where the Flow file is (or would be): its directory is the base directory."""
    if run is None:
        with _gc_paused():
            return compile_tree(root, path=path, display=display, env=env, env_file=env_file,
                                context=context, allow_undefined=allow_undefined, run=_Run(),
                                context_complete=context_complete, files=files,
                                for_build=for_build)
    files = files if files is not None else Files()
    kind = detect_kind(root)
    base = Path(path).resolve().parent
    where = FileContext(display, base, base)
    if kind == "gateway":  # checked only: flowc does not read Gateway files (`gateway: uses:`)
        run.phase("check", lambda: (None, check(root, kind)))
        return run.result(None, None, None, kind)
    if kind == "executor":  # checked as written: the worker substitutes it
        run.phase("check", lambda: (None, check(root, kind)))
        run.phase("resolve", lambda: _executor_modules(root, where))  # as from a Flow: FC406
        return run.result(None, None, None, kind)
    ctx = run.phase("env", lambda: _context(env, env_file, context, allow_undefined,
                                            context_complete, _secrets(root, where, files)))
    root = run.phase("substitute", lambda: _substitute(root, ctx, run))
    flow_root = root if kind == "flow" else _as_flow(root)
    included = run.phase("includes", lambda: include_files(
        flow_root, where, files, lambda doc: _substitute_included(doc, ctx)))
    run.phase("check", lambda: (None, check(root, kind, substituted=True) + included.check()))
    resolved = run.phase("resolve", lambda: resolve(flow_root, included, path=path,
                                                    display=display, unknown_ok=not for_build))
    if resolved is None:
        return run.result(None, None, None, kind)
    unknown = [d.span for d in run.diagnostics if d.code == "FC417" and d.span is not None]
    run.rejected += unknown  # left unknown (--allow-undefined): the graph's checks skip them
    graph = run.phase("graph", lambda: build_graph(resolved))
    plan = None
    if graph is not None and run.clean() and not unknown:  # a plan needs those values
        plan = run.phase("plan", lambda: (make_plan(resolved, graph), []))
        run.phase("lower", lambda: (plan.servers, []))  # Plan.servers: compiler/lower.py
    return run.result(plan, resolved, graph, kind)


def load(path: str | os.PathLike, env: TMapping[str, str] | None = None,
         context: TMapping[str, Any] | None = None, **kw: Any) -> Plan:
    """The plan of a Flow file, or `DiagnosticError` carrying every diagnostic."""
    result = compile_flow(path, env=env, context=context, **kw)
    if result.plan is None:
        raise DiagnosticError(result.diagnostics or [])
    return result.plan


# --- phases that need a little glue -------------------------------------------------------------

def _load(files: Files, path: str | os.PathLike, display: str) -> tuple[Any, list[Diagnostic]]:
    document = files.load(Path(path).resolve(), display)
    return document, document.load_diags


def _secrets(root: Node, where: FileContext, files: Files) -> frozenset[str]:
    """Every `env_from_secret` name of the Flow: secret in the whole Flow (SPEC §2)."""
    return flow_secret_names(root, lambda text: files.deployment_root(text, where))


def _context(env: Any, env_file: Any, context: Any, allow_undefined: bool,
             context_complete: bool, secrets: frozenset[str]) -> tuple[Any, list]:
    values, diags = {}, []
    if env_file is not None:
        values, diags = parse_env_file(env_file)
    ctx = SubstitutionContext(env=dict(os.environ if env is None else env), env_file=values,
                              env_file_name=str(env_file) if env_file is not None else None,
                              context=dict(context or {}), allow_undefined=allow_undefined,
                              context_complete=context_complete, secrets=secrets)
    return ctx, diags


def _substitute(root: Node, ctx: SubstitutionContext, run: "_Run"
                ) -> tuple[Node, list[Diagnostic]]:
    """Substitution. Later phases leave a scalar whose substitution failed alone: its error is
    already reported."""
    new, diags = substitute(root, ctx)  # `ctx.secrets` stay runtime references
    if any(d.severity is Severity.ERROR for d in diags):
        run.rejected += failed_spans(new)
    return new, diags


def _substitute_included(root: Node, ctx: SubstitutionContext) -> tuple[Node, list[Diagnostic]]:
    """Substitution of a Deployment file: the Flow's context; its own secrets stay references too."""
    own = flow_secret_names(root, None)
    return substitute(root, ctx, deferred=lambda _path: own)


def _executor_modules(root: Node, where: FileContext) -> tuple[None, list[Diagnostic]]:
    """A lone Executor file's `py_modules` must exist, as when a Flow names the file (which Flow
    does is not known here, so no folder counts as outside its directory)."""
    if not isinstance(root, Mapping):
        return None, []
    alone = FileContext(where.display, where.directory, Path(where.directory.anchor))
    return None, executor_modules(root, alone)[1]


def _as_flow(root: Node) -> Mapping:
    """A lone Deployment file compiles as a Flow with that one entry. When it speaks HTTP or
    WebSocket (`protocol: [grpc, http]`), its protocols, ports and HTTP settings move to the
    gateway, which then answers on the Deployment's ports as Jina's Deployment would."""
    key = Scalar("executors", root.span)
    entry, gateway = _split_served(root)
    items: tuple = ((key, Sequence((entry,), root.span)),)
    if gateway is not None:
        items += ((Scalar("gateway", gateway.span), gateway),)
    return Mapping(items, root.span)


def _split_served(root: Node) -> tuple[Node, Mapping | None]:
    """(the entry without the keys its gateway serves, a `gateway:` of those keys) when the
    Deployment names a protocol other than gRPC, else (root, None)."""
    body = root.get("with") if isinstance(root, Mapping) else None
    if not isinstance(body, Mapping) or not speaks_web(body):
        return root, None
    kept = tuple((k, v) for k, v in body.items if str(k.value) not in SERVED_BY_GATEWAY)
    moved = tuple((k, v) for k, v in body.items if str(k.value) in SERVED_BY_GATEWAY)
    new_body = Mapping(kept, body.span, body.tag)
    entry = Mapping(tuple((k, new_body if str(k.value) == "with" else v) for k, v in root.items),
                    root.span, root.tag)
    return entry, Mapping(moved, body.span)


class _Run:
    """Collects diagnostics and timings; drops what an earlier error already covers."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.timings: dict[str, float] = {}
        self.rejected: list[Span] = []  # scalars an earlier error rejected whole

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    def clean(self) -> bool:
        return not self.errors()

    def phase(self, name: str, fn: Callable[[], tuple[Any, list[Diagnostic]]]) -> Any:
        start = time.perf_counter()
        earlier = self.errors()
        covering = [e.span for e in earlier if e.span is not None] + self.rejected
        try:
            value, diags = fn()
        except Exception:
            if not earlier:
                raise
            value, diags = None, []  # a consequence of input an earlier phase rejected
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start
        self.diagnostics += [d for d in diags if not _covered(d, covering)]
        return value

    def result(self, plan: Plan | None, resolved: ResolvedFlow | None, graph: FlowGraph | None,
               kind: str | None) -> CompileResult:
        return CompileResult(plan, resolved, graph, normalise(self.diagnostics), self.timings,
                             kind)


def _covered(diag: Diagnostic, covering: list[Span]) -> bool:
    """True when `diag` sits inside a span an earlier error covers (it would be a cascade)."""
    if diag.span is None:
        return False
    return any(span.line > 0 and _inside(diag.span, span)
               for span in covering)  # line 0: a value from the Python API, with no position


def _inside(inner: Span, outer: Span) -> bool:
    return (inner.file == outer.file
            and (inner.line, inner.col) >= (outer.line, outer.col)
            and (inner.end_line, inner.end_col) <= (outer.end_line, outer.end_col))


def base_dir_of(path: str | os.PathLike) -> Path:
    """The plan's base directory: the Flow file's directory."""
    return Path(path).resolve().parent
