"""The schema files: valid draft 2020-12, every property described, every Jina key accepted
(the keys as listed in docs/jina-keys.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from flowc.compiler.check import check
from flowc.compiler.loader import load_text
from flowc.schemas import (SCHEMA_NAMES, inlined, load_schema, resolve_ref, schema_files,
                           schema_text)

KEY_LIST = Path(__file__).resolve().parents[2] / "docs" / "jina-keys.md"
OWN = ("flow", "executor", "deployment", "gateway", "entry")


@pytest.mark.parametrize("path", schema_files(), ids=lambda p: p.name)
def test_every_schema_file_is_a_valid_draft_2020_12_schema(path):
    schema = json.loads(path.read_text("utf-8"))
    assert schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _walk(node, base, where=""):
    """Yield (where, subschema, file) for every subschema, following nothing."""
    if isinstance(node, dict):
        yield where, node, base
        for key, value in node.items():
            if key in ("enum", "const", "required") or key.startswith("x-"):
                continue
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    yield from _walk(sub, base, f"{where}/{key}/{name}")
            else:
                yield from _walk(value, base, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, base, f"{where}/{i}")


@pytest.mark.parametrize("name", OWN)
def test_every_reference_resolves(name):
    file = f"{name}.schema.json"
    for where, sub, base in _walk(load_schema(name), file):
        if "$ref" in sub:
            target, _ = resolve_ref(sub["$ref"], base)
            assert isinstance(target, dict), f"{file}{where}: {sub['$ref']}"


def _described(sub, base) -> bool:
    while True:
        if sub.get("description"):
            return True
        if "$ref" not in sub:
            return False
        sub, base = resolve_ref(sub["$ref"], base)


@pytest.mark.parametrize("name", OWN)
def test_every_property_has_a_description(name):
    file = f"{name}.schema.json"
    missing = []
    for where, sub, base in _walk(load_schema(name), file):
        if where.endswith("/if"):
            continue  # a condition, not keys a user writes
        for key, prop in sub.get("properties", {}).items():
            if not _described(prop, base):
                missing.append(f"{where}/properties/{key}")
    assert missing == []


@pytest.mark.parametrize("name", OWN)
def test_closed_objects(name):
    """Every mapping with named keys rejects other keys (or tolerates them on purpose)."""
    for where, sub, _ in _walk(load_schema(name), f"{name}.schema.json"):
        if "properties" in sub and "if" not in where:
            assert "additionalProperties" in sub, f"{name}{where}"


def test_support_annotations_are_known_values():
    for name in OWN:
        for where, sub, _ in _walk(load_schema(name), f"{name}.schema.json"):
            if "x-flowc-support" in sub:
                assert sub["x-flowc-support"] in ("unsupported", "legacy", "unknown"), where


def test_loader_helpers():
    assert SCHEMA_NAMES == ("flow", "executor", "deployment", "gateway", "plan")
    assert load_schema("flow") is load_schema("flow")
    assert json.loads(schema_text("flow")) == load_schema("flow")
    assert "$ref" not in json.dumps(inlined("flow"))
    with pytest.raises(KeyError):
        load_schema("nope")


# --- the keys docs/jina-keys.md lists -------------------------------------------------------------

_TICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def _outside_parens(text: str) -> tuple[str, list[str]]:
    """Text with (...) groups removed, and the removed groups."""
    outside, groups, depth, current = [], [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
            if depth == 1:
                current = []
                continue
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                groups.append("".join(current))
                continue
        (current if depth else outside).append(ch)
    return "".join(outside), groups


def _keys(text: str) -> set[str]:
    """Keys named in a bullet: ticked names outside parentheses, and `also`/`alias` names."""
    outside, groups = _outside_parens(text)
    keys = set(_TICKED.findall(outside))
    for group in groups:
        if group.lstrip().startswith(("also", "alias")):
            keys |= set(_TICKED.findall(group))
    return keys


def _appendix() -> dict[str, set[str]]:
    appendix = KEY_LIST.read_text("utf-8")
    sections: dict[str, set[str]] = {"entry": set(), "with": set(), "gateway": set(),
                                     "executor": set(), "metas": set(), "batching": set()}
    current = None
    logical: list[str] = []
    for raw in appendix.splitlines():  # join wrapped lines to the line or bullet they continue
        if logical and raw.startswith("  ") and logical[-1]:
            logical[-1] += " " + raw.strip()
        elif logical and raw and logical[-1] and not raw.startswith(("- ", "**")) \
                and not logical[-1].startswith("**"):
            logical[-1] += " " + raw
        else:
            logical.append(raw)
    for line in logical:
        if line.startswith("**Executor entry"):
            current = "entry"
        elif line.startswith("**Flow `with:`**"):
            current = "with"
            sections["with"] |= _keys(line.split("**", 2)[2])
        elif line.startswith("**`gateway:`**"):
            current = "gateway"
            sections["gateway"] |= _keys(line.split("**", 2)[2])
        elif line.startswith("**Executor file:**"):
            current = "executor"
            paragraph = appendix[appendix.index(line):].split("\n\n")[0]
            outside, groups = _outside_parens(paragraph.split("**", 2)[2])
            sections["executor"] |= set(_TICKED.findall(outside))
            sections["metas"] |= set(_TICKED.findall(groups[0]))
            sections["batching"] |= set(re.findall(r"[a-z_]+", groups[1].split("{", 2)[2]))
        elif line.startswith("flowc's own keys"):
            sections["entry"] |= _keys(line.split(":", 1)[1])
        elif current == "entry" and line.startswith("- "):
            sections["entry"] |= _keys(line.split(":", 1)[1])
        elif current in ("with", "gateway") and line and not line.startswith("**"):
            sections[current] |= _keys(line)
    sections["batching"].discard("endpoint")
    return sections


@pytest.fixture(scope="module")
def appendix():
    return _appendix()


def test_the_appendix_parser_found_the_lists(appendix):
    assert {"uses", "needs", "method", "host_in", "ports", "protocols", "no_reduce",
            "force", "env_from_secret", "image", "resources", "service_account",
            "placement"} <= appendix["entry"]
    assert "GRPC" not in appendix["entry"] and "add" not in appendix["entry"]
    assert {"suppress_root_logging", "inspect", "tracing"} <= appendix["with"]
    assert {"prefetch", "expose_graphql_endpoint", "timeout_ctrl"} <= appendix["gateway"]
    assert appendix["metas"] == {"name", "description", "py_modules", "workspace"}
    assert appendix["batching"] == {"preferred_batch_size", "timeout", "flush_all",
                                    "use_dynamic_batching"}
    assert len(appendix["entry"]) > 80


def _unknown_keys(text: str, kind: str) -> list[str]:
    root, diags = load_text(text, "spec.yml")
    assert root is not None and not diags
    return [d.message for d in check(root, kind) if d.code == "FC201"]


def test_every_entry_key_is_accepted_in_an_executor_entry(appendix):
    # A key is accepted when it is not "unknown"; a type error on the dummy value is fine.
    body = "".join(f"    {key}: null\n" for key in sorted(appendix["entry"]))
    assert _unknown_keys(f"jtype: Flow\nexecutors:\n  - {body.lstrip()}", "flow") == []
    body = "".join(f"    {key}: null\n" for key in sorted(appendix["entry"]))
    assert _unknown_keys(f"jtype: Deployment\nwith:\n{body}", "deployment") == []


def test_every_flow_with_key_is_accepted(appendix):
    body = "".join(f"  {key}: null\n" for key in sorted(appendix["with"]))
    assert _unknown_keys(f"jtype: Flow\nwith:\n{body}", "flow") == []


def test_every_gateway_key_is_accepted(appendix):
    body = "".join(f"  {key}: null\n" for key in sorted(appendix["gateway"]))
    assert _unknown_keys(f"jtype: Flow\ngateway:\n{body}", "flow") == []


def test_every_executor_file_key_is_accepted(appendix):
    top = "".join(f"{key}: null\n" for key in sorted(appendix["executor"] - {"jtype"}))
    metas = "".join(f"  {key}: x\n" for key in sorted(appendix["metas"]))
    batching = "".join(f"    {key}: 1\n" for key in sorted(appendix["batching"]))
    text = f"jtype: E\n{top}".replace("metas: null\n", f"metas:\n{metas}").replace(
        "dynamic_batching: null\n", f"dynamic_batching:\n  /x:\n{batching}")
    root, _ = load_text(text, "e.yml")
    diags = check(root, "executor")
    assert [d.message for d in diags if d.code in ("FC201", "FC222")] == []


def test_every_key_jina_accepts_is_in_the_entry_schema(appendix):
    """The schema's entry keys are exactly the appendix's (nothing invented, nothing lost)."""
    entry = set(load_schema("entry")["$defs"]["entry"]["properties"])
    assert appendix["entry"] <= entry
    extra = entry - appendix["entry"]
    assert extra <= {"targets", "restart"}, extra  # flowc's per-target block; `restart` (SPEC §5)


def test_flow_with_accepts_every_key_passed_down_to_executors():
    """SPEC §3: any executor key in Flow `with:` is a default for every executor."""
    entry = set(load_schema("entry")["$defs"]["entry"]["properties"])
    not_flow_wide = {"needs", "when", "method", "image"}  # per-entry by nature
    body = "".join(f"  {key}: null\n" for key in sorted(entry - not_flow_wide))
    assert _unknown_keys(f"jtype: Flow\nwith:\n{body}", "flow") == []
    for key in sorted(not_flow_wide):
        assert _unknown_keys(f"jtype: Flow\nwith:\n  {key}: null\n", "flow") != [], key


def test_raw_files_with_relative_refs_validate_like_the_inlined_copy():
    """Editors read the files as they are (relative `$ref`s); flowc validates an inlined copy.
    Both must agree."""
    from flowc.schemas import registry

    good = {"jtype": "Flow", "version": 1, "with": {"port": 8080},
            "executors": [{"name": "a", "uses": {"jtype": "E", "metas": {"name": "e"}},
                           "polling": {"/search": "ALL"}, "port": [1, 2]},
                          "dep.yml", {"jtype": "Deployment", "with": {"uses": "X"}}]}
    bad = {"jtype": "Flow", "executors": [{"replicas": 0, "uses": {"metas": 1}}, 3,
                                          {"jtype": "Deployment", "with": {"shards": "x"}}]}
    raw = Draft202012Validator(load_schema("flow"), registry=registry())
    fast = Draft202012Validator(inlined("flow"), registry=registry())
    assert raw.is_valid(good) and fast.is_valid(good)
    def paths(v):
        return sorted((tuple(e.absolute_path), e.validator) for e in v.iter_errors(bad))
    assert paths(raw) == paths(fast) != []
