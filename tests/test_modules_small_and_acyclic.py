"""The code of the four packages stays in small modules that import each other without a cycle.

Imports are read with `ast` from the source, not by importing it, so every import counts: at
module level, inside functions, and under `if TYPE_CHECKING:` (a cycle there is the same knot,
only hidden from the interpreter). Names are resolved as Python would: `from . import x` is an
edge to the module `x` when there is one, else to the package that defines the name. Imports
through `importlib.import_module` are not seen.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("compiler", "runtime", "targets", "schemas")  # each is `flowc.<folder>`
MAX_LINES = 600
GENERATED = ("_pb2.py", "_pb2_grpc.py")  # protobuf modules, made by runtime/proto/regenerate.sh


def _modules() -> dict[str, Path]:
    """{dotted name: file} of every module of the four packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(("flowc",) + parts)] = path
    return found


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that module `name` imports anywhere in its source."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                prefixes = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
                targets.update(next(([p] for p in prefixes if p in known), []))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                if f"{module}.{alias.name}" in known:
                    targets.add(f"{module}.{alias.name}")
                elif module in known:
                    targets.add(module)
    targets.discard(name)
    return targets


def test_the_module_list_is_read() -> None:
    modules = _modules()
    assert {"flowc.compiler.driver", "flowc.runtime.worker", "flowc.targets.k8s",
            "flowc.schemas"} <= set(modules)
    edges = _imported("flowc.compiler.check", modules["flowc.compiler.check"], set(modules))
    assert {"flowc.compiler.fastcheck", "flowc.compiler.diagnostics"} <= edges


def test_no_import_cycle_between_modules() -> None:
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        graph.add_edges_from((name, target) for target in _imported(name, path, set(modules)))
    knots = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            inner = sorted(f"{a} -> {b}" for a, b in graph.subgraph(component).edges)
            knots.append(f"{', '.join(sorted(component))}\n    " + "\n    ".join(inner))
    assert not knots, "import cycles:\n  " + "\n  ".join(sorted(knots))


def test_no_hand_written_module_is_over_600_lines() -> None:
    too_long = []
    for name, path in _modules().items():
        if path.name.endswith(GENERATED):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not too_long, f"modules over {MAX_LINES} lines (split them):\n  " + "\n  ".join(
        sorted(too_long))
