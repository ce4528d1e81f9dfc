"""Golden corpus of broken Flows for phases 4–5 (FC4xx, FC5xx) and a mix of phases.

Each case is a folder under `golden/resolve_graph/` with a `flow.yml` (and the files it names);
a `# error: FCxxx` / `# warning: FCxxx` comment marks the line its diagnostic must be reported at,
in whichever file of the case it belongs. `human.txt` and `diagnostics.json` are the snapshots;
`FLOWC_UPDATE_GOLDEN=1` rewrites them.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from flowc.compiler.diagnostics import CATALOGUE
from flowc.compiler.driver import compile_flow
from flowc.compiler.render import render
from flowc.compiler.sources import SourceCache

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_golden_d", Path(__file__).resolve().parents[1] / "golden.py")
_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_golden)
assert_golden = _golden.assert_golden

CASES_DIR = Path(__file__).parent / "golden" / "resolve_graph"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "flow.yml").exists())
EXPECT = re.compile(r"# (error|warning): (FC\d{3})")


# Cases that need `compile_flow` options name them in a file `options.json` beside flow.yml.
def run_case(case: str):
    folder = CASES_DIR / case
    options = folder / "options.json"
    kw = json.loads(options.read_text("utf-8")) if options.exists() else {}
    result = compile_flow(folder / "flow.yml", env={}, display_name=f"{case}/flow.yml", **kw)
    sources = SourceCache({f"{case}/{p.relative_to(folder).as_posix()}": p.read_bytes()
                           for p in folder.rglob("*.yml")})
    return result, sources


def expected(case: str) -> set[tuple[str, str, str, int]]:
    folder = CASES_DIR / case
    out = set()
    for path in folder.rglob("*.yml"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for found in EXPECT.finditer(line):
                out.add((found.group(2), found.group(1),
                         f"{case}/{path.relative_to(folder).as_posix()}", number))
    return out


def test_every_resolve_and_graph_code_has_a_case():
    covered = {code for case in CASES for code, *_ in expected(case)}
    wanted = {c for c in CATALOGUE if c.startswith(("FC4", "FC5"))}
    assert wanted <= covered, sorted(wanted - covered)


@pytest.mark.parametrize("case", CASES)
def test_diagnostics_are_where_the_comments_say(case):
    result, _ = run_case(case)
    got = {(d.code, str(d.severity), d.span.file, d.span.line) for d in result.diagnostics}
    assert got == expected(case)
    assert result.plan is None or not any(s == "error" for _, s, _, _ in expected(case))


@pytest.mark.parametrize("case", CASES)
def test_human_rendering_matches_the_snapshot(case):
    result, sources = run_case(case)
    assert_golden(CASES_DIR / case / "human.txt",
                  render(result.diagnostics, "human", sources=sources))


@pytest.mark.parametrize("case", CASES)
def test_json_rendering_matches_the_snapshot(case):
    result, sources = run_case(case)
    assert_golden(CASES_DIR / case / "diagnostics.json",
                  render(result.diagnostics, "json", sources=sources))
