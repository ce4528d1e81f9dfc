"""Golden snapshots of the human and json renderings of broken inputs (phase 1 diagnostics).

Each case is a folder under `golden/render/` holding `input.yml`; a `# error: FC1xx` comment
marks the line its diagnostic must be reported at (`# error: FC1xx (...)` only names the code,
for errors reported elsewhere, e.g. at the end of the file). `human.txt` and `diagnostics.json`
are the snapshots; `FLOWC_UPDATE_GOLDEN=1` rewrites them.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from flowc.compiler.loader import load_text
from flowc.compiler.render import render
from flowc.compiler.sources import SourceCache

try:
    from tests.golden import assert_golden
except ImportError:  # pytest run from another directory: load the helper by its path
    _spec = importlib.util.spec_from_file_location(
        "flowc_tests_golden", Path(__file__).resolve().parents[1] / "golden.py")
    _golden = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_golden)
    assert_golden = _golden.assert_golden

CASES_DIR = Path(__file__).parent / "golden" / "render"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "input.yml").exists())
EXPECT = re.compile(rb"# error: (FC\d{3})( \()?")


def run_case(case: str):
    data = (CASES_DIR / case / "input.yml").read_bytes()
    name = f"{case}/input.yml"
    node, diags = load_text(data, name)
    return data, diags, SourceCache({name: data})


def test_there_are_enough_cases():
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES)
def test_expectation_comments_match_the_diagnostics(case):
    data, diags, _ = run_case(case)
    expected = []
    for number, line in enumerate(data.split(b"\n"), 1):
        found = EXPECT.search(line)
        if found:
            expected.append((found.group(1).decode(), None if found.group(2) else number))
    assert expected, f"{case}/input.yml has no '# error: FC...' comment"
    for code, line in expected:
        matching = [d for d in diags if d.code == code and (line is None or d.span.line == line)]
        assert matching, f"no {code} at line {line} in {[(d.code, str(d.span)) for d in diags]}"
    assert sorted({d.code for d in diags}) == sorted({code for code, _ in expected})


@pytest.mark.parametrize("case", CASES)
def test_human_rendering_matches_the_snapshot(case):
    _, diags, sources = run_case(case)
    assert_golden(CASES_DIR / case / "human.txt", render(diags, "human", sources=sources))


@pytest.mark.parametrize("case", CASES)
def test_json_rendering_matches_the_snapshot(case):
    _, diags, sources = run_case(case)
    assert_golden(CASES_DIR / case / "diagnostics.json", render(diags, "json", sources=sources))


@pytest.mark.parametrize("case", CASES)
def test_renderings_are_byte_identical_across_runs(case):
    first = [render(run_case(case)[1], fmt, sources=run_case(case)[2])
             for fmt in ("human", "json", "github", "sarif")]
    second = [render(run_case(case)[1], fmt, sources=run_case(case)[2])
              for fmt in ("human", "json", "github", "sarif")]
    assert first == second
