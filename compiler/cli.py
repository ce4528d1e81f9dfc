"""The `flowc` command line: a thin shell over the driver; the only code that prints or exits.

Exit codes: 0 clean, 1 errors (or warnings with `--strict`, or drift with `build --check`),
2 usage. Never a traceback: anything unexpected becomes FC999 with a hint to report it.
Targets and the runtime are imported inside their commands, so `flowc validate` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path
from typing import Any, Sequence, TextIO

import flowc.targets as targets
from flowc.schemas.editor import published_text
from flowc.targets import OPTIONS, TARGETS

from . import cli_probe, cli_serve
from .diagnostics import CATALOGUE, Diagnostic, Severity, error, has_errors, normalise
from .migrate_cli import add_parser as migrate_options
from .migrate_cli import cmd_migrate as migrate
from .syntax import Span
from .target_files import render_target

FORMATS = ("human", "json", "github", "sarif")
FORMAT_HELP = ("human (default), json (docs/diagnostics-json.md), github (workflow annotations) "
               "or sarif (code scanning)")

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
    "new": "example:\n  flowc new executor text-encoder --gpu torch\n"
           "  flowc new flow search --executor text-encoder -o projects/",
    "migrate": "example:\n  flowc migrate flow.yml --map Clip=docker://registry.example/clip:1.0\n"
               "  flowc migrate flows/*.yml --map-file hub-images.yml --write\n"
               "  flowc migrate flow.yml --check   # CI: exit 1 when a migration is needed",
    "post": "example:\n  flowc post examples/chain/flow.yml --on /default --data '[\"hello\"]'\n"
            "  flowc post grpc://127.0.0.1:54321 --on /search --parameters '{\"top_k\": 3}'",
    **cli_probe.EXAMPLES,
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
    parser.add_argument("--version", action="version", version=f"flowc {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES[name],
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    p = command("validate", "check Flow, Deployment and Executor files; report every problem")
    p.add_argument("files", nargs="+", metavar="FILE", help="Flow, Deployment or Executor YAML "
                   "files (each checked with the files it names)")
    p.add_argument("--strict", action="store_true", help="warnings also fail (exit 1)")
    p.add_argument("--format", choices=FORMATS, default="human", help=FORMAT_HELP)
    p.add_argument("--timings", action="store_true", help="print time per phase to stderr")
    _input_options(p)

    p = command("explain", "show every resolved value and where it came from")
    p.add_argument("file", metavar="FILE", help="a Flow or Deployment YAML file")
    p.add_argument("--format", choices=("human", "json"), default="human",
                   help="human: one line per value; json: docs/explain-json.md")
    _input_options(p)

    p = command("graph", "draw the Flow's graph (offline)")
    p.add_argument("file", metavar="FILE", help="a Flow or Deployment YAML file")
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid",
                   help="mermaid (Markdown renders it) or dot (Graphviz)")
    _input_options(p)

    p = command("schema", "print a JSON Schema (for editors and CI)")
    p.add_argument("name", nargs="?", default="flow", help="which document's schema (default "
                   "flow); printed whole, referring to no other file",
                   choices=("flow", "executor", "deployment", "gateway", "plan"))

    p = command("build", "compile a Flow into deployment files for a target")
    p.add_argument("file", metavar="FILE", help="a Flow or Deployment YAML file")
    p.add_argument("--target", required=True, metavar="T", help="k8s, compose, systemd or local")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="where the files go (created when missing; flowc replaces only the "
                        "files an earlier build there wrote)")
    _target_options(p)
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 with a diff when DIR differs")
    p.add_argument("--format", choices=FORMATS, default="human", help=FORMAT_HELP + "; with "
                   "--check and a format other than human, one FC903 per differing file, on "
                   "stdout, instead of the diff")
    _input_options(p)

    p = command("run", "run a Flow on this machine until Ctrl-C")
    p.add_argument("file", nargs="?", metavar="FILE", help="a Flow or Deployment YAML file")
    p.add_argument("--plan", metavar="DIR", help="run what `flowc build --target local` wrote")
    p.add_argument("--in-process", action="store_true", help="run executors inside the gateway process (sharded "
                   "entries keep their head and shards)")
    p.add_argument("--port", type=int, metavar="P", help="the gateway's port (with --plan: "
                   "instead of the one launch.json gives)")
    _input_options(p)

    p = command("migrate", "rewrite a Jina Flow into one flowc accepts (prints a diff)")
    migrate_options(p)

    p = command("post", "send one request to a running Flow")
    p.add_argument("target", metavar="ADDRESS_OR_FLOWFILE", help="HOST:PORT (or "
                   "grpc://HOST:PORT), or a Flow file: the address `flowc run` serves it at")
    p.add_argument("--on", required=True, metavar="/ENDPOINT", help="the endpoint, e.g. /search")
    p.add_argument("--data", metavar="JSON", help="a JSON list of texts or document objects "
                   "(@FILE reads a file, - stdin)")
    p.add_argument("--parameters", metavar="JSON", help="a JSON object every executor receives "
                   "as `parameters`")
    p.add_argument("--request-size", type=int, default=100, metavar="N",
                   help="documents per request (default 100)")
    p.add_argument("--wait", type=float, default=10.0, metavar="SECONDS",
                   help="with a Flow file: how long to wait for it to serve (default 10), e.g. "
                        "just after `flowc run flow.yml &`")
    _input_options(p)  # a Flow file as the target is compiled to find its address
    p.add_argument("--stream", action="store_true", help="a streaming endpoint: send the one "
                   "document of --data and print each document it streams back as it comes")

    cli_probe.add_parsers(command, _input_options)  # `flowc endpoints`, `flowc ping`

    p = command("new", "write a new executor package or Flow project (offline)")
    from .newproject import add_parser as new_options  # small: no jinja2, no templates
    new_options(p)
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


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # `--version` only

    try:
        return version("flowc")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _unknown_command(argv: Sequence[str], err: TextIO) -> bool:
    """`flowc biuld ...`: say which command was meant (argparse lists every choice instead)."""
    from difflib import get_close_matches  # only when the first word is not a command

    word = next((a for a in argv if not a.startswith("-")), None)
    if word is None or word in COMMANDS or (argv and argv[0].startswith("-")):
        return False
    close = get_close_matches(word, sorted(COMMANDS), n=1, cutoff=0.6)
    guess = f"; did you mean `flowc {close[0]}`?" if close else ""
    err.write(f"flowc: unknown command `{word}`{guess}\n"
              f"flowc: the commands are {', '.join(sorted(COMMANDS))} (`flowc --help`)\n")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `flowc` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] != ["run"]:
        return _main(argv)
    from flowc.runtime import forked  # standard library only (runtime/forked.py)

    forked.prestart()  # its imports overlap the parsing and compiling
    try:
        return _main(argv)
    finally:
        forked.discard()  # when no run took it (an error before the start)


def _main(argv: list[str]) -> int:
    if _unknown_command(argv, sys.stderr):
        return 2
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
    if result.kind in ("executor", "gateway"):
        word = "an Executor" if result.kind == "executor" else "a Gateway"
        err.write(f"flowc: {path} is {word} file; this command needs a Flow or Deployment\n")
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
        result = compile_flow(path, **kw, for_build=False)  # unknown values: FC417 warnings
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

    out.write(published_text(args.name))
    return 0


def cmd_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .output import NotOurs, apply_files, foreign_files  # 1 ms, `build` only


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
    try:  # the wheel and executors' files the output ships (read here: render does no I/O)
        files, diags = render_target(result.plan, args.target, flow_dir, outdir, given)
    except OSError as exc:
        err.write(f"flowc build: error: cannot read `{exc.filename or ''}`, which the output "
                  f"ships: {exc.strerror or exc}\n")
        return 1
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
        return _check_output(outdir, files, args.format, out, err)
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
    unchanged = len(files) - written
    err.write(f"flowc: wrote {written} file(s) to {outdir}"
              + (f", {unchanged} unchanged" if unchanged else "")
              + (f", removed {removed} stale file(s)" if removed else "") + "\n")
    return 0


def _check_output(outdir: Path, files: dict[str, str | bytes], fmt: str, out: TextIO,
                  err: TextIO) -> int:
    """`build --check`: 0 when `outdir` holds what the build generates; else 1 with a diff
    (human) or one FC903 per differing file (json, github, sarif: for CI annotations)."""
    from .output import MANIFEST, diff_files, differing_files  # 1 ms, `build --check` only

    if fmt == "human":
        diff = diff_files(outdir, files)
        if diff:
            out.write(diff)
            err.write(_render([error("FC903", f"`{outdir}` differs from what `flowc build` "
                                     f"generates", None,
                                     hint=CATALOGUE["FC903"].default_hint)], "human", err))
        return 1 if diff else 0
    names = differing_files(outdir, files)
    generated = set(files) | {MANIFEST}
    diags = [error("FC903", _drift(outdir, name, generated), Span(
                       str(outdir / name), 1, 1, 1, 1), hint=CATALOGUE["FC903"].default_hint)
             for name in names]
    out.write(_render(diags, fmt, out, summary=False))
    return 1 if diags else 0


def _drift(outdir: Path, name: str, generated: set[str]) -> str:
    if not (outdir / name).is_file():
        return f"`{name}` is missing"
    if name in generated:
        return f"`{name}` differs from what `flowc build` generates"
    return f"`{name}` is no longer generated (a build removes it)"


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
    return cli_serve.run(args, out, err, _compile)


def cmd_post(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    return cli_serve.post(args, out, err, _compile)


def cmd_new(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .newproject import cmd_new as new  # jinja2 and the templates: `new` only

    return new(args, out, err, lambda diags: _render(diags, "human", err))


def cmd_migrate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    return migrate(args, out, err, lambda diags: _render(diags, "human", err))


def cmd_probe(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`flowc endpoints` and `flowc ping` (cli_probe.py)."""
    return cli_probe.run(args, out, err, _compile)


COMMANDS = {"validate": cmd_validate, "explain": cmd_explain, "graph": cmd_graph,
            "schema": cmd_schema, "build": cmd_build, "run": cmd_run, "post": cmd_post,
            "migrate": cmd_migrate, "endpoints": cmd_probe, "ping": cmd_probe,
            "new": cmd_new}


if __name__ == "__main__":
    sys.exit(main())
