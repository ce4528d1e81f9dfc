"""Shared by the `test_jina_*` modules: the Jina YAML forms of issue 11 kept in this folder.

Each YAML file carries its expectations beside the offending line (`# error: FC226`,
`# warning: FC220`); `marks` reads them and `found` turns a compilation's diagnostics into the
same shape, so a test compares the two sets: every expected diagnostic, at its line, and no other.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.flowc_cli import flowc  # noqa: F401 (the tests call forms.flowc)
from flowc.compiler.driver import CompileResult, compile_flow

FORMS = Path(__file__).resolve().parent
MARK = re.compile(r"# (error|warning): (FC\d{3})")

Found = set[tuple[str, str, str, int]]  # (severity, code, file name, line)


def marks(*paths: Path) -> Found:
    """The diagnostics the files' comments expect."""
    out: Found = set()
    for path in paths:
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            for severity, code in MARK.findall(line):
                out.add((severity, code, path.name, number))
    return out


def compile_file(path: Path, **kw) -> CompileResult:
    """`compile_flow` as `flowc validate` calls it (unknown values are warnings)."""
    return compile_flow(path, env={}, for_build=kw.pop("for_build", False), **kw)


def found(result: CompileResult) -> Found:
    return {(str(d.severity), d.code, Path(d.span.file).name if d.span else "", d.span.line
             if d.span else 0) for d in result.diagnostics}


