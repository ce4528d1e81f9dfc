"""Compiler benchmarks (issue 2, "Measured"); prints a markdown table to stdout.

1. Cold `flowc validate examples/chain/flow.yml` as a whole process, median of N runs, next to
   Jina 3.34 loading the same Flow (`Flow.load_config`) in its own virtual environment.
2. In one process: load + check + substitute + resolve + graph (+ plan) of generated flows with
   10 / 100 / 1,000 / 10,000 executors, each with a substituted variable.

Usage: .venv/bin/python benchmarks/bench_compiler.py [--runs 15] [--sizes 10,100,1000,10000]
       [--jina .venv/jina-ref/bin/python]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "chain" / "flow.yml"
# the Jina reference: FLOWC_JINA_REF as in the tests, else `make jina-ref`'s environment
JINA_REF = Path(os.environ.get("FLOWC_JINA_REF", ROOT / ".venv" / "jina-ref"))
DEFAULT_JINA = JINA_REF / "bin" / "python"


def time_process(argv: list[str], runs: int, cwd: Path, env: dict[str, str]
                 ) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (user + system) seconds of each run. CPU time is the fairer figure
    when other work shares the machine; wall-clock is what a user waits."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr}")
    return walls, cpus


def generated_flow(n: int) -> str:
    lines = ["jtype: Flow", "version: '1'", "with:", "  name: big", "  timeout_ready: 60000",
             "executors:"]
    for i in range(n):
        lines += [f"  - name: exec{i}", "    uses: docker://registry.example/passthrough:1.0",
                  "    replicas: ${{ ENV.REPLICAS }}", "    uses_with:",
                  f"      index: {i}", "      label: step-${{ ENV.LABEL }}"]
    return "\n".join(lines) + "\n"


def in_process(n: int, repeats: int) -> tuple[float, dict[str, float]]:
    from flowc.compiler.driver import compile_flow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flow.yml"
        path.write_text(generated_flow(n), encoding="utf-8")
        best, phases = float("inf"), {}
        for _ in range(repeats):
            start = time.perf_counter()
            result = compile_flow(path, env={"REPLICAS": "2", "LABEL": "x"})
            elapsed = time.perf_counter() - start
            if not result.ok or len(result.plan.deployments) != n:
                raise SystemExit(f"generated flow of {n} did not compile: "
                                 f"{result.diagnostics[:3]}")
            if elapsed < best:
                best, phases = elapsed, dict(result.timings)
        return best, phases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--jina", default=str(DEFAULT_JINA))
    args = parser.parse_args()

    # Bytecode is cached in a private folder, as installed software runs (PYTHONDONTWRITEBYTECODE
    # must go: any non-empty value, "0" included, disables writing, and with a prefix set the
    # standard library's shipped .pyc files are not used either).
    env = {**os.environ, "JINA_OPTOUT_TELEMETRY": "1",
           "PYTHONPYCACHEPREFIX": os.path.join(tempfile.gettempdir(), "pyc-bench-compiler")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    flowc = str(Path(sys.executable).with_name("flowc"))
    cwd = EXAMPLE.parent
    print(f"# flowc compiler benchmark ({os.cpu_count()} cores, Python "
          f"{sys.version.split()[0]})\n")
    print("## Cold start: validate examples/chain/flow.yml (whole process)\n")
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    print("| command | runs | median wall s | min wall s | max wall s | median CPU s |")
    print("|---|---|---|---|---|---|")
    rows = [("flowc validate flow.yml", [flowc, "validate", "flow.yml"])]
    if Path(args.jina).exists():
        rows.append(("jina 3.34 Flow.load_config('flow.yml')",
                     [args.jina, "-c", "from jina import Flow; Flow.load_config('flow.yml')"]))
    medians = {}
    for label, argv in rows:
        time_process(argv, 1, cwd, env)  # warm the file cache, not the interpreter
        times, cpus = time_process(argv, args.runs, cwd, env)
        medians[label] = statistics.median(times)
        print(f"| `{label}` | {args.runs} | {medians[label]:.3f} | {min(times):.3f} | "
              f"{max(times):.3f} | {statistics.median(cpus):.3f} |")
    if len(medians) == 2:
        a, b = medians.values()
        print(f"\nflowc is {b / a:.1f}x faster than Jina here.")

    print("\n## In process: load + check + substitute + resolve + graph + plan\n")
    print("| executors | seconds (best of 3) | per executor ms | load | check | substitute | "
          "resolve | graph | plan |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in [int(s) for s in args.sizes.split(",") if s]:
        seconds, phases = in_process(n, 3 if n <= 1000 else 1)
        cells = " | ".join(f"{phases.get(p, 0.0):.3f}" for p in
                           ("load", "check", "substitute", "resolve", "graph", "plan"))
        print(f"| {n:,} | {seconds:.3f} | {seconds / n * 1000:.3f} | {cells} |")
    print("\nCommand: `.venv/bin/python benchmarks/bench_compiler.py`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
