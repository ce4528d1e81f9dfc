"""The runtime's structure holds (issue 9 finding 3): no import cycle between its modules (lazy
imports inside functions count too), one server wiring, a client that never compiles, and a
`flowc run` stack that leaves printing and exit codes to the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
PACKAGE = "flowc.runtime"


def _modules() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted(RUNTIME.glob("*.py")) if path.stem != "__init__"}


def _imported(tree: ast.Module) -> set[str]:
    """Every module an `import` anywhere in `tree` names, absolute (relative ones resolved)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = f"{PACKAGE}.{node.module}" if node.level else (node.module or "")
            if node.level and node.module is None:
                names.update(f"{PACKAGE}.{alias.name}" for alias in node.names)
            else:
                names.add(base)
    return names


def test_no_import_cycle_between_runtime_modules():
    modules = _modules()
    graph = nx.DiGraph()
    for name, tree in modules.items():
        graph.add_node(name)
        for target in _imported(tree):
            short = target.removeprefix(f"{PACKAGE}.").split(".")[0]
            if target.startswith(f"{PACKAGE}.") and short in modules and short != name:
                graph.add_edge(name, short)
    cycles = list(nx.simple_cycles(graph))
    assert cycles == [], f"import cycles: {cycles}"


def test_one_server_wiring_for_gateway_head_and_worker():
    """Only server.py registers the Flowc service on a gRPC server; the three servers use it."""
    registering = sorted(name for name, tree in _modules().items()
                         if "add_FlowcServicer_to_server" in ast.dump(tree))
    assert registering == ["server"]
    for name in ("gateway", "head", "worker"):
        assert f"{PACKAGE}.server" in _imported(_modules()[name]), name


def test_the_client_never_imports_the_compiler():
    for name in ("client", "json_docs"):
        compiler = [m for m in _imported(_modules()[name]) if m.startswith("flowc.compiler")]
        assert compiler == [], (name, compiler)


def test_the_run_stack_does_not_print():
    """The supervisor's processes' lines go to the stream it is given; what `flowc run` says
    about the run, and its exit code, are the CLI's."""
    for name in ("launcher", "launch_plan", "supervisor", "restarter"):
        calls = [node for node in ast.walk(_modules()[name]) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Name) and node.func.id == "print"]
        assert calls == [], name
