"""`flowc` run in-process for the tests: (exit code, stdout, stderr). Not a test module."""

from __future__ import annotations

import contextlib
import io

from flowc.compiler import cli


def flowc(*argv: str) -> tuple[int, str, str]:
    """The command line with `argv`, its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()
