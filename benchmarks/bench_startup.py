"""Benchmark: where a cold `flowc validate` / `flowc build` spends its time, as users install it.

The development `.venv` holds flowc as an *editable* install, whose import finder (a `.pth` file
run by `site` at every start) costs about 13 ms per process. Users get a regular install, so this
script builds one — a copy of the sources `pip install`ed (no dependencies, no network) into a
temporary virtual environment that sees `.venv`'s dependencies through a `.pth` line — and
measures both. With a private `PYTHONPYCACHEPREFIX` and one untimed warm-up, bytecode is compiled
once, as an installed package's is.

It prints three markdown tables:

1. whole-process medians: bare interpreter, `flowc validate`, `flowc build --target k8s` of a
   1-executor `docker://` chain, for the editable and the regular install;
2. per phase inside one cold build: the same calls the CLI makes, timed in one process (the
   driver's own phase timings for the compile);
3. per top-level import (`python -X importtime` of the build, cumulative microseconds, summed
   per top-level package), the usual suspects first.

Then, with `--jina`, it runs `benchmarks/bench_build.py` with `--flowc-cmd` set to each regular
install, so the Jina comparison measures flowc as users install it. `--ref GITREF` adds a regular
install of that commit (`git archive`), for before/after figures in the same run.

    .venv/bin/python benchmarks/bench_startup.py                    # tables 1-3, 21 runs
    .venv/bin/python benchmarks/bench_startup.py --ref HEAD --jina --sizes 1 100 1000 --repeat 7
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
SOURCES = ("pyproject.toml", "README.md", "compiler", "schemas", "targets", "runtime")
BUILD = ["build", "{flow}", "--target", "k8s", "-o", "{out}", "--image", "team/gw:0.1.0"]


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def _copy_sources(src: Path, ref: str | None) -> None:
    """The working tree's sources, or those of git commit `ref` (read with `git archive`)."""
    src.mkdir()
    if ref is None:
        for name in SOURCES:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
            elif path.exists():
                shutil.copy2(path, src / name)
    else:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref],
                             check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=tar, check=True)
    if not (src / "README.md").exists() and (ROOT / "README.md").exists():
        shutil.copy2(ROOT / "README.md", src / "README.md")  # pyproject names it


def regular_install(tmp: Path, label: str, ref: str | None = None) -> Path:
    """A temporary venv with flowc installed the way `pip install .` does; returns its bin/."""
    src = tmp / f"src-{label}"
    _copy_sources(src, ref)
    venv = tmp / f"venv-{label}"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site_packages(venv) / "_flowc_deps.pth").write_text(f"{site_packages(VENV)}\n")
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "--python",
                    str(venv / "bin" / "python"), "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", str(src)],
                   check=True, cwd=tmp, capture_output=True)
    return venv / "bin"


def write_flow(folder: Path, n: int) -> Path:
    """The same chain of `docker://` executors as bench_build.py."""
    lines = ["jtype: Flow", "version: '1'", "with:", "  name: bench", "executors:"]
    for i in range(n):
        lines += [f"  - name: e{i}", f"    uses: docker://team/exec{i}:1.0"]
    path = folder / f"flow{n}.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def interleaved(cmds: dict[str, list[str]], env: dict[str, str], runs: int, cwd: Path,
                out: Path | None = None) -> dict[str, float]:
    """Median seconds per command; the commands take turns so they see the same machine load."""
    for cmd in cmds.values():  # warm-up: fills the bytecode cache, not timed
        subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, check=True)
    times: dict[str, list[float]] = {label: [] for label in cmds}
    for _ in range(runs):
        for label, cmd in cmds.items():
            if out is not None:
                shutil.rmtree(out, ignore_errors=True)
            start = time.perf_counter()
            subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, check=True)
            times[label].append(time.perf_counter() - start)
    return {label: statistics.median(t) for label, t in times.items()}


_PHASES = r"""
import sys, time
T = time.perf_counter
t = T(); laps = []
def lap(name):
    global t
    now = T(); laps.append((name, now - t)); t = now
from flowc.compiler import cli; lap("import flowc.compiler.cli (argparse, diagnostics, syntax)")
from flowc.compiler import driver; lap("import flowc.compiler.driver")
result = driver.compile_flow(sys.argv[1])
assert result.ok, result.diagnostics
compiled = T() - t
for name, seconds in result.timings.items():
    laps.append((f"compile: {name} (imports included)", seconds))
laps.append(("compile: the rest", compiled - sum(result.timings.values()))); t = T()
import flowc.targets as targets, jinja2; lap("import jinja2")
from flowc.targets import k8s; lap("import flowc.targets.k8s")
files, diags = targets.render("k8s", result.plan, {"image": "team/gw:0.1.0"}); lap("render k8s")
from flowc.compiler import output
from pathlib import Path
output.apply_files(Path(sys.argv[2]), files); lap("write files")
for name, seconds in laps:
    print(f"{name}\t{seconds * 1000:.2f}")
"""


