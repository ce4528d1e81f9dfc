"""`flowc schema NAME` prints a schema that stands alone and works in an editor: no reference
leaves the document; bundled, it accepts and refuses exactly what the stored files (resolved
through each other) do; published, it also accepts substitution expressions for typed values
and an Executor file whose class is a tag. `schemas/editor/` holds the published files
(FLOWC_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from flowc.compiler.cli import main
from ruamel.yaml import YAML
from flowc.schemas import SCHEMA_NAMES, load_schema, registry
from flowc.schemas.bundle import bundled
from flowc.schemas.editor import EDITOR_DIR, published, published_text

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([*ROOT.glob("examples/**/*.yml"), *ROOT.glob("tests/compiler/corpus/**/*.yml")])


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_bundle_refers_only_inside_itself(name: str) -> None:
    schema = published(name)
    Draft202012Validator.check_schema(schema)
    refs = list(_refs(schema))
    assert all(ref.startswith("#") for ref in refs), [r for r in refs if not r.startswith("#")]
    for ref in refs:  # and every reference lands on a schema
        node = schema
        for token in filter(None, ref[1:].split("/")):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        assert isinstance(node, (dict, bool)), ref


def test_cli_prints_the_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "flow"]) == 0
    printed = capsys.readouterr().out
    assert printed == published_text("flow")
    assert "entry.schema.json#" not in printed


@pytest.mark.parametrize("kind", ["flow", "executor", "deployment"])
def test_bundle_answers_like_the_stored_files(kind: str) -> None:
    alone = Draft202012Validator(bundled(kind))
    linked = Draft202012Validator(load_schema(kind), registry=registry())
    compared = 0
    for path in DOCUMENTS:
        try:
            data = YAML(typ="safe").load(path.read_text())
        except Exception:  # the corpus holds broken YAML on purpose
            continue
        if not isinstance(data, dict):
            continue
        expected = sorted(e.json_path for e in linked.iter_errors(data))
        assert sorted(e.json_path for e in alone.iter_errors(data)) == expected, path
        compared += 1
    assert compared > 20


PUBLISHED = ("flow", "executor", "deployment", "gateway")


@pytest.mark.parametrize("name", PUBLISHED)
def test_editor_files_are_what_flowc_schema_prints(name: str) -> None:
    path = EDITOR_DIR / f"{name}.schema.json"
    if os.environ.get("FLOWC_UPDATE_GOLDEN"):
        path.write_text(published_text(name), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == published_text(name), (
        f"{path} is stale: rerun with FLOWC_UPDATE_GOLDEN=1")


def _errors(schema: dict, data: object) -> list[str]:
    return [e.message for e in Draft202012Validator(schema).iter_errors(data)]


def test_published_accepts_expressions_where_typed_values_go() -> None:
    flow = published("flow")
    data = {"jtype": "Flow", "with": {"port": "${{ ENV.PORT }}", "protocol": "${PROTO:-grpc}"},
            "executors": [{"name": "a", "replicas": "${{ ENV.R }}", "shards": "${S:-2}",
                           "stateful": "${{ ENV.ST }}", "timeout_ready": "${{ ENV.T }}"}]}
    assert _errors(flow, data) == []
    assert _errors(flow, {"jtype": "Flow", "executors": [{"name": "a", "replicas": "many"}]})
    assert _errors(flow, {"jtype": "Flow", "executors": [{"name": "a", "shardz": 2}]})


def test_published_executor_takes_a_tag_instead_of_jtype() -> None:
    assert _errors(published("executor"), {"with": {"a": 1}}) == []
    assert "jtype" in load_schema("executor").get("required", [])  # flowc itself still asks
