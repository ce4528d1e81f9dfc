"""The `flowc` command line: a thin shell over the driver; the only code that prints or exits.

Exit codes: 0 clean, 1 errors (or warnings with `--strict`, or drift with `build --check`),
2 usage. Never a traceback: anything unexpected becomes FC999 with a hint to report it.
Targets and the runtime are imported inside their commands, so `flowc validate` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, Sequence, TextIO

import flowc.targets as targets
from flowc.schemas import schema_text
from flowc.targets import OPTIONS, TARGETS

from .diagnostics import CATALOGUE, Diagnostic, Severity, error, has_errors, normalise
from .syntax import Span

FORMATS = ("human", "json", "github", "sarif")

EXAMPLES = {
    "validate": "example:\n  flowc validate examples/chain/flow.yml --env-file .env --strict\n"
                "  flowc validate flows/*.yml --format github --allow-undefined",
    "explain": "example:\n  flowc explain examples/chain/flow.yml\n"
               "  flowc explain examples/chain/flow.yml --format json --context TAG=x",
    "graph": "example:\n  flowc graph examples/chain/flow.yml --format mermaid\n"
             "  flowc graph examples/chain/flow.yml --format dot | dot -Tsvg > flow.svg",
    "schema": "example:\n  flowc schema flow > flow.schema.json\n  flowc schema plan",
    "build": "example:\n  flowc build examples/chain/flow.yml --target k8s -o deploy/ "
             "--image registry.example/chain:1.0 --namespace search\n"
             "  flowc build examples/chain/flow.yml --target compose -o deploy/ --check",
    "run": "example:\n  flowc run examples/chain/flow.yml\n"
           "  flowc run examples/chain/flow.yml --in-process --port 54321\n"
           "  flowc run --plan build/local",
    "post": "example:\n  flowc post examples/chain/flow.yml --on /default --data '[\"hello\"]'\n"
            "  flowc post grpc://127.0.0.1:54321 --on /search --parameters '{\"top_k\": 3}'",
}


def _input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env-file", metavar="F", help="dotenv file filling variables the environment "
                                                   "lacks")
    p.add_argument("--context", metavar="K=V", action="append", default=[],
                   help="a context value for ${{ K }} (repeatable)")
    p.add_argument("--context-file", metavar="F", help="YAML or JSON mapping of context values")
    p.add_argument("--allow-undefined", action="store_true",
                   help="undefined variables are warnings (for CI without the real environment)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowc", description="Validate, explain and compile Jina-style Flow YAML.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="run `flowc COMMAND --help` for a command's options and an example")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES[name],
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    p = command("validate", "check Flow, Deployment and Executor files; report every problem")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--strict", action="store_true", help="warnings also fail (exit 1)")
    p.add_argument("--format", choices=FORMATS, default="human")
    p.add_argument("--timings", action="store_true", help="print time per phase to stderr")
    _input_options(p)

    p = command("explain", "show every resolved value and where it came from")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=("human", "json"), default="human")
    _input_options(p)

    p = command("graph", "draw the Flow's graph (offline)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    _input_options(p)

    p = command("schema", "print a JSON Schema (for editors and CI)")
    p.add_argument("name", nargs="?", default="flow",
                   choices=("flow", "executor", "deployment", "plan"))

    p = command("build", "compile a Flow into deployment files for a target")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--target", required=True, metavar="T", help="k8s, compose, systemd or local")
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    _target_options(p)
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 with a diff when DIR differs")
    _input_options(p)

    p = command("run", "run a Flow on this machine until Ctrl-C")
    p.add_argument("file", nargs="?", metavar="FILE")
    p.add_argument("--plan", metavar="DIR", help="run what `flowc build --target local` wrote")
    p.add_argument("--in-process", action="store_true", help="run executors inside the gateway process (sharded "
                   "entries keep their head and shards)")
    p.add_argument("--port", type=int, metavar="P", help="the gateway's port (with --plan: "
                   "instead of the one launch.json gives)")
    _input_options(p)

    p = command("post", "send one request to a running Flow")
    p.add_argument("target", metavar="ADDRESS_OR_FLOWFILE")
    p.add_argument("--on", required=True, metavar="/ENDPOINT")
    p.add_argument("--data", metavar="JSON", help="a JSON list of texts or document objects")
    p.add_argument("--parameters", metavar="JSON")
    p.add_argument("--request-size", type=int, default=100, metavar="N")
    return parser


def _target_options(p: argparse.ArgumentParser) -> None:
    """Every target's options (`flowc.targets.OPTIONS`), each help naming the targets that take
    it; `cmd_build` refuses one the chosen target does not take."""

    for key, option in OPTIONS.items():
        users = ", ".join(t for t, target in sorted(TARGETS.items()) if key in target.options)
        help_text = f"{users}: {option.help}"
        if option.kind is bool:
            p.add_argument(option.flag, dest=key, action="store_true", help=help_text)
        else:
            p.add_argument(option.flag, dest=key, type=option.kind, metavar=option.metavar,
                           choices=option.choices, help=help_text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `flowc` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return int(exc.code or 0)
    try:
        return COMMANDS[args.command](args, sys.stdout, sys.stderr)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # never a traceback
        diag = error("FC999", f"internal error: {type(exc).__name__}: {exc}", None,
                     hint=CATALOGUE["FC999"].default_hint)
        print(_render([diag], "human", sys.stderr), file=sys.stderr, end="")
        return 1


# --- helpers --------------------------------------------------------------------------------------

def _render(diags: list[Diagnostic], fmt: str, stream: TextIO, summary: bool = True) -> str:
    from . import render  # 5 ms that a clean explain/graph/schema/build skips

    color = fmt == "human" and stream.isatty() and "NO_COLOR" not in os.environ
    text = render.render(diags, fmt, color=color)
    if text and not text.endswith("\n"):
        text += "\n"
    if summary and fmt == "human" and diags:
        text += render.summary(diags) + "\n"
    return text


def _inputs(args: argparse.Namespace) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Keyword arguments for `compile_flow` from the shared input options."""
    from .envfile import load_context_file, parse_context_args  # 20 ms `schema` never needs

    context: dict[str, Any] = {}
    diags: list[Diagnostic] = []
    complete = True  # a refused context file leaves its names unknown, not each one undefined
    if getattr(args, "context_file", None):
        values, more = load_context_file(args.context_file)
        context.update(values or {})
        diags += more
        complete = not has_errors(more)
    if getattr(args, "context", None):
        values, more = parse_context_args(args.context)
        context.update(values or {})
        diags += more
    kw = {"env_file": getattr(args, "env_file", None), "context": context,
          "allow_undefined": getattr(args, "allow_undefined", False),
          "context_complete": complete}
    return kw, diags