def phases(python: Path, flow: Path, out: Path, env: dict[str, str], runs: int
           ) -> dict[str, float]:
    """Median milliseconds per phase of one in-process build (imports in CLI order)."""
    cmd = [str(python), "-c", _PHASES, str(flow), str(out)]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        out_text = subprocess.run(cmd, env=env, check=True, capture_output=True,
                                  text=True).stdout
        for line in out_text.splitlines():
            name, ms = line.split("\t")
            samples.setdefault(name, []).append(float(ms))
    return {name: statistics.median(v) for name, v in samples.items()}


def imports(flowc: Path, flow: Path, out: Path, env: dict[str, str], runs: int
            ) -> dict[str, float]:
    """Median cumulative import milliseconds per top-level package of a `flowc build`."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        cmd = [str(flowc.parent / "python"), "-X", "importtime", str(flowc),
               *[a.format(flow=flow, out=out) for a in BUILD]]
        err = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stderr
        totals: dict[str, float] = {}
        for line in err.splitlines():
            if not line.startswith("import time:") or "cumulative" in line:
                continue
            _, cumulative, name = line[len("import time:"):].split("|")
            if name.startswith("  "):
                continue  # nested: already inside its top-level import's cumulative time
            top = name.strip().split(".")[0]
            if top.startswith("__editable__"):
                top = "(editable-install finder)"
            elif top.startswith("_jinja2_module_templates_"):
                top = "(precompiled templates)"
            totals[top] = totals.get(top, 0.0) + int(cumulative) / 1000
        for top, ms in totals.items():
            samples.setdefault(top, []).append(ms)
    return {top: statistics.median(v) for top, v in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--jina", action="store_true", help="then run bench_build.py against "
                                                            "the regular install")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--repeat", type=int, default=7, help="bench_build.py's --repeat")
    parser.add_argument("--ref", metavar="GITREF", help="also measure a regular install of this "
                                                        "commit (e.g. HEAD: before your change)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="flowc-startup-") as name:
        tmp = Path(name)
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        installs = {"editable (.venv)": VENV / "bin",
                    "regular (pip install .)": regular_install(tmp, "tree")}
        if args.ref:
            installs[f"regular, `{args.ref}`"] = regular_install(tmp, "ref", args.ref)
        flow = write_flow(tmp, 1)
        out = tmp / "out"
        print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs; "
              f"median of {args.runs} runs\n")
        print("| install | `python -c pass` (ms) | `flowc validate` (ms) | `flowc build --target "
              "k8s`, 1 executor (ms) |")
        print("|---|---:|---:|---:|")
        build = [a.format(flow=flow, out=out) for a in BUILD]
        bare = interleaved({k: [str(b / "python"), "-c", "pass"] for k, b in installs.items()},
                           env, args.runs, tmp)
        validate = interleaved({k: [str(b / "flowc"), "validate", str(flow)]
                                for k, b in installs.items()}, env, args.runs, tmp)
        builds = interleaved({k: [str(b / "flowc"), *build] for k, b in installs.items()},
                             env, args.runs, tmp, out)
        for label in installs:
            print(f"| {label} | {bare[label] * 1000:.0f} | {validate[label] * 1000:.0f} "
                  f"| {builds[label] * 1000:.0f} |")

        regular = installs["regular (pip install .)"]
        print("\nPer phase of one cold build, regular install (ms, median):\n")
        print("| phase | ms |\n|---|---:|")
        for phase, ms in phases(regular / "python", flow, out, env, args.runs).items():
            print(f"| {phase} | {ms:.1f} |")

        print("\nImports of `flowc build --target k8s`, regular install, per top-level package "
              "(ms, `-X importtime` cumulative, which inflates each by its own bookkeeping):\n")
        print("| package | ms |\n|---|---:|")
        table = imports(regular / "flowc", flow, out, env, max(5, args.runs // 3))
        for top, ms in sorted(table.items(), key=lambda kv: -kv[1])[:20]:
            print(f"| {top} | {ms:.1f} |")
        print(f"| (total of all top-level imports) | {sum(table.values()):.1f} |")
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")
        print(f"command: .venv/bin/python benchmarks/bench_startup.py {' '.join(argv or sys.argv[1:])}")

        if args.jina:
            status = 0
            for label, bin_dir in installs.items():
                if label.startswith("editable"):
                    continue
                bench = [str(VENV / "bin" / "python"), str(ROOT / "benchmarks" / "bench_build.py"),
                         "--sizes", *map(str, args.sizes), "--repeat", str(args.repeat),
                         "--flowc-cmd", str(bin_dir / "flowc")]
                print(f"\n### {label}, load average {os.getloadavg()[0]:.2f}\n\n"
                      f"{' '.join(bench)}\n", flush=True)
                status |= subprocess.run(bench).returncode
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
