"""The typed fields of the resolved model stay in line with the schemas (issue 9, finding 5):
every field is a key the schema defines (or a value resolve derives), and every type the schema
lets a user write fits the field's type, except where resolve normalises the value
(`model.NORMALISED`, which says how)."""

from __future__ import annotations

import dataclasses
import types
import typing

import pytest

from flowc.compiler.model import NORMALISED, EntryFields, GatewayFields, ObservabilityFields
from flowc.compiler.plan import OBSERVABILITY_KEYS
from flowc.schemas import inlined

DERIVED = {"external_addresses": "made from `host`/`port`/`tls` of an `external: true` entry"}
PYTHON = {"integer": int, "number": float, "boolean": bool, "string": str, "object": dict,
          "array": list, "null": type(None)}


def _written_types(schema: dict) -> set[str]:
    """The JSON types a (ref-inlined) subschema accepts."""
    kinds = schema.get("type")
    if kinds is not None:
        return {kinds} if isinstance(kinds, str) else set(kinds)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        return set().union(*(_written_types(b) for b in branches))
    return set(PYTHON)  # anything


def _accepted(hint: typing.Any) -> set[type]:
    """The Python types a field annotation accepts (dict[...] as dict, X | None as X and None)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_accepted(arg) for arg in typing.get_args(hint)))
    if origin is not None:
        return {origin}
    return {hint}


def _properties(where: str) -> dict:
    """The keys a resolved entry or gateway is made of: its own section's, and for the gateway
    also the Flow `with:` keys passed down to it (SPEC §3), where `gpus` comes from."""
    if where == "entry":
        return inlined("deployment")["properties"]["with"]["properties"]
    flow = inlined("flow")["properties"]
    return {**flow["with"]["properties"], **flow["gateway"]["properties"]}


@pytest.mark.parametrize("cls,where", [(EntryFields, "entry"), (GatewayFields, "gateway")])
def test_every_typed_field_is_a_schema_key_of_a_fitting_type(cls, where):
    properties = _properties(where)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in DERIVED:
            continue
        assert f.name in properties, f"{cls.__name__}.{f.name} is not a key of the {where} schema"
        if f.name in NORMALISED:
            assert tuple in _accepted(hints[f.name]) or dict in _accepted(hints[f.name])
            continue
        accepted = _accepted(hints[f.name])
        for kind in _written_types(properties[f.name]) - {"null"}:
            python = PYTHON[kind]
            assert python in accepted or (python is int and float in accepted), (
                f"{cls.__name__}.{f.name}: the schema allows {kind}, the field is {hints[f.name]}")


def test_every_normalised_key_is_a_typed_field():
    names = {f.name for cls in (EntryFields, GatewayFields) for f in dataclasses.fields(cls)}
    assert set(NORMALISED) <= names


def test_the_planner_reads_the_typed_fields(tmp_path):
    from flowc.compiler.driver import compile_flow

    flow = tmp_path / "flow.yml"
    flow.write_text("jtype: Flow\ngateway:\n  protocol: GRPC\n  port: 9000\nexecutors:\n"
                    "  - name: a\n    port: [7001, 7002]\n    polling: ALL\n"
                    "    exit_on_exceptions: ValueError\n    volumes: [data]\n",
                    encoding="utf-8")
    result = compile_flow(flow, env={})
    assert result.ok, result.diagnostics
    entry = result.resolved.entries[0]
    assert entry.fields.port == (7001, 7002) and entry.fields.polling == {"*": "ALL"}
    assert entry.fields.exit_on_exceptions == ("ValueError",)
    assert result.resolved.gateway.fields.protocol == ("grpc",)
    dep = result.plan.deployments[0]
    assert dep.ports == (7001, 7002) and dep.exit_on_exceptions == ("ValueError",)
    assert dep.volumes == ("data",) and result.plan.gateway.ports == (9000,)


def test_observability_fields_are_the_plans_keys():
    assert tuple(f.name for f in dataclasses.fields(ObservabilityFields)) == OBSERVABILITY_KEYS
