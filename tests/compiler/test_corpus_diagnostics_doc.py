"""docs/diagnostics.md is generated from the catalogue and the corpora, and is up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flowc.compiler.diagnostics import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("flowc_docs_gen_diagnostics",
                                               ROOT / "docs" / "gen_diagnostics.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def test_the_committed_page_is_up_to_date():
    committed = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert committed == gen.render_doc(), "run: python docs/gen_diagnostics.py"


def test_every_code_has_a_section_with_its_title_and_hint():
    text = gen.render_doc()
    for code, row in CATALOGUE.items():
        section = text.split(f"\n## {code}\n", 1)[1].split("\n## ", 1)[0]
        assert row.title in section
        assert row.default_hint is None or row.default_hint in section


def test_examples_are_real_output_of_that_code():
    examples = gen._examples()
    assert {"FC101", "FC201", "FC301", "FC401", "FC501", "FC903"} <= set(examples)
    for code, (case, lines) in examples.items():
        assert f"[{code}]: " in lines[0]
        assert (ROOT / case / "human.txt").read_text(encoding="utf-8").count(lines[0]) >= 1


def test_check_mode_reports_drift(tmp_path, monkeypatch):
    stale = tmp_path / "diagnostics.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(gen, "OUTPUT", stale)
    monkeypatch.setattr(gen, "ROOT", tmp_path.parent)
    assert gen.main(["--check"]) == 1
    assert stale.read_text(encoding="utf-8") == "# old\n"