def _compile(args: argparse.Namespace, path: str, err: TextIO, fmt: str = "human") -> Any:
    """Compile one file; print its diagnostics; None when it has errors."""
    from .driver import compile_flow  # 96 ms that `flowc schema` never needs

    kw, diags = _inputs(args)
    if any(d.severity is Severity.ERROR for d in diags):
        err.write(_render(diags, fmt, err))
        return None
    result = compile_flow(path, **kw)
    all_diags = normalise(diags + result.diagnostics)
    if all_diags:
        err.write(_render(all_diags, fmt, err))
    if not result.ok:
        return None
    if result.kind == "executor":
        err.write(f"flowc: {path} is an Executor file; this command needs a Flow or Deployment\n")
        return None
    return result


# --- commands -------------------------------------------------------------------------------------

def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .driver import compile_flow  # 96 ms that `flowc schema` never needs

    kw, diags = _inputs(args)
    inputs_failed = has_errors(diags)
    timings: dict[str, float] = {}
    clean: list[str] = []
    for path in args.files:
        result = compile_flow(path, **kw)
        diags += result.diagnostics
        for phase, seconds in result.timings.items():
            timings[phase] = timings.get(phase, 0.0) + seconds
        if not result.diagnostics and not inputs_failed:
            clean.append(path)
    diags = normalise(diags)
    if args.format == "human":
        out.write(_render(diags, "human", out))
        for path in clean:
            out.write(f"{path}: ok\n")
    else:
        out.write(_render(diags, args.format, out))
    if args.timings:
        for phase, seconds in timings.items():
            err.write(f"{phase:<11} {seconds * 1000:8.2f} ms\n")
        err.write(f"{'total':<11} {sum(timings.values()) * 1000:8.2f} ms\n")
    failing = {Severity.ERROR} | ({Severity.WARNING} if args.strict else set())
    return 1 if any(d.severity in failing for d in diags) else 0


def cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .explain import explain_json, explain_text  # 1.7 ms, `explain` only

    result = _compile(args, args.file, err)
    if result is None:
        return 1
    render = explain_json if args.format == "json" else explain_text
    out.write(render(result.resolved, result.graph))
    return 0


