"""The corpus findings fixed in their shared mechanisms, checked beyond the corpus's own cases.

Each test targets the mechanism, not the one input the corpus found: failed substitutions are
marked and left alone by every later check (Flow and Deployment files), a refused context
source does not cascade, a tag/jtype conflict is checked by the document's sections, encodings
are recognised once for the loader and the renderer, long lines are shown as a window, and the
plan carries where target-validated keys were written.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from flowc.compiler.check import detect_kind
from flowc.compiler.diagnostics import Severity, error
from flowc.compiler.driver import compile_flow
from flowc.compiler.loader import load_text
from flowc.compiler.plan import Plan
from flowc.compiler.render import MAX_SHOWN, render
from flowc.compiler.sources import SourceCache, text_encoding
from flowc.compiler.substitute import SubstitutionContext, substitute
from flowc.compiler.syntax import Span, State
from flowc.targets import render as render_target
from flowc.targets.locations import entry_span, env_span, gateway_span


def compile_text(tmp_path: Path, text: str, files: dict[str, str] | None = None, **kw):
    for name, body in (files or {}).items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    flow = tmp_path / "flow.yml"
    flow.write_text(text, encoding="utf-8")
    return compile_flow(flow, display_name="flow.yml", env=kw.pop("env", {}), **kw)


def codes(result) -> list[tuple[str, int]]:
    return sorted((d.code, d.span.line if d.span else 0) for d in result.diagnostics)


# --- failed substitutions ----------------------------------------------------------------------

def test_a_failed_scalar_is_marked_and_not_checked():
    root, _ = load_text("replicas: ${{ ENV.NOPE }}\nport: ${{ ENV.P }}\n", "f.yml")
    new, diags = substitute(root, SubstitutionContext(env={"P": "80"}))
    assert [d.code for d in diags] == ["FC301"]
    replicas = new.get("replicas")
    assert replicas.state is State.FAILED and replicas.value == "${{ ENV.NOPE }}"
    assert not replicas.known and new.get("port").state is State.SUBSTITUTED


def test_a_reference_to_a_failed_value_fails_once(tmp_path):
    result = compile_text(tmp_path, "jtype: Flow\nwith:\n  port: ${{ ENV.NOPE }}\n"
                          "executors:\n  - name: a\n    replicas: ${{ root.with.port }}\n")
    assert codes(result) == [("FC301", 3)]


def test_a_failed_uses_with_text_around_the_form_is_reported_once(tmp_path):
    # the FC302 span is only the form; the driver still leaves the whole scalar alone
    result = compile_text(tmp_path, "jtype: Flow\nexecutors:\n  - name: a\n"
                          "    uses: ${EXE:?name the executor}.yml\n")
    assert codes(result) == [("FC302", 4)]


def test_a_failed_substitution_in_a_deployment_file_is_reported_once(tmp_path):
    dep = ("jtype: Deployment\nwith:\n  name: a\n  replicas: ${{ ENV.NOPE }}\n"
           "  uses: ${{ ENV.U:-x.yml }}\n")
    result = compile_text(tmp_path, "jtype: Flow\nexecutors:\n  - dep.yml\n",
                          files={"dep.yml": dep})
    got = sorted((d.code, d.span.file, d.span.line) for d in result.diagnostics)
    assert got == [("FC301", "dep.yml", 4), ("FC303", "dep.yml", 5)]


def test_a_literal_dollar_is_still_type_checked(tmp_path):
    result = compile_text(tmp_path, "jtype: Flow\nexecutors:\n  - name: a\n    replicas: $$3\n")
    assert codes(result) == [("FC202", 4)]


# --- a refused context source ------------------------------------------------------------------

def test_an_incomplete_context_leaves_context_names_unknown(tmp_path):
    text = ("jtype: Flow\nexecutors:\n  - name: a\n    uses_with:\n      t: ${{ TAG }}\n"
            "      u: ${{ CONTEXT.OTHER }}\n      e: ${{ ENV.NOPE }}\n")
    assert codes(compile_text(tmp_path, text)) == [("FC301", 5), ("FC301", 6), ("FC301", 7)]
    result = compile_text(tmp_path, text, context_complete=False)
    assert codes(result) == [("FC301", 7)]  # an environment variable is still required


def test_an_incomplete_context_still_uses_what_it_has(tmp_path):
    text = "jtype: Flow\nexecutors:\n  - name: a\n    replicas: ${{ R }}\n"
    result = compile_text(tmp_path, text, context={"R": 2}, context_complete=False)
    assert result.ok and result.plan.deployments[0].replicas == 2


# --- tag and jtype ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind", [
    ("!Flow\njtype: Deployment\nexecutors: []\n", "flow"),
    ("!Deployment\njtype: Flow\nwith: {name: a}\n", "flow"),
    ("!Flow\njtype: Deployment\nwith: {name: a}\n", "deployment"),
    ("!Flow\njtype: MyExec\nrequests: {/a: f}\n", "executor"),
    ("!Deployment\njtype: Deployment\nwith: {name: a}\n", "deployment"),
])
def test_a_conflicting_tag_is_decided_by_the_sections(text, kind):
    root, _ = load_text(text, "f.yml")
    assert detect_kind(root) == kind


def test_a_conflicting_tag_gives_one_error_whatever_the_sections(tmp_path):
    result = compile_text(tmp_path, "!Deployment\njtype: Flow\nexecutors:\n  - name: e\n")
    assert codes(result) == [("FC208", 2)]


# --- encodings ---------------------------------------------------------------------------------

TEXT = "jtype: Flow\nexecutors:\n  - name: a\n"


@pytest.mark.parametrize("codec, name", [
    ("utf-16", "UTF-16-LE"), ("utf-16-le", "UTF-16-LE"), ("utf-16-be", "UTF-16-BE"),
    ("utf-32", "UTF-32-LE"), ("utf-32-be", "UTF-32-BE"),
])
def test_wide_encodings_are_recognised_with_or_without_a_mark(codec, name):
    data = TEXT.encode(codec)
    assert text_encoding(data) == name
    root, diags = load_text(data, "f.yml")
    assert root is None and [d.code for d in diags] == ["FC102"] and name in diags[0].message
    sources = SourceCache({"f.yml": data})
    assert sources.line("f.yml", 1) == "jtype: Flow"


@pytest.mark.parametrize("data", [TEXT.encode(), b"", b"a: \x00\n", "é: ü\n".encode()])
def test_utf8_and_stray_nuls_are_not_wide_text(data):
    assert text_encoding(data) is None


def test_a_utf16_file_renders_its_real_first_line(tmp_path):
    path = tmp_path / "flow.yml"
    path.write_bytes(TEXT.encode("utf-16"))
    result = compile_flow(path)
    text = render(result.diagnostics)
    assert "1 | jtype: Flow" in text and "\ufffd" not in text


# --- long lines --------------------------------------------------------------------------------

def _one(line: str, col: int, end: int) -> str:
    diag = error("FC201", "m", Span("f.yml", 1, col, 1, end))
    return render([diag], sources=SourceCache({"f.yml": line}))


def test_a_long_line_is_shown_as_a_window_around_the_span():
    line = "a" * 5000 + "KEY" + "b" * 5000
    text = _one(line, 5001, 5004)
    source, caret = text.splitlines()[2], text.splitlines()[3]
    assert len(source) < MAX_SHOWN + 20 and source.count("…") == 2
    at = caret.index("^")
    assert source[at:at + 3] == "KEY" and caret[at:] == "^~~"


def test_a_span_at_the_start_of_a_long_line_keeps_the_start():
    text = _one("KEY" + "b" * 10_000, 1, 4)
    source, caret = text.splitlines()[2], text.splitlines()[3]
    assert source.startswith("1 | KEY") and source.endswith("…")
    assert caret.index("^") == source.index("KEY")


def test_a_span_running_past_the_window_is_cut_with_it():
    text = _one("x" * 10_000, 1, 10_001)
    assert max(len(line) for line in text.splitlines()) < MAX_SHOWN + 20


def test_short_lines_are_unchanged():
    text = _one("jtype: Flw", 8, 11)
    assert "1 | jtype: Flw" in text and "…" not in text


# --- where target-validated keys were written --------------------------------------------------

FLOW = """\
jtype: Flow
gateway:
  image: r.example/gw
  targets:
    k8s:
      labels: {"x/y!": a}
