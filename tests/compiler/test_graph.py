"""Phase 5: default chaining, branches, responders and every graph check (SPEC §4)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from flowc.compiler.driver import compile_flow
from flowc.compiler.graph import dns_label


def run(tmp_path: Path, body: str):
    path = tmp_path / "flow.yml"
    path.write_text("jtype: Flow\nexecutors:\n" + textwrap.dedent(body), encoding="utf-8")
    return compile_flow(path, env={})


def only(result, code):
    found = [d for d in result.diagnostics if d.code == code]
    assert found, result.diagnostics
    return found


def test_default_chain_branch_fan_in_and_responder(tmp_path):
    r = run(tmp_path, """\
        - name: a
        - name: b
          needs: gateway
        - name: log
          floating: true
        - name: c
          needs: [b, a]
        - name: d
    """)
    assert r.ok, r.diagnostics
    g = r.graph
    assert g.needs == {"a": ("gateway",), "b": ("gateway",), "log": ("b",), "c": ("b", "a"),
                       "d": ("c",)}
    assert g.responders == ("d",)
    assert r.plan.responders == ("d",)
    assert g.edges() == [("gateway", "a"), ("gateway", "b"), ("b", "log"), ("b", "c"),
                         ("a", "c"), ("c", "d")]
    digraph = g.digraph()
    assert sorted(digraph.successors("b")) == ["c", "log"]
    assert digraph.nodes["d"]["responder"] and digraph.nodes["log"]["floating"]


def test_empty_flow_has_no_responder(tmp_path):
    path = tmp_path / "flow.yml"
    path.write_text("jtype: Flow\n")
    r = compile_flow(path, env={})
    assert r.ok and r.plan.responders == () and r.plan.deployments == ()


def test_unknown_needs_suggests(tmp_path):
    r = run(tmp_path, """\
        - name: encoder
        - name: b
          needs: [encodr]
    """)
    [d] = only(r, "FC501")
    assert (d.span.line, d.span.col) == (5, 11)
    assert "encoder" in d.hint


def test_cycle_shows_path(tmp_path):
    r = run(tmp_path, """\
        - name: a
          needs: c
        - name: b
          needs: a
        - name: c
          needs: b
    """)
    [d] = only(r, "FC502")
    assert "a → b → c → a" in d.message
    assert d.span.line == 4
    assert len(d.related) == 2


def test_self_need_is_a_cycle(tmp_path):
    r = run(tmp_path, "- name: a\n  needs: a\n")
    [d] = only(r, "FC502")
    assert "a → a" in d.message


def test_duplicate_names(tmp_path):
    r = run(tmp_path, "- name: a\n- name: a\n")
    [d] = only(r, "FC503")
    assert d.span.line == 4 and d.related[0].span.line == 3
    assert d.related[0].label == "first defined here"


def test_bad_names(tmp_path):
    r = run(tmp_path, "- name: 1st\n- name: gateway\n- name: my_enc\n- name: my-enc\n"
                      "  needs: my_enc\n")
    assert [d.code for d in r.diagnostics if d.severity.name == "ERROR"] == [
        "FC504", "FC506", "FC505"]
    collision = only(r, "FC505")[0]
    assert collision.span.line == 6 and collision.related[0].span.line == 5
    assert dns_label("My_Enc") == "my-enc"


def test_http_executor_cannot_be_sharded(tmp_path):
    r = run(tmp_path, "- name: a\n  protocol: http\n  shards: 2\n")
    [d] = only(r, "FC507")
    assert d.span.line == 4


def test_dead_end_warning_but_not_for_floating_or_responder(tmp_path):
    r = run(tmp_path, """\
        - name: a
        - name: b
          needs: gateway
        - name: f
          floating: true
          needs: gateway
    """)
    assert r.ok
    [d] = only(r, "FC508")
    assert "`a`" in d.message and d.severity.name == "WARNING"
    assert r.plan is not None and r.graph.responders == ("b",)


def test_drawings_show_shards_floating_and_the_end(tmp_path):
    from flowc.compiler.drawing import to_dot, to_mermaid

    r = run(tmp_path, """\
        - name: enc
          shards: 2
          replicas: 3
        - name: log
          floating: true
          needs: gateway
        - name: idx
          needs: enc
    """)
    mermaid = to_mermaid(r.plan)
    assert 'n_enc["enc (2 shards, 3 replicas)"]' in mermaid
    assert "n_gateway -.-> n_log" in mermaid and "n_idx --> gateway_end" in mermaid
    dot = to_dot(r.plan)
    assert '"gateway" -> "log" [style=dashed];' in dot and '"idx" -> "gateway_end";' in dot
    assert to_mermaid(r.plan) == mermaid and to_dot(r.plan) == dot
