"""`Flow.plot`: the Flow's graph as `flowc graph` draws it (`drawing.py`), as Mermaid or
Graphviz DOT text, or as an image drawn by Graphviz's `dot` program when it is installed.

Jina's `plot` sends the Mermaid text to mermaid.ink and downloads the picture; flowc stays
offline. Without `dot`, asking for an image raises `GraphvizMissing` and writes nothing: the
text forms always work (paste Mermaid into any Markdown viewer that renders it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TextIO

from .drawing import to_dot, to_mermaid
from .plan import Plan

TEXT_FORMATS = {".mmd": "mermaid", ".mermaid": "mermaid", ".dot": "dot", ".gv": "dot"}
IMAGE_FORMATS = {".svg": "svg", ".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".pdf": "pdf"}
DOT_TIMEOUT_S = 60


class GraphvizMissing(RuntimeError):
    """An image was asked for and Graphviz's `dot` is not on PATH."""


def graph_text(plan: Plan, form: str, vertical: bool = False) -> str:
    """Mermaid (`form='mermaid'`) or DOT text of the plan's graph, left to right or top down."""
    if form == "mermaid":
        text = to_mermaid(plan)
        return text.replace("flowchart LR", "flowchart TD", 1) if vertical else text
    text = to_dot(plan)
    return text.replace("rankdir=LR;", "rankdir=TB;", 1) if vertical else text


def plot(plan: Plan, output: str | os.PathLike | None, *, vertical: bool = False,
         out: TextIO | None = None) -> None:
    """Print the Mermaid text (no `output`), or write `output` in the form its suffix names."""
    if output is None:
        (out or sys.stdout).write(graph_text(plan, "mermaid", vertical))
        return
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix in TEXT_FORMATS:
        path.write_text(graph_text(plan, TEXT_FORMATS[suffix], vertical), encoding="utf-8")
    elif suffix in IMAGE_FORMATS:
        path.write_bytes(draw(graph_text(plan, "dot", vertical), IMAGE_FORMATS[suffix]))
    else:
        known = sorted(TEXT_FORMATS) + sorted(IMAGE_FORMATS)
        raise ValueError(f"cannot plot to `{path.name}`: name a file ending in "
                         + ", ".join(known))


def draw(dot_text: str, fmt: str) -> bytes:
    """The image Graphviz's `dot -T<fmt>` draws from `dot_text`."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing(f"drawing a .{fmt} needs Graphviz's `dot` program, which is not "
                              f"installed (e.g. `apt-get install graphviz`); plot to a `.dot` "
                              f"or `.mmd` file instead, which needs nothing")
    proc = subprocess.run([program, f"-T{fmt}"], input=dot_text.encode("utf-8"),
                          capture_output=True, timeout=DOT_TIMEOUT_S, check=False)
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        raise RuntimeError(f"Graphviz's `dot -T{fmt}` failed: {reason}")
    return proc.stdout
