"""`uses:` left empty while the Executor's keys sit beside it (issue 11 §1): FC226 at `uses`,
naming the keys and the column they belong at, instead of "unknown key `jtype`". An empty `uses`
alone is Jina's base Executor, as in Jina."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_jina_forms", Path(__file__).parent / "jina_forms" / "forms.py")
forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forms)

HERE = forms.FORMS / "misindented_uses"


def test_flow_reports_fc226_only():
    path = HERE / "flow.yml"
    result = forms.compile_file(path)
    assert forms.found(result) == forms.marks(path)
    (diag,) = result.diagnostics
    assert diag.message == ("`uses` is empty, and `jtype`, `with` below it are at the "
                            "indentation of `uses`, so they belong to the entry, not to `uses`")
    assert (diag.span.line, diag.span.col, diag.span.end_col) == (6, 5, 9)
    assert [(r.span.line, r.label) for r in diag.related] == [
        (7, "probably meant under `uses:`"), (8, "probably meant under `uses:`")]
    assert "(to column 7)" in diag.hint


def test_deployment_file_and_uses_before():
    path = HERE / "deployment.yml"
    result = forms.compile_file(path)
    assert forms.found(result) == forms.marks(path)
    message = result.diagnostics[0].message
    assert "`metas` below it is at the indentation of `uses_before`" in message


def test_indented_correctly_it_is_an_inline_executor(tmp_path):
    text = (HERE / "flow.yml").read_text("utf-8").replace(
        "    jtype: Sentencizer\n    with:\n      punct_chars", "      jtype: Sentencizer\n"
        "      with:\n        punct_chars").replace("  # error: FC226", "")
    (tmp_path / "segmenter.py").write_text("")
    path = tmp_path / "flow.yml"
    path.write_text(text)
    result = forms.compile_file(path, for_build=True)
    assert result.ok, result.diagnostics
    segmenter, passthrough = result.plan.deployments
    assert (segmenter.executor.kind, segmenter.executor.jtype) == ("inline", "Sentencizer")
    assert (passthrough.executor.kind, passthrough.executor.jtype) == ("class", "Executor")


def test_an_explicit_null_is_not_misread(tmp_path):
    path = tmp_path / "flow.yml"
    path.write_text("jtype: Flow\nexecutors:\n  - name: a\n    uses: null\n    jtype: X\n")
    assert [d.code for d in forms.compile_file(path).diagnostics] == ["FC201"]
