"""Old key names (issue 11 §1): the aliases Jina 3.34 still reads are accepted under their new
name with FC225, which gives the new spelling; the names Jina no longer reads are FC201 with a
hint naming the new key."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_jina_forms", Path(__file__).parent / "jina_forms" / "forms.py")
forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forms)

HERE = forms.FORMS / "deprecated"


@pytest.mark.parametrize("name", ["flow.yml", "gateway_port_in.yml", "renamed.yml", "pods.yml"])
def test_expected_diagnostics_at_their_lines(name):
    path = HERE / name
    assert forms.found(forms.compile_file(path)) == forms.marks(path)


def test_port_expose_is_the_gateways_port_and_host_in_the_host():
    result = forms.compile_file(HERE / "flow.yml", for_build=True)
    assert result.ok, result.diagnostics
    assert result.resolved.gateway.get("port") == 45678
    remote = next(e for e in result.resolved.entries if e.name == "remote")
    assert remote.get("host") == "10.0.0.5"
    ranker = next(e for e in result.resolved.entries if e.name == "ranker")
    assert ranker.get("port") is None  # the gateway's port is not passed down (SPEC §3)
    messages = sorted((d.message, d.hint) for d in result.diagnostics)
    assert messages == [
        ("`host_in` is a deprecated Jina alias of `host`; flowc reads it as `host`",
         "write `host` instead of `host_in`"),
        ("`port_expose` is a deprecated Jina alias of `port`; flowc reads it as `port`",
         "write `port` instead of `port_expose`")]


def test_port_in_in_the_gateway_section():
    result = forms.compile_file(HERE / "gateway_port_in.yml", for_build=True)
    assert result.resolved.gateway.get("port") == 45679
    assert result.resolved.gateway.get("host") == "127.0.0.1"


def test_a_key_and_its_deprecated_alias_together_is_fc404():
    result = forms.compile_file(HERE / "both.yml")
    assert sorted((d.code, d.span.line) for d in result.diagnostics) == [
        ("FC225", 4), ("FC404", 4)]


@pytest.mark.parametrize("key, new", [
    ("override_with", "`uses_with`"), ("override_metas", "`uses_metas`"),
    ("override_requests", "`uses_requests`"), ("https", "`tls`"), ("parallel", "`shards`")])
def test_names_jina_no_longer_reads_name_the_new_key(tmp_path, key, new):
    path = tmp_path / "flow.yml"
    path.write_text(f"jtype: Flow\nexecutors:\n  - name: a\n    {key}: 1\n")
    (diag,) = forms.compile_file(path).diagnostics
    assert (diag.code, diag.span.line, diag.span.col) == ("FC201", 4, 5)
    assert diag.hint.startswith(f"Jina renamed `{key}` to {new}")


def test_pods_hint_says_jina_drops_them():
    (diag,) = forms.compile_file(HERE / "pods.yml").diagnostics
    assert "Jina renamed `pods` to `executors`" in diag.hint
    assert "drops every executor" in diag.hint
