"""`flowc migrate` on the command line: its options, and the command (diff, `--write`, `--check`).

Kept apart from `cli.py` (one module per command that has more than a few lines) and light to
import: building the parser must not load the compiler's phases.
"""

from __future__ import annotations

import argparse
from typing import Callable, TextIO

from .diagnostics import Diagnostic, has_errors, normalise

Render = Callable[[list[Diagnostic]], str]


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="Jina Flow, Deployment, Executor or "
                   "Gateway YAML files")
    p.add_argument("--map", action="append", default=[], metavar="NAME=TARGET",
                   help="a Hub executor's image (docker://registry/image:tag), Executor YAML or "
                        "class name (repeatable)")
    p.add_argument("--map-file", metavar="F", help="YAML mapping of Hub names to targets")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the files")
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 when a file needs migrating")


def cmd_migrate(args: argparse.Namespace, out: TextIO, err: TextIO, render: Render) -> int:
    """Exit 0 when done (or nothing to do), 1 when a file has a problem (left unchanged) or, with
    `--check`, needs migrating; 2 for a bad `--map`/`--map-file`."""
    from .migrate import migrate_file, parse_maps  # the driver's phases: `migrate` only

    maps, diags = parse_maps(args.map, args.map_file)
    if has_errors(diags):
        err.write(render(normalise(diags)))
        return 2
    status = 0
    for path in args.files:
        migration = migrate_file(path, maps)
        if migration.diagnostics:
            err.write(render(migration.diagnostics))
        if not migration.ok:
            status = 1
            continue
        if not migration.changed:
            err.write(f"flowc migrate: {path}: nothing to migrate\n")
            continue
        if args.write:
            try:
                migration.write()
            except OSError as exc:
                err.write(f"flowc migrate: cannot write {path}: {exc.strerror or exc}\n")
                status = 1
                continue
            err.write(f"flowc migrate: {path}: migrated ({len(migration.changes)} change(s))\n")
            continue
        out.write(migration.diff())
        if args.check:
            status = 1
            err.write(f"flowc migrate: {path} needs migrating: "
                      + "; ".join(migration.changes) + "\n")
    return status
