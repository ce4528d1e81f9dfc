"""Problems the broken-input corpus found in the front end and targets, as failing tests.

Each test states the behaviour a user should get; it fails today, so it is marked
`xfail(strict=True)` with the reason. When a fix lands the test passes, `strict` turns that into
a failure, and the marker must be removed: the finding then guards the fix. Inputs are written
to a temporary folder and run through the command line in-process, like the corpus.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("flowc_tests_corpus_runner",
                                               Path(__file__).parent / "test_corpus.py")
_corpus = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
if not hasattr(_corpus, "check_case"):  # dataclasses need the module registered to load it
    _spec.loader.exec_module(_corpus)


def run(tmp_path: Path, monkeypatch, files: dict[str, bytes | str], argv: list[str],
        env: dict[str, str] | None = None):
    """Write `files` into tmp_path/case and run `flowc ARGV` from tmp_path."""
    for name, text in files.items():
        path = tmp_path / "case" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    case = _corpus.Case("case", tmp_path, tmp_path / "case", env=dict(env or {}))
    return _corpus.run_cli(case, argv, monkeypatch)


def codes_at(text: str) -> set[tuple[str, str, int]]:
    return {(code, file, line) for _, code, file, line in _corpus.from_human(text)}


# --- cascades -------------------------------------------------------------------------------

@pytest.mark.parametrize("value, code", [
    ("${{ ENV.FLOWC_CORPUS_UNSET }}", "FC301"),
    ("${FLOWC_CORPUS_UNSET}", "FC301"),
    ("${{ ENV.FLOWC_CORPUS_UNSET:-[1,2] }}", "FC303"),
    ("${{ root }}", "FC305"),
])
def test_a_failed_substitution_is_reported_once(tmp_path, monkeypatch, value, code):
    flow = f"jtype: Flow\nexecutors:\n  - name: encoder\n    replicas: {value}\n"
    got = run(tmp_path, monkeypatch, {"flow.yml": flow}, ["validate", "case/flow.yml"])
    assert codes_at(got.out) == {(code, "case/flow.yml", 4)}


def test_a_malformed_uses_is_reported_once(tmp_path, monkeypatch):
    flow = "jtype: Flow\nexecutors:\n  - name: a\n    uses: ${{ ENV.FLOWC_CORPUS_U:-x.yml }}\n"
    got = run(tmp_path, monkeypatch, {"flow.yml": flow}, ["validate", "case/flow.yml"])
    assert codes_at(got.out) == {("FC303", "case/flow.yml", 4)}


def test_tag_and_jtype_conflict_is_reported_once(tmp_path, monkeypatch):
    flow = "!Flow\njtype: Deployment\nexecutors:\n  - name: encoder\n"
    got = run(tmp_path, monkeypatch, {"flow.yml": flow}, ["validate", "case/flow.yml"])
    assert codes_at(got.out) == {("FC208", "case/flow.yml", 2)}


def test_a_refused_context_file_does_not_cascade(tmp_path, monkeypatch):
    files = {"flow.yml": "jtype: Flow\nexecutors:\n  - name: a\n    uses_with:\n      t: ${{ TAG }}\n",
             "ctx.yml": "- TAG\n"}
    got = run(tmp_path, monkeypatch, files,
              ["validate", "case/flow.yml", "--context-file", "case/ctx.yml"])
    assert codes_at(got.out) == {("FC313", "case/ctx.yml", 1)}


# --- locations ------------------------------------------------------------------------------

def test_fc705_names_the_flow_file_given(tmp_path, monkeypatch):
    flow = "jtype: Flow\nexecutors:\n  - name: a\n    uses: docker://r.example/a:1.0\n"
    got = run(tmp_path, monkeypatch, {"flow.yml": flow},
              ["build", "case/flow.yml", "--target", "k8s", "-o", "case/out"])
    assert ("FC705", "case/flow.yml", 1) in codes_at(got.err)


def test_fc708_points_at_the_bad_label_key(tmp_path, monkeypatch):
    flow = ("jtype: Flow\nexecutors:\n  - name: a\n    uses: docker://r.example/a:1.0\n"
            "    targets:\n      k8s:\n        labels: {\"bad key!\": x}\n")
    got = run(tmp_path, monkeypatch, {"flow.yml": flow},
              ["build", "case/flow.yml", "--target", "k8s", "--image", "r.example/g:1.0",
               "-o", "case/out"])
    assert ("FC708", "case/flow.yml", 7) in codes_at(got.err)


@pytest.mark.parametrize("target, code", [("compose", "FC732"), ("systemd", "FC746")])
def test_target_env_problems_point_at_the_env_key(tmp_path, monkeypatch, target, code):
    flow = ("jtype: Flow\nexecutors:\n  - name: a\n    uses: A\n    py_modules: [a.py]\n"
            "    env:\n      1ST: x\n")
    image = ["--image", "r.example/g:1.0"] if target == "compose" else []
    got = run(tmp_path, monkeypatch, {"flow.yml": flow, "a.py": "# not imported\n"},
              ["build", "case/flow.yml", "--target", target, *image, "-o", "case/out"])
    assert (code, "case/flow.yml", 7) in codes_at(got.err)


# --- messages and hints ---------------------------------------------------------------------

def test_the_fc705_hint_can_be_followed(tmp_path, monkeypatch):
    flow = ("jtype: Flow\ngateway:\n  image: r.example/gateway:1.0\nexecutors:\n  - name: a\n"
            "    uses: docker://r.example/a:1.0\n")
    got = run(tmp_path, monkeypatch, {"flow.yml": flow},
              ["build", "case/flow.yml", "--target", "k8s", "-o", "case/out", "--check"])
    assert not {code for code, _, _ in codes_at(got.err)} & {"FC201", "FC705"}


def test_fc303_quotes_the_whole_form(tmp_path, monkeypatch):
    flow = ("jtype: Flow\nexecutors:\n  - name: a\n    uses_with:\n"
            "      x: ${{ ENV.FLOWC_CORPUS_Y:?set me }}\n")
    got = run(tmp_path, monkeypatch, {"flow.yml": flow}, ["validate", "case/flow.yml"])
    assert "`${{ ENV.FLOWC_CORPUS_Y:?set me }}`" in got.out


def test_fc304_counts_in_english(tmp_path, monkeypatch):
    flow = ("jtype: Flow\nexecutors:\n  - name: a\n    uses_with:\n"
            "      x: ${{ root.executors[2] }}\n")
    got = run(tmp_path, monkeypatch, {"flow.yml": flow}, ["validate", "case/flow.yml"])
    assert "FC304" in got.out and "1 items" not in got.out


def test_a_utf16_file_is_not_shown_as_mojibake(tmp_path, monkeypatch):
    data = "jtype: Flow\nexecutors:\n  - name: a\n".encode("utf-16")
    got = run(tmp_path, monkeypatch, {"flow.yml": data}, ["validate", "case/flow.yml"])
    assert "FC102" in got.out and "\ufffd" not in got.out


def test_a_huge_line_is_not_printed_whole(tmp_path, monkeypatch):
    data = b"jtype: Flow\nwith:\n  description: " + b"x" * (1024 * 1024 + 10) + b"\n"
    got = run(tmp_path, monkeypatch, {"flow.yml": data}, ["validate", "case/flow.yml"])
    assert "FC106" in got.out and len(got.out) < 10_000
