"""Phase 6: the plan, its schema, and that the two cannot drift apart."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest

import flowc.compiler as compiler
from flowc.compiler import plan as plan_module
from flowc.schemas import load_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*/flow.yml"))


def validator():
    schema = load_schema("plan")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("flow", EXAMPLES, ids=lambda p: p.parent.name)
def test_every_example_plan_validates_and_is_byte_stable(flow):
    plan = compiler.load(flow, env={})
    validator().validate(plan.to_dict())
    assert plan.to_json() == compiler.load(flow, env={}).to_json()
    assert plan_module.Plan.from_json(plan.to_json()) == plan


def test_a_rich_plan_validates(tmp_path):
    (tmp_path / "flow.yml").write_text("""
jtype: Flow
with: {name: rich, port: [1, 2], protocol: [grpc, http], workspace: /w, env: {X: 1}}
gateway: {title: t, resources: {limits: {cpu: 1}}}
executors:
  - name: a
    uses: docker://a:1
    shards: 2
    replicas: 3
    polling: {'/x': ALL}
    uses_before: docker://b:1
    uses_after: {jtype: After}
    when: {tags__x: {$eq: 1}}
    env_from_secret: {S: {name: s, key: k}}
    env: {T: true, N: 3}
    image_pull_secrets: [regcred]
    volumes: [/data:/data]
    exit_on_exceptions: [ValueError]
    targets: {k8s: {labels: {team: x}}}
  - name: ext
    external: true
    host: grpc://remote:5555
    floating: true
""")
    plan = compiler.load(tmp_path / "flow.yml", env={})
    validator().validate(plan.to_dict())
    a = plan.deployment("a")
    assert a.env == {"T": "true", "N": "3"}
    assert a.uses_before.image == "b:1" and a.uses_after.kind == "inline"
    assert plan.gateway.protocols == ("grpc", "http") and plan.gateway.ports == (1, 2)
    assert plan.gateway.options == {"title": "t"}


def _schema_object(schema: dict, ref: str) -> dict:
    return schema["$defs"][ref]


@pytest.mark.parametrize("cls, where", [
    (plan_module.Plan, None), (plan_module.FlowInfo, "flow"), (plan_module.Gateway, "gateway"),
    (plan_module.Deployment, "deployment"), (plan_module.ExecutorRef, "executorRef"),
    (plan_module.Address, "address"), (plan_module.SecretRef, "secretRef"),
    (plan_module.Resources, "resources"),
])
def test_schema_properties_match_dataclass_fields(cls, where):
    schema = load_schema("plan")
    obj = schema if where is None else _schema_object(schema, where)
    fields = {f.name for f in dataclasses.fields(cls)}
    assert set(obj["properties"]) == fields
    assert set(obj["required"]) == fields
    assert obj["additionalProperties"] is False


def test_every_schema_property_has_a_description():
    def walk(node):
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                assert "description" in prop, name
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(load_schema("plan"))


def test_schema_rejects_unknown_keys():
    plan = compiler.load(EXAMPLES[0], env={}).to_dict()
    plan["deployments"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(plan)
    assert json.loads(json.dumps(plan))
