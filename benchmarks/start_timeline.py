"""Where `flowc run`'s start-up goes (issue 13 §5): the steps of one start, in one process, as
`flowc run` takes them: the fork server started first, the Flow compiled meanwhile, then each
server forked (how long each fork request waited for the fork server: a long first wait means
the fork server's imports, not the compilation, were the longest path), then every server
SERVING.

    .venv/bin/python benchmarks/start_timeline.py [FLOW]   # default: the runtime benchmark's Flow

One cold start per run (a second start in the same process would find the compiler imported):
run it several times.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOW = ROOT / "benchmarks" / "flows" / "flowc" / "flow.yml"


def one_start(flow: Path) -> str:
    began = time.perf_counter()
    from flowc.runtime import forked  # timed: this is what `flowc run` does first

    forked.prestart()
    started = time.perf_counter() - began
    from flowc.compiler.driver import compile_flow  # timed too, as `flowc run` imports them
    from flowc.runtime.launcher import start  # after starting the fork server

    result = compile_flow(str(flow))
    compiled = time.perf_counter() - began
    waits: list[tuple[float, float]] = []
    spawn = forked.ForkServer.spawn

    def timed_spawn(self: forked.ForkServer, *args, **kwargs):  # type: ignore[no-untyped-def]
        at = time.perf_counter()
        child = spawn(self, *args, **kwargs)
        waits.append((at - began, time.perf_counter() - at))
        return child

    forked.ForkServer.spawn = timed_spawn  # type: ignore[method-assign]
    try:
        handle = start(result.plan, base_dir=flow.parent)
    finally:
        forked.ForkServer.spawn = spawn  # type: ignore[method-assign]
    serving = time.perf_counter() - began
    handle.stop()
    forks = ", ".join(f"{at:.3f} (+{took * 1000:.0f} ms)" for at, took in waits)
    return (f"fork server started {started:.3f} s; compiled {compiled:.3f} s; forks at {forks}; "
            f"all SERVING {serving:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("flow", nargs="?", type=Path, default=FLOW)
    args = parser.parse_args()
    os.environ.setdefault("BENCH_PORT", "45301")
    print(one_start(args.flow.resolve()))
    print(f"  (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")

if __name__ == "__main__":
    main()
