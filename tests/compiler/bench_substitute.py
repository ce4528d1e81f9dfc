"""Measure substitution (phase 3) on generated N-executor Flows; not a test (pytest skips it).

    .venv/bin/python tests/compiler/bench_substitute.py [N ...]

For each N: one variable in every entry, either the same text everywhere (`replicas:
${{ ENV.R }}`, parsed once) or a different text per entry (`host: h<i>-${{ ENV.HOST }}`, one
parse per entry). `first` includes importing lark and building (or loading the cached) parser.
"""

from __future__ import annotations

import gc
import sys
import time

from flowc.compiler.loader import load_text
from flowc.compiler.substitute import SubstitutionContext, substitute


def flow(n: int, unique: bool) -> str:
    lines = ["jtype: Flow", "executors:"]
    for i in range(n):
        lines += [f"  - name: e{i}", f"    uses: E{i}",
                  f"    host: h{i}-${{{{ ENV.HOST }}}}" if unique else "    replicas: ${{ ENV.R }}"]
    return "\n".join(lines)


def main(sizes: list[int]) -> None:
    ctx = SubstitutionContext(env={"R": "2", "HOST": "x"})
    for n in sizes:
        for unique in (False, True):
            root, _ = load_text(flow(n, unique), "bench.yml")
            gc.freeze()  # the loaded tree is long-lived: keep GC from rescanning it
            started = time.perf_counter()
            _, diags = substitute(root, ctx)
            first = time.perf_counter() - started
            started = time.perf_counter()
            substitute(root, ctx)
            again = time.perf_counter() - started
            assert not diags
            kind = "unique" if unique else "same"
            print(f"N={n:>6} {kind:6}  first {first * 1e3:7.1f} ms   again {again * 1e3:7.1f} ms")
            gc.unfreeze()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 100, 1000, 10000])
