"""Benchmark: `flowc build --target k8s` against Jina 3.34's `jina export kubernetes`.

Both run as whole processes (interpreter start-up included) on the same generated Flows: a chain
of N `docker://` executors. The median of `--repeat` runs is reported per tool and size, with the
ratio and the bars from issue 4 (≥ 6× faster for 1 executor, ≥ 7× for 100, 1,000 in ≤ 3 s).

    .venv/bin/python benchmarks/bench_build.py                     # sizes 1 100 1000, 5 runs
    .venv/bin/python benchmarks/bench_build.py --sizes 1 100 --repeat 3 --json out.json

Each tool gets one untimed warm-up run per size, so both run with a filled bytecode cache (in a
private PYTHONPYCACHEPREFIX folder), the way installed software runs; the tools take turns so both
see the same machine load. Jina runs inside a loopback-only network namespace with telemetry off and a pinned gateway image
(`make jina-ref`); it is skipped above `--jina-max` executors (default
100) since it takes minutes there. `--flowc-cmd` can point at another flowc executable.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the Jina reference: FLOWC_JINA_REF as in the tests, else `make jina-ref`'s environment
JINA_REF = Path(os.environ.get("FLOWC_JINA_REF", ROOT / ".venv" / "jina-ref"))
JINA = Path(os.environ.get("JINA_BIN", JINA_REF / "bin" / "jina"))
NETNS = Path(os.environ.get("JINA_NETNS", ROOT / "tests" / "jina" / "netns_run.sh"))
BARS = {1: ("ratio", 6.0), 100: ("ratio", 7.0), 1000: ("seconds", 3.0)}


def write_flow(folder: Path, n: int) -> Path:
    """A chain of n docker:// executors, the same file for both tools."""
    lines = ["jtype: Flow", "version: '1'", "with:", "  name: bench", "executors:"]
    for i in range(n):
        lines += [f"  - name: e{i}", f"    uses: docker://team/exec{i}:1.0"]
    path = folder / "flow.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(cmd[:6])} ...\n{result.stderr}")
    return elapsed


def flowc_cmd(args: argparse.Namespace, flow: Path, out: Path) -> list[str]:
    return [*args.flowc_cmd, "build", str(flow), "--target", "k8s", "-o", str(out),
            "--image", "team/flowc-gateway:0.1.0"]


def jina_cmd(flow: Path, out: Path) -> list[str]:
    return [str(NETNS), str(JINA), "export", "kubernetes", str(flow), str(out)]


def run_once(cmd: list[str], out: Path, flow: Path, env: dict[str, str]) -> float:
    shutil.rmtree(out, ignore_errors=True)
    elapsed = timed(cmd, env, flow.parent)
    shutil.rmtree(out, ignore_errors=True)
    return elapsed


def interleaved(commands: dict[str, tuple[list[str], Path]], flow: Path, repeat: int,
                env: dict[str, str]) -> dict[str, float]:
    """Median per tool, the tools taking turns so both see the same machine load."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd, out in commands.values():  # warm-up: fills the bytecode cache, not timed
        run_once(cmd, out, flow, env)
    for _ in range(repeat):
        for name, (cmd, out) in commands.items():
            times[name].append(run_once(cmd, out, flow, env))
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jina-max", type=int, default=100)
    parser.add_argument("--flowc-cmd", nargs="+",
                        default=[str(Path(sys.executable).parent / "flowc")])
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)

    have_jina = JINA.exists() and NETNS.exists()
    rows = []
    with tempfile.TemporaryDirectory(prefix="flowc-bench-") as tmp:
        # Both tools run with a bytecode cache, as installed software does; a private cache
        # folder keeps .pyc files out of the source tree even where PYTHONDONTWRITEBYTECODE is set.
        env = {**os.environ, "JINA_OPTOUT_TELEMETRY": "1",
               "JINA_GATEWAY_IMAGE": "jinaai/jina:3.34.0-py311-standard",
               "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for n in args.sizes:
            folder = Path(tmp) / f"chain-{n}"
            folder.mkdir()
            flow = write_flow(folder, n)
            out = folder / "out-flowc"
            commands = {"flowc": (flowc_cmd(args, flow, out), out)}
            if have_jina and n <= args.jina_max:
                commands["jina"] = (jina_cmd(flow, folder / "out-jina"), folder / "out-jina")
            medians = interleaved(commands, flow, args.repeat, env)
            flowc, jina = medians["flowc"], medians.get("jina")
            rows.append({"executors": n, "flowc_s": round(flowc, 4),
                         "jina_s": None if jina is None else round(jina, 4),
                         "ratio": None if jina is None else round(jina / flowc, 2)})

    print(f"`flowc build --target k8s` vs `jina export kubernetes`, median of {args.repeat} "
          f"runs, whole processes, {os.cpu_count()} CPUs\n")
    print("| executors | flowc (s) | jina 3.34 (s) | speed-up | bar | met |")
    print("|---:|---:|---:|---:|---|---|")
    failed = False
    for row in rows:
        kind, bar = BARS.get(row["executors"], (None, None))
        if kind == "ratio":
            met = row["ratio"] is not None and row["ratio"] >= bar
            bar_text = f"≥ {bar:g}×"
        elif kind == "seconds":
            met = row["flowc_s"] <= bar
            bar_text = f"≤ {bar:g} s"
        else:
            met, bar_text = True, "—"
        if kind == "ratio" and row["ratio"] is None:
            met, bar_text = False, bar_text + " (jina not run)"
        failed |= not met
        jina = "—" if row["jina_s"] is None else f"{row['jina_s']:.3f}"
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:.1f}×"
        print(f"| {row['executors']} | {row['flowc_s']:.3f} | {jina} | {ratio} | {bar_text} "
              f"| {'yes' if met else 'NO'} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
