"""Every diagnostic code the front end can emit is exercised by some golden corpus.

The union of the codes expected by the three golden corpora (`golden/render/` for the loader,
`golden/resolve_graph/` for resolve and graph, `corpus/` through the command line) must equal
the catalogue minus the codes listed below, each with the reason it is not in a corpus. A new
catalogue row therefore needs a broken input (or a stated reason) before this test passes.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from flowc.compiler.diagnostics import CATALOGUE

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("flowc_tests_corpus_runner",
                                               HERE / "test_corpus.py")
_corpus = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
if not hasattr(_corpus, "check_case"):  # dataclasses need the module registered to load it
    _spec.loader.exec_module(_corpus)

COMMENT = re.compile(r"# (?:error|warning): (FC\d{3})")
TARGET_TESTS = HERE.parents[0] / "targets"

# Codes no Flow file, option or command can produce, with the reason.
NOT_FROM_INPUT: dict[str, str] = {
    "FC702": "every target ships inside flowc; only an installation missing a target module "
             "(a packaging bug) reports it",
    "FC707": "the schema already refuses unknown `targets.k8s` keys (FC201 in the check "
             "phase), so the k8s target never sees one from a Flow file",
    "FC999": "an internal error is a bug in flowc, not a reaction to input; every corpus case "
             "asserts that it does not occur",
    "FC733": "retired: compose reports an env value mixing a secret with text as FC709",
    "FC747": "retired: systemd reports an env value mixing a secret with text as FC709",
}

# Target codes checked by the targets' own tests (cheap ones are also in `corpus/build_*`).
TARGET_ONLY: dict[str, str] = {
    code: "a target check on a valid plan, tested with the target in tests/targets"
    for code in ("FC706", "FC710", "FC711", "FC712", "FC713", "FC730", "FC731",
                 "FC741", "FC742", "FC743", "FC744", "FC745")
}


def _comment_codes(folder: Path) -> set[str]:
    codes: set[str] = set()
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".yml", ".yaml", ".env"):
            codes |= set(COMMENT.findall(path.read_bytes().decode("utf-8", "replace")))
    return codes


def exercised() -> set[str]:
    return (_comment_codes(HERE / "golden" / "render")
            | _comment_codes(HERE / "golden" / "resolve_graph")
            | _corpus.all_expected_codes())


def test_the_corpora_exercise_exactly_the_reachable_codes():
    reachable = set(CATALOGUE) - set(NOT_FROM_INPUT) - set(TARGET_ONLY)
    got = exercised()
    assert sorted(reachable - got) == [], "codes without a broken input"
    assert sorted(got - reachable) == [], "codes listed as unreachable but exercised"


def test_every_front_end_code_is_in_the_command_line_corpus():
    """FC1xx–FC5xx and FC9xx (but FC999) all go through `flowc` itself, exit codes included."""
    front_end = {c for c in CATALOGUE if c[2] in "123459"} - set(NOT_FROM_INPUT)
    assert sorted(front_end - _corpus.all_expected_codes()) == []


def test_the_listed_codes_exist_and_target_only_codes_are_tested_by_the_targets():
    assert set(NOT_FROM_INPUT) <= set(CATALOGUE)
    assert set(TARGET_ONLY) <= set(CATALOGUE)
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(TARGET_TESTS.rglob("*.py")))
    assert sorted(c for c in TARGET_ONLY if c not in text) == []
