"""`flowc new executor|flow NAME`: write a new executor package or Flow project.

The files come from `flowc.targets.scaffold` (templates); this module decides where they go and
refuses to overwrite anything: the folder must not exist yet, or be empty.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, TextIO

from .diagnostics import CATALOGUE, Diagnostic, error
from .syntax import Span

GPUS = ("torch", "tf", "jax")


def add_parser(parser: argparse.ArgumentParser) -> None:
    """The `new` command's arguments."""
    parser.add_argument("kind", choices=("executor", "flow"),
                        help="an executor package, or a Flow project with one executor")
    parser.add_argument("name", metavar="NAME",
                        help="lower-case words joined by - or _ (the folder and entry name; "
                             "CamelCase for the class)")
    parser.add_argument("-o", "--output", metavar="DIR", default=".",
                        help="the folder that receives NAME/ (default: the current one)")
    parser.add_argument("--gpu", choices=GPUS, help="a GPU base image for the executor's "
                        "Dockerfile (default: CPU, Python 3.11)")
    parser.add_argument("--executor", metavar="NAME", default=None,
                        help="flow: the executor's name (default: NAME-executor)")


def cmd_new(args: argparse.Namespace, out: TextIO, err: TextIO,
            render: Callable[[list[Diagnostic]], str]) -> int:
    """Write the files; located problems (FC907) instead of overwriting anything."""
    # imported here: jinja2 and the templates are for `new` only
    from flowc.targets.scaffold import name_problem, render_executor, render_flow

    executor = args.executor or f"{args.name}-executor"
    for value in (args.name, executor):
        problem = name_problem(value)
        if problem:
            err.write(render([error("FC907", problem, None, hint="e.g. `flowc new flow search "
                                                                  "--executor text-encoder`")]))
            return 2
    if args.kind == "flow":
        files = render_flow(args.name, executor, args.gpu)
    else:
        if args.executor:
            err.write("flowc: --executor is for `flowc new flow`\n")
            return 2
        files = render_executor(args.name, args.gpu)
    folder = Path(args.output) / args.name
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        err.write(render([_refuse(folder)]))
        return 1
    try:
        for rel, text in sorted(files.items()):
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        err.write(render([error("FC904", f"cannot write {folder}: {exc.strerror or exc}", None,
                                hint=CATALOGUE["FC904"].default_hint)]))
        return 1
    out.write(f"wrote {len(files)} files to {folder}/\n")
    first = "flow.yml" if args.kind == "flow" else "config.yml"
    out.write(f"next: cd {folder} && flowc validate {first} && python -m pytest -q\n")
    return 0


def _refuse(folder: Path) -> Diagnostic:
    """FC907 at the first file already there (line 1: the file itself is the place)."""
    first = min((p for p in folder.rglob("*") if p.is_file()), default=None) \
        if folder.is_dir() else folder
    span = Span(str(first), 1, 1, 1, 1) if first is not None else None
    return error("FC907", f"`{folder}` already exists and is not empty; `flowc new` never "
                 "overwrites files", span, hint=CATALOGUE["FC907"].default_hint)
