"""Which keys warn as "not supported by flowc yet": exactly the ones the brief lists."""

from __future__ import annotations

import json
import re

import pytest

from flowc.compiler.check import check
from flowc.compiler.diagnostics import Severity
from flowc.compiler.loader import load_text
from flowc.schemas import load_schema, resolve_ref

UNSUPPORTED_ENTRY = {
    "cors", "uvicorn_kwargs", "title",
    "description", "ssl_certfile", "ssl_keyfile", "provider", "provider_endpoint",
    "force_update", "force", "prefer_platform", "install_requirements", "native",
    "runtime_cls", "output_array_type", "compression", "docker_kwargs", "entrypoint",
    "disable_auto_volume", "force_network_mode", "workspace_id", "extra_search_paths",
    "log_config", "quiet", "quiet_error", "grpc_metadata", "method", "k8s_namespace",
    "peer_ports", "timeout_ctrl", "jcloud",
}
UNSUPPORTED_WITH_ONLY = {"suppress_root_logging", "inspect", "uses", "uses_with"}
UNSUPPORTED_GATEWAY_ONLY = {"uses", "uses_with", "py_modules", "prefetch",
                            "expose_graphql_endpoint", "proxy", "stateful", "floating"}
# Jina's HTTP server keys: read by the gateway (Flow `with:` and `gateway:`), not by an executor
HTTP_SERVER_KEYS = {"cors", "uvicorn_kwargs", "title", "description", "ssl_certfile",
                    "ssl_keyfile"}
_SAMPLES = ["ANY", "GRPC", "NONE", "1"]


def _sample(schema: dict, base: str):
    """A value the (sub)schema accepts; enough for the shapes flowc's schemas use."""
    while "$ref" in schema:
        schema, base = resolve_ref(schema["$ref"], base)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    if "anyOf" in schema:
        return _sample(schema["anyOf"][0], base)
    kind = schema.get("type", "object")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "string":
        pattern = schema.get("pattern")
        return next(s for s in _SAMPLES if re.search(pattern, s)) if pattern else "x"
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "null":
        return None
    return {key: _sample(sub, base) for key, sub in schema.get("properties", {}).items()
            if key in schema.get("required", ())}


def _mapping(props: dict, base: str, extra: dict | None = None) -> dict:
    out = {key: _sample(sub, base) for key, sub in props.items()}
    out.update(extra or {})
    return out


def _run(document: dict, kind: str = "flow"):
    root, diags = load_text(json.dumps(document), "gen.yml")  # JSON is YAML
    assert root is not None and not diags
    return check(root, kind)


def _warned(diags) -> set[str]:
    assert [d for d in diags if d.severity is Severity.ERROR] == []
    return {d.message.split("`")[1] for d in diags if d.code == "FC220"}


def test_every_entry_key_with_a_valid_value_is_clean_and_only_unsupported_keys_warn():
    props = load_schema("entry")["$defs"]["entry"]["properties"]
    entry = _mapping(props, "entry.schema.json", {"external": True})
    assert _warned(_run({"jtype": "Flow", "executors": [entry]})) == UNSUPPORTED_ENTRY


def test_tls_warns_unless_external():
    assert _warned(_run({"jtype": "Flow", "executors": [{"tls": True}]})) == {"tls"}
    assert _warned(_run({"jtype": "Flow", "executors": [{"tls": True, "external": True}]})) \
        == set()


def test_flow_with_keys():
    props = load_schema("flow")["$defs"]["flow_with"]["properties"]
    flow_with = _mapping(props, "flow.schema.json", {"external": True})
    gateway_keys_in_with = {"prefetch", "expose_graphql_endpoint", "proxy"}
    expected = ((UNSUPPORTED_ENTRY - HTTP_SERVER_KEYS) & set(props)) | UNSUPPORTED_WITH_ONLY \
        | gateway_keys_in_with
    assert _warned(_run({"jtype": "Flow", "with": flow_with})) == expected


def test_gateway_keys():
    props = load_schema("flow")["$defs"]["gateway"]["properties"]
    gateway = _mapping(props, "flow.schema.json")
    expected = ((UNSUPPORTED_ENTRY - HTTP_SERVER_KEYS) & set(props)) | UNSUPPORTED_GATEWAY_ONLY
    assert _warned(_run({"jtype": "Flow", "gateway": gateway})) == expected


def test_a_lone_deployment_speaking_http_keeps_its_http_keys_for_its_gateway():
    body = {"uses": "X", "protocol": ["grpc", "http"], "port": [9000, 9001], "title": "t",
            "cors": True}
    assert _warned(_run({"jtype": "Deployment", "with": body}, "deployment")) == set()
    assert _warned(_run({"jtype": "Deployment", "with": {"uses": "X", "title": "t"}},
                        "deployment")) \
        == {"title"}


@pytest.mark.parametrize("kind", ["deployment", "executor"])
def test_whole_documents_of_other_kinds(kind):
    schema = load_schema(kind)
    document = _mapping(schema["properties"], f"{kind}.schema.json")
    if kind == "executor":
        document["jtype"] = "MyExec"
        diags = _run(document, kind)
        assert [d.code for d in diags] == ["FC223"]  # `components` is legacy
    else:
        document["version"] = "1"
        assert _warned(_run(document, kind)) == {"jcloud"}  # JCloud's settings: not flowc's
