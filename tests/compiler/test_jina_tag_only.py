"""A document that is only a tag (`!DummySegment`, nothing else; issue 11 §2): FC227 at the tag,
alone or named by a Flow. Jina refuses it ("can not construct ... from ...")."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_jina_forms", Path(__file__).parent / "jina_forms" / "forms.py")
forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forms)

HERE = forms.FORMS / "tag_only"


def test_alone():
    (diag,) = forms.compile_file(HERE / "segment.yml").diagnostics
    assert (diag.code, str(diag.severity)) == ("FC227", "error")
    assert (diag.span.line, diag.span.col, diag.span.end_col) == (1, 1, 14)
    assert diag.message == ("the document is only the tag `!DummySegment`: there is nothing to "
                            "load (Jina refuses it too)")


def test_named_by_a_flow_is_reported_in_the_file_with_the_include_chain():
    (diag,) = forms.compile_file(HERE / "flow.yml").diagnostics
    assert diag.code == "FC227" and Path(diag.span.file).name == "segment.yml"
    assert [(Path(r.span.file).name, r.span.line) for r in diag.related] == [("flow.yml", 4)]


@pytest.mark.parametrize("text, col", [("--- !Flow\n", 5), ("!Deployment\n", 1)])
def test_after_a_document_marker_and_other_kinds(tmp_path, text, col):
    path = tmp_path / "only.yml"
    path.write_text(text)
    (diag,) = forms.compile_file(path).diagnostics
    assert (diag.code, diag.span.col) == ("FC227", col)


def test_a_tag_with_a_mapping_is_a_document(tmp_path):
    path = tmp_path / "segment.yml"
    path.write_text("!DummySegment {}\n")
    assert forms.compile_file(path).diagnostics == []


def test_validate_exits_1():
    code, out, _ = forms.flowc("validate", str(HERE / "segment.yml"))
    assert code == 1 and "error[FC227]" in out and "Traceback" not in out
