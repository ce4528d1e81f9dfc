"""compiler/names.py: every name a target derives from an entry name is in one table, the
targets build their names from it, and `validate` refuses two entries whose names would clash
(FC522) at the later entry's `name`, before any build fails."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from flowc.compiler.driver import compile_flow
from flowc.compiler.names import EntryShape, derived_name, gateway_names_of, names_of
from flowc.targets import render

EVERY_FORM = """\
    - name: Big_Enc
      shards: 2
      replicas: 3
      uses_before: BeforeExec
      uses_after: AfterExec
    - name: single
      stateful: true
      replicas: 3
    - name: sharded
      stateful: true
      shards: 2
      replicas: 3
"""


def run(tmp_path: Path, body: str):
    path = tmp_path / "flow.yml"
    path.write_text("jtype: Flow\nexecutors:\n" + textwrap.dedent(body), encoding="utf-8")
    return compile_flow(path, env={})


def fc522(result) -> list[tuple[int, str]]:
    return [(d.span.line, d.message) for d in result.diagnostics if d.code == "FC522"]


@pytest.mark.parametrize("first, second, name", [
    ("- name: a\n  shards: 2\n", "- name: a_head\n", "a-head"),  # the case
    ("- name: a\n  shards: 2\n", "- name: a-head\n", "a-head"),
    ("- name: a-head\n", "- name: a\n  shards: 2\n", "a-head"),  # reported at the later one
    ("- name: a\n  uses_before: B\n", "- name: a-uses-before\n", "a-uses-before"),
    ("- name: a\n  uses_after: B\n", "- name: a_uses_after\n", "a-uses-after"),
    ("- name: a\n  shards: 3\n", "- name: a-shard-2\n", "a-shard-2"),
    ("- name: a\n  stateful: true\n  replicas: 3\n", "- name: a-raft\n", "a-raft"),
    ("- name: a\n  shards: 2\n  stateful: true\n", "- name: a-shard-1-raft\n",
     "a-shard-1-raft"),
    ("- name: a\n", "- name: a_\n", "a"),  # `_` → `-`, then the trailing `-` goes
    ("- name: a\n", "- name: gateway_\n", "gateway"),
])
def test_a_derived_name_clash_is_located_at_the_later_entry(tmp_path, first, second, name):
    result = run(tmp_path, textwrap.indent(first + second, "  "))
    found = fc522(result)
    later = second.split("\n")[0].removeprefix("- name: ")
    lines = (Path(tmp_path) / "flow.yml").read_text().splitlines()
    assert len(found) == 1, result.diagnostics
    line, message = found[0]
    assert f"name: {later}" in lines[line - 1]
    assert f"`{name}`" in message
    assert not result.ok


@pytest.mark.parametrize("body", [
    "- name: a\n- name: a-rep-0\n",  # `a` makes compose's a-rep-0, `a-rep-0` makes a-rep-0-rep-0
    "- name: a\n- name: a-head\n",  # `a` has no head
    "- name: a\n  external: true\n  host: h\n  port: 1\n  shards: 2\n- name: a-head\n",
    "- name: a\n  uses_before: B\n- name: a-uses-after\n",
    "- name: a\n  stateful: true\n  replicas: 3\n- name: a-shard-0-raft\n",
])
def test_names_no_target_derives_do_not_clash(tmp_path, body):
    result = run(tmp_path, textwrap.indent(body, "  "))
    assert fc522(result) == [], result.diagnostics


def _k8s_names(files: dict[str, str]) -> set[str]:
    return {doc["metadata"]["name"] for path, text in files.items()
            if path.endswith(".yaml") and path != "kustomization.yaml"
            for doc in yaml.safe_load_all(text) if doc and doc.get("kind") != "NetworkPolicy"
            and doc.get("kind") not in ("ConfigMap", "Namespace")}


def _compose_names(files: dict[str, str]) -> dict[str, set[str]]:
    doc = yaml.safe_load(files["compose.yaml"])
    return {"compose service": set(doc["services"]), "compose volume": set(doc["volumes"])}


def _systemd_names(files: dict[str, str]) -> set[str]:
    return {m.group(1) for path in files
            if (m := re.fullmatch(r"units/f-(.+)@\.service", path))}


def test_the_table_is_exactly_what_the_targets_write(tmp_path):
    """Every name the table lists is a name a target writes, and every name a target derives
    from an entry is in the table: the check cannot drift from the targets."""
    result = run(tmp_path, EVERY_FORM)
    assert result.ok, result.diagnostics
    plan = result.plan
    expected: dict[str, set[str]] = {}
    shapes = [EntryShape("Big_Enc", 2, 3, head=True, uses_before=True, uses_after=True),
              EntryShape("single", 1, 3, stateful=True),
              EntryShape("sharded", 2, 3, head=True, stateful=True)]
    for shape in shapes:
        for where, name, _ in names_of(shape):
            expected.setdefault(where, set()).add(name)
    for where, name, _ in gateway_names_of(plan.gateway.name):
        expected.setdefault(where, set()).add(name)
    plan = dataclasses.replace(plan, flow=dataclasses.replace(plan.flow, name="f"))
    k8s, diags = render("k8s", plan, {"image": "team/flow:1"})
    assert not [d for d in diags if d.severity.name == "ERROR"], diags
    assert _k8s_names(k8s) == expected["k8s object"]
    compose, diags = render("compose", plan, {"image": "team/flow:1"})
    assert not [d for d in diags if d.severity.name == "ERROR"], diags
    assert _compose_names(compose) == {k: expected[k] for k in ("compose service",
                                                                 "compose volume")}
    systemd, diags = render("systemd", plan, {})
    assert not [d for d in diags if d.severity.name == "ERROR"], diags
    assert _systemd_names(systemd) == expected["systemd unit"]


def test_long_names_keep_the_targets_hash_rule():
    long = "e" * 70
    assert derived_name("head", long) == derived_name("head", long)
    assert len(derived_name("shard_raft", long, 1)) <= 63
    assert derived_name("shard_raft", long, 1) == derived_name("raft",
                                                                derived_name("shard", long, 1))
