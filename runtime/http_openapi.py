"""The HTTP gateway's OpenAPI document, written from the schemas the executors publish.

FastAPI writes the document's frame (paths, methods, tags, info); each `POST /{endpoint}` gets
its request and response bodies here, in Jina's shape (`<endpoint>_input_model`:
`data` = one document or a list of the endpoint's input document, `parameters` = its
parameters model or any object, `header`; `<endpoint>_output_model` likewise with the output
document). The document schemas are the executors' own JSON Schemas (endpoint discovery); their
`$defs` become components, so nested documents resolve.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Sequence

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .web_docs import EndpointModels

__all__ = ["add_openapi", "body_models"]

_HEADER = {
    "title": "Header", "type": "object",
    "properties": {
        "requestId": {"title": "Requestid", "type": "string", "description": "Request ID"},
        "targetExecutor": {"title": "Targetexecutor", "type": "string",
                           "description": "Only the executors whose name matches this regular "
                                          "expression process the request"},
    },
}
_ANY_DOC = {"title": "Document", "type": "object", "additionalProperties": True}


def add_openapi(app: FastAPI, routes: Sequence[tuple[str, EndpointModels]]) -> None:
    """Make `app.openapi()` describe each route's bodies (computed once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes,
                                 tags=app.openapi_tags)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["Header"] = _HEADER
            for endpoint, model in routes:
                path = schema.get("paths", {}).get("/" + endpoint.strip("/"), {})
                for operation in path.values():
                    _describe(operation, endpoint, model, components)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def body_models(endpoint: str, model: EndpointModels,
                components: dict[str, Any]) -> tuple[str, str]:
    """Add the endpoint's input and output body schemas to `components`; their names."""
    name = endpoint.strip("/").replace("/", "_") or "root"
    doc_in = _component(model.input_schema, components)
    doc_out = _component(model.output_schema, components)
    params = _component(model.parameters_schema, components) if model.parameters_schema \
        else {"type": "object", "additionalProperties": True}

    def body(doc: dict, parameters: dict) -> dict:
        return {"title": f"{name}_model", "type": "object", "required": ["data"],
                "properties": {
                    "data": {"title": "Data", "anyOf": [{"type": "array", "items": doc}, doc]},
                    "parameters": {"title": "Parameters", "anyOf": [parameters,
                                                                    {"type": "null"}]},
                    "header": {"anyOf": [{"$ref": "#/components/schemas/Header"},
                                         {"type": "null"}]}}}

    components[f"{name}_input_model"] = {**body(doc_in, params), "title": f"{name}_input_model"}
    components[f"{name}_output_model"] = {**body(doc_out, {"type": "object"}),
                                          "title": f"{name}_output_model"}
    return f"{name}_input_model", f"{name}_output_model"


def _describe(operation: dict, endpoint: str, model: EndpointModels,
              components: dict[str, Any]) -> None:
    in_name, out_name = body_models(endpoint, model, components)
    operation["requestBody"] = {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{in_name}"}}}}
    responses = operation.setdefault("responses", {})
    responses["200"] = {"description": "Successful Response", "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{out_name}"}}}}
    responses["422"] = {"description": "Validation Error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}
    responses["500"] = {"description": "An executor raised: `detail` is the exception as "
                                       "Python writes it, `executor` the replica that raised"}
    responses["503"] = {"description": "An executor could not be reached"}
    responses["504"] = {"description": "An executor did not answer in time"}
    components.setdefault("HTTPValidationError", {
        "title": "HTTPValidationError", "type": "object",
        "properties": {"detail": {"title": "Detail", "type": "array",
                                  "items": {"type": "object"}}}})


def _component(schema: dict, components: dict[str, Any]) -> dict:
    """A `$ref` to `schema` among the components (its `$defs` hoisted beside it); a schema
    with another body under the same title gets a numbered name."""
    if not schema:
        return _ANY_DOC
    schema = copy.deepcopy(schema)
    for key, sub in sorted((schema.pop("$defs", None) or {}).items()):
        components.setdefault(key, _rewrite(sub))
    schema = _rewrite(schema)
    title = str(schema.get("title") or "Document")
    name, number = title, 1
    while name in components and components[name] != schema:
        number += 1
        name = f"{title}_{number}"
    components[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def _rewrite(value: Any) -> Any:
    """`#/$defs/X` references → `#/components/schemas/X`."""
    text = json.dumps(value)
    return json.loads(text.replace('"#/$defs/', '"#/components/schemas/'))