def cmd_graph(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .drawing import to_dot, to_mermaid  # 0.7 ms, `graph` only

    result = _compile(args, args.file, err)
    if result is None:
        return 1
    out.write((to_mermaid if args.format == "mermaid" else to_dot)(result.plan))
    return 0


def cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:

    out.write(schema_text(args.name))
    return 0


def cmd_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .output import NotOurs, apply_files, diff_files, foreign_files  # 1 ms, `build` only


    given = {key: getattr(args, key) for key in targets.OPTIONS}
    refused = targets.unsupported(args.target, given)
    if refused:  # a usage error, before compiling anything
        takes = [targets.OPTIONS[k].flag for k in targets.TARGETS[args.target].options]
        err.write(_render([error("FC905", f"the `{args.target}` target does not take "
                                 + ", ".join(f"`{flag}`" for flag in refused), None,
                                 hint="its options are " + ", ".join(f"`{f}`" for f in takes))],
                          "human", err))
        return 2
    result = _compile(args, args.file, err)
    if result is None:
        return 1

    outdir = Path(args.output)
    flow_dir = Path(args.file).resolve().parent
    options = {**given, "context": os.path.relpath(flow_dir, outdir.resolve())}
    try:  # the wheel and executors' files the output ships (read here: render does no I/O)
        from flowc.targets.buildinputs import gather  # 27 ms (wheel, zipfile), `build` only

        row = targets.TARGETS.get(args.target)
        options.update(gather(row.ships if row else (), result.plan, flow_dir, outdir))
    except OSError as exc:
        err.write(f"flowc build: error: cannot read `{exc.filename or ''}`, which the output "
                  f"ships: {exc.strerror or exc}\n")
        return 1
    files, diags = targets.render(args.target, result.plan, options)
    diags = _in_flow_dir(diags, args.file)
    if diags:
        err.write(_render(normalise(diags), "human", err))
    if any(d.severity is Severity.ERROR for d in diags):
        return 1
    clash = foreign_files(outdir, files)
    if clash:
        err.write(_not_ours(outdir, clash, err))
        return 1
    if args.check:
        diff = diff_files(outdir, files)
        if diff:
            out.write(diff)
            err.write(_render([error("FC903", f"`{outdir}` differs from what `flowc build` "
                                     f"generates", None,
                                     hint=CATALOGUE["FC903"].default_hint)], "human", err))
            return 1
        return 0
    try:
        written, removed = apply_files(outdir, files)
    except NotOurs as exc:  # appeared since the check above
        err.write(_not_ours(outdir, exc.names, err))
        return 1
    except OSError as exc:  # DIR is a file, or not writable
        reason = "it is a file" if outdir.exists() and not outdir.is_dir() else (
            f"{exc.strerror or exc}" + (f" (`{exc.filename}`)" if exc.filename else ""))
        err.write(_render([error("FC904", f"cannot write the output directory `{outdir}`: "
                                 f"{reason}", None,
                                 hint=CATALOGUE["FC904"].default_hint)], "human", err))
        return 1
    err.write(f"flowc: wrote {written} file(s) to {outdir}"
              + (f", removed {removed} stale file(s)" if removed else "") + "\n")
    return 0


def _not_ours(outdir: Path, names: Sequence[str], err: TextIO) -> str:
    """FC906 at each file a build would overwrite without having written it (line 1: the file
    itself is the place; nothing was written)."""

    return _render([error("FC906", f"`flowc build` would overwrite `{name}`, which no earlier "
                          f"build into `{outdir}` wrote",
                          Span(str(outdir / name), 1, 1, 1, 1),
                          hint=CATALOGUE["FC906"].default_hint) for name in names],
                   "human", err)


def _in_flow_dir(diags: Sequence[Diagnostic], flow_file: str) -> list[Diagnostic]:
    """A target names places relative to the Flow file's directory, as the plan does; put the
    folder the Flow file was named with back in front, so the places open from here."""
    folder = os.path.dirname(flow_file)
    if not folder:
        return list(diags)

    def moved(span: Any) -> Any:
        if span is None or not span.file or os.path.isabs(span.file):
            return span
        return dataclasses.replace(span, file=os.path.join(folder, span.file))

    return [dataclasses.replace(d, span=moved(d.span), related=tuple(
        dataclasses.replace(r, span=moved(r.span)) for r in d.related)) for d in diags]


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if bool(args.file) == bool(args.plan):
        err.write("flowc run: give a Flow FILE or --plan DIR (one of the two)\n")
        return 2
    if args.port is not None and not 1 <= args.port <= 65535:
        err.write(f"flowc run: --port {args.port} is not a TCP port (1 to 65535)\n")
        return 2
    # imported here: 47 ms (-X importtime) that every other command would pay
    from flowc.runtime.launcher import LaunchPlanError, prepare_run

    if args.plan:
        if args.in_process:
            err.write("flowc run: --in-process has no effect with --plan (the launch plan written "
                      "by `flowc build --target local` fixes the processes)\n")
        plan_dir = Path(args.plan)
        try:
            run = prepare_run(None, base_dir=plan_dir, plan_dir=plan_dir, port=args.port,
                              out=err)
        except LaunchPlanError as exc:
            err.write(f"flowc run: error: {exc}\n")
            return 1
    else:
        result = _compile(args, args.file, err)
        if result is None:
            return 1
        run = prepare_run(result.plan, base_dir=Path(args.file).resolve().parent,
                          in_process=args.in_process, port=args.port, compiled=result,
                          recompile=lambda: _compile(args, args.file, err),  # Flow `reload`
                          out=err)
    for note in run.notes:
        err.write(f"flowc run: {note}\n")
    err.flush()
    return _run_until_stopped(run, err)


def _run_until_stopped(run: Any, err: TextIO) -> int:
    """Start, say where the Flow serves, supervise until SIGINT/SIGTERM, stop everything."""
    from flowc.runtime.launcher import LaunchError  # imported by cmd_run already

    def on_signal(signum: int, _frame: object) -> None:
        run.request_stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            seconds = run.start()
        except LaunchError as exc:
            err.write(f"flowc run: error: {exc}\n")
            return 1
        if run.stop_requested.is_set():
            run.stop()
            return 0
        err.write(f"flowc run: {run.flow} is ready in {seconds:.2f} s at grpc://{run.address} "
                  "(Ctrl-C stops it)\n")
        err.flush()
        run.supervise()
        err.write("flowc run: stopping\n")
        err.flush()
        run.stop()
        return 0
    finally:
        run.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def cmd_post(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    address = args.target
    if args.target.endswith((".yml", ".yaml")) or os.path.isfile(args.target):
        result = _compile(args, args.target, err)  # a Flow file: its gateway's port
        if result is None:
            err.write("flowc post: cannot compile the Flow (above)\n")
            return 1
        if not result.plan.gateway.ports:
            err.write(f"flowc post: {args.target} sets no gateway port (`with: port:`); pass the "
                      "address `flowc run` printed instead\n")
            return 1
        address = f"127.0.0.1:{result.plan.gateway.ports[0]}"
    # imported here: 84 ms (-X importtime; grpc, protobuf) that every other command would pay
    from flowc.runtime.client import Client, FlowcRequestError, Response
    from flowc.runtime.json_docs import doc_json, read_inputs

    try:
        inputs = read_inputs(args.data)
        params = json.loads(args.parameters) if args.parameters else None
        if params is not None and not isinstance(params, dict):
            raise ValueError("--parameters must be a JSON object")
    except (ValueError, OSError) as exc:
        err.write(f"flowc post: {exc}\n")
        return 1
    failed = False

    def on_error(response: Response, error: FlowcRequestError) -> None:
        nonlocal failed
        failed = True
        err.write(f"flowc post: error: {error}\n")
        if error.stacks:
            err.write("".join(error.stacks).rstrip() + "\n")

    client = Client(address=address)
    try:
        responses = client.post(args.on, inputs, parameters=params,
                                request_size=args.request_size, return_responses=True,
                                on_error=on_error)
    except (ConnectionError, TimeoutError) as exc:
        err.write(f"flowc post: {exc}\n")
        return 1
    finally:
        client.close()
    for response in responses:
        for doc in response.docs:
            out.write(doc_json(doc) + "\n")
        results = response.parameters.get("__results__")
        if results:
            out.write(json.dumps({"__results__": results}, sort_keys=True) + "\n")
    return 1 if failed else 0


COMMANDS = {"validate": cmd_validate, "explain": cmd_explain, "graph": cmd_graph,
            "schema": cmd_schema, "build": cmd_build, "run": cmd_run, "post": cmd_post}


if __name__ == "__main__":
    sys.exit(main())