executors:
  - name: a
    uses: docker://r.example/a:1.0
    env:
      GOOD: x
      1ST: y
    resources:
      limits:
        cpu: 500m
    targets:
      k8s:
        labels:
          team.example/owner: ok
          "bad key!": x
"""


def test_the_plan_locates_the_keys_targets_check(tmp_path):
    plan = compile_text(tmp_path, FLOW).plan
    dep = plan.deployments[0]
    assert dep.source == "flow.yml:8:5"
    assert dep.sources["/env/1ST"] == "12:7"  # in the entry's own file: line:col
    assert dep.sources["/resources/limits/cpu"] == "15:9"
    assert dep.sources["/targets/k8s/labels/team.example~1owner"] == "19:11"
    assert dep.sources["/uses"] == "9:11"
    assert "/resources/limits" not in dep.sources  # where `/resources` is: the parent answers
    assert entry_span(dep, "resources", "limits").line == 14
    assert plan.gateway.sources["/image"] == "3:10"
    assert plan.flow.location == "flow.yml:1:1"
    assert str(entry_span(dep, "env", "1ST")) == "flow.yml:12:7"
    assert entry_span(dep, "env", "MISSING").line == 11  # the nearest known: `env` itself
    assert entry_span(dep, "env", "MISSING", exact=True) is None
    assert entry_span(dep, "volumes").line == 8  # nothing recorded: the entry
    assert env_span(partial(entry_span, dep), "1ST").line == 12
    assert gateway_span(plan, "targets", "k8s", "labels", "x/y!").line == 6
    assert gateway_span(plan, "env").line == 1  # the Flow file


def test_locations_round_trip_and_do_not_change_equality(tmp_path):
    plan = compile_text(tmp_path, FLOW).plan
    again = Plan.from_json(plan.to_json())
    assert again.deployments[0].sources == plan.deployments[0].sources
    assert again.flow.location == plan.flow.location
    bare = Plan.from_json(plan.to_json().replace('"flow.yml:', '"other.yml:'))
    assert bare == plan


def test_the_plan_with_locations_matches_its_schema(tmp_path):
    import json

    import jsonschema

    from flowc.schemas import load_schema

    plan = compile_text(tmp_path, FLOW).plan
    jsonschema.validate(json.loads(plan.to_json()), load_schema("plan"))


def test_k8s_problems_point_at_their_keys(tmp_path):
    plan = compile_text(tmp_path, FLOW).plan
    _, diags = render_target("k8s", plan, {"image": None})
    got = {(d.code, d.span.line) for d in diags if d.severity is Severity.ERROR}
    assert ("FC704", 3) in got  # the gateway's unpinned `image:`
    assert ("FC708", 20) in got  # the bad label key of `a`
    assert ("FC708", 6) in got  # the bad label key of the gateway
    assert ("FC713", 12) in got  # the env name


def test_fc705_names_the_flow_file_as_given(tmp_path):
    plan = compile_text(tmp_path, "jtype: Flow\nexecutors:\n  - name: a\n"
                        "    uses: docker://r.example/a:1.0\n").plan
    _, diags = render_target("k8s", plan, {"image": None})
    assert [(d.code, str(d.span)) for d in diags] == [("FC705", "flow.yml:1:1")]


# --- messages --------------------------------------------------------------------------------

def test_choices_written_in_any_case_get_a_suggestion(tmp_path):
    result = compile_text(tmp_path, "jtype: Flow\nwith:\n  protocol: grcp\nexecutors:\n"
                          "  - name: a\n    polling: AL\n")
    hints = sorted(d.hint for d in result.diagnostics)
    assert hints == ["did you mean `ALL`?", "did you mean `GRPC`?"]


def test_an_unknown_key_hint_reads_as_sentences(tmp_path):
    result = compile_text(tmp_path, "jtype: Flow\nexecutor: []\n")
    (diag,) = result.diagnostics
    assert diag.hint.startswith("did you mean `executors`? Valid keys here: ")


@pytest.mark.parametrize("items, words", [("[{name: a}]", "1 item)"),
                                          ("[{name: a}, {name: b}]", "2 items)")])
def test_fc304_counts_in_english(tmp_path, items, words):
    result = compile_text(tmp_path, "jtype: Flow\nwith:\n  env:\n    L: ${{ root.executors[5] }}\n"
                          f"executors: {items}\n")
    assert any(d.code == "FC304" and d.message.endswith(words) for d in result.diagnostics)


def test_keys_from_an_included_deployment_file_name_that_file(tmp_path):
    dep_file = "jtype: Deployment\nwith:\n  name: a\n  uses: docker://r.example/a:1.0\n" \
               "  env:\n    1ST: x\n"
    plan = compile_text(tmp_path, "jtype: Flow\nexecutors:\n  - dep.yml\n",
                        files={"dep.yml": dep_file}).plan
    dep = plan.deployments[0]
    assert dep.sources["/env"] == "dep.yml:6:5" and "/env/1ST" not in dep.sources  # same place
    assert str(entry_span(dep, "env", "1ST")) == "dep.yml:6:5"
    _, diags = render_target("compose", plan, {"image": "r.example/g:1.0"})
    assert [(d.code, str(d.span)) for d in diags] == [("FC732", "dep.yml:6:5")]
