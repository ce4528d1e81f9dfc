"""Phase 7 — plan: `ResolvedFlow` + `FlowGraph` → `Plan` (the target-neutral, versioned IR).

Only copies finished values into the plan's dataclasses: every decision (precedence, pass-down,
defaults, polling, needs) was taken by resolve and graph, so this module has no rules of its own
beyond shaping values (env values as strings, protocols lower case).

Places (`source`, `location`, `sources`) are relative to the Flow file's directory, like every
path in the plan: the plan is written into artifacts, which must not depend on how the Flow
file was named on the command line (`flows/a.yml` or `/home/me/flows/a.yml`). The CLI puts the
directory back in front when it reports a target's diagnostics.
"""

from __future__ import annotations

import posixpath
from dataclasses import fields
from pathlib import Path
from typing import Any

from .graph import FlowGraph
from .model import (GatewayFields, ResolvedEntry, ResolvedExecutor, ResolvedFlow,
                    ResolvedGateway, Value)
from .plan import (OBSERVABILITY_KEYS, Address, Deployment, ExecutorRef, FlowInfo, Gateway,
                   Plan, Resources, SecretRef, TEMPLATE_KEY, TEMPLATE_QUOTED_KEY)
from .positions import position_text
from .syntax import Mapping, Node, Scalar, Sequence, Span

# Gateway keys the plan has fields for; every other gateway key is passed through in `options`.
_GATEWAY_FIELDS = frozenset(f.name for f in fields(GatewayFields))
# Gateway keys that only matter to the compiler (never passed through); `jcloud` is JCloud's.
_GATEWAY_DROPPED = frozenset({"timeout_ready", "placement", "jcloud"})
# Keys whose place (and their nested keys' places) the plan keeps in `sources`: the ones targets
# validate, so a target error points at the key the user wrote, not at the entry.
_LOCATED = ("env", "env_from_secret", "host", "image", "image_pull_secrets", "resources",
            "service_account", "targets", "uses", "uses_after", "uses_before")
_LOCATED_DEPTH = 4  # `/targets/k8s/labels/KEY` is the deepest key a target checks


def make_plan(flow: ResolvedFlow, graph: FlowGraph) -> Plan:
    """The plan of a resolved Flow whose graph checks passed."""
    folder = posixpath.dirname(Path(flow.source).as_posix()) if flow.source else ""
    base = posixpath.normpath(folder) if folder else ""
    return Plan(
        flow=FlowInfo(name=flow.name.value, source=Path(flow.source).name,
                      workspace=flow.get("workspace"), env=_env(flow.get("env")),
                      location=position_text(flow.span, base)),
        gateway=_gateway(flow.gateway, flow.source, base),
        deployments=tuple(_deployment(e, graph, base) for e in flow.entries),
        responders=graph.responders,
    )


def _gateway(gw: ResolvedGateway, flow_file: str | None, base: str) -> Gateway:
    options = {k: v.value for k, v in sorted(gw.values.items())
               if k not in _GATEWAY_FIELDS and k not in _GATEWAY_DROPPED}
    f = gw.fields
    return Gateway(
        name=str(f.name or "gateway"),
        protocols=f.protocol,
        ports=f.port,
        host=str(f.host),
        replicas=f.replicas,
        env=_env(f.env),
        env_from_secret=_secrets(f.env_from_secret),
        timeout_send=f.timeout_send,
        retries=f.retries,
        image=f.image,
        resources=_resources(f.resources, f.gpus),
        service_account=f.service_account,
        options=options,
        observability=_observability(f),
        targets=dict(f.targets or {}),
        sources=_sources(gw.values, flow_file, base),
    )


def _deployment(entry: ResolvedEntry, graph: FlowGraph, base: str) -> Deployment:
    f = entry.fields
    external = tuple(Address(**a) for a in f.external_addresses)
    return Deployment(
        name=entry.name,
        executor=_executor(entry.executor),
        needs=graph.needs.get(entry.name, ()),
        shards=f.shards,
        replicas=f.replicas,
        polling=dict(f.polling),
        uses_before=_executor(entry.uses_before) if entry.uses_before else None,
        uses_after=_executor(entry.uses_after) if entry.uses_after else None,
        when=f.when,
        floating=f.floating,
        disable_reduce=f.disable_reduce,
        external=external,
        workspace=f.workspace,
        env=_env(f.env),
        env_from_secret=_secrets(f.env_from_secret),
        timeout_ready=f.timeout_ready,
        timeout_send=f.timeout_send,
        retries=f.retries,
        allow_concurrent=f.allow_concurrent,
        exit_on_exceptions=f.exit_on_exceptions,
        image=f.image,
        resources=_resources(f.resources, f.gpus),
        service_account=f.service_account,
        image_pull_secrets=f.image_pull_secrets,
        volumes=f.volumes,
        placement=f.placement,
        stateful=f.stateful,
        raft_configuration=dict(f.raft_configuration or {}) if f.stateful else {},
        reload=f.reload,
        restart=f.restart,
        ports=() if external else f.port,
        grpc_server_options=dict(f.grpc_server_options or {}),
        observability={} if external else _observability(f),
        targets=dict(f.targets or {}),
        source=position_text(entry.span, base),
        sources=_sources(entry.values, entry.span.file if entry.span else None, base),
    )


def _observability(f: Any) -> dict:
    """The observability keys that were given (`false` and unset keys left out), so a plan
    without monitoring or tracing is unchanged by them."""
    given = {k: getattr(f, k) for k in OBSERVABILITY_KEYS}
    return {k: v for k, v in given.items() if v is not None and v is not False}


def _executor(ex: ResolvedExecutor) -> ExecutorRef:
    overrides = {k: dict(_mark_quoted(v.value, v.node) or {}) for k, v in ex.overrides.items()}
    config = ex.config
    if isinstance(config, dict) and ex.file_values:
        config = dict(config)
        for key, v in ex.file_values.items():
            if key in config:
                config[key] = _mark_quoted(config[key], v.node)
    return ExecutorRef(
        kind=ex.kind, jtype=ex.jtype, path=ex.path, config=config, image=ex.image,
        py_modules=ex.py_modules,
        uses_with=overrides.get("uses_with", {}),
        uses_metas=overrides.get("uses_metas", {}),
        uses_requests=overrides.get("uses_requests", {}),
        uses_dynamic_batching=overrides.get("uses_dynamic_batching", {}),
    )


def _mark_quoted(value: Any, node: Node | None) -> Any:
    """`value` with `"quoted": true` added to each runtime reference whose scalar was written
    quoted (or block, or `!!str`): the worker must render it as a string (SPEC §2 types).
    `node` is the tree the value was read from; where the shapes differ, values are kept."""
    if isinstance(value, dict):
        if TEMPLATE_KEY in value:
            if isinstance(node, Scalar) and (node.quoted or node.tag == "!!str"):
                return {**value, TEMPLATE_QUOTED_KEY: True}
            return value
        if isinstance(node, Mapping):
            return {k: _mark_quoted(v, node.get(str(k))) for k, v in value.items()}
        return value
    if isinstance(value, list) and isinstance(node, Sequence):
        return [_mark_quoted(v, node.items[i] if i < len(node.items) else None)
                for i, v in enumerate(value)]
    return value


def _sources(values: dict[str, Value], base_file: str | None, base: str) -> dict[str, str]:
    """{JSON pointer: place} for the `_LOCATED` keys that were written (a value's own place for
    a top-level key, the key's place for a nested one). Kept small, since the plan is shipped
    (a ConfigMap holds 1 MiB): a place in `base_file` (the entry's own file) is `line:col`,
    and a key written where its nearest recorded parent is is left out (targets fall back to
    the parent, which gives the same place)."""
    out: dict[str, str] = {}

    def record(pointer: str, span: Span | None, parent: Span | None) -> Span | None:
        if span is None or span.line <= 0:
            return parent
        if parent is not None and (span.file, span.line, span.col) == (
                parent.file, parent.line, parent.col):
            return parent
        out[pointer] = position_text(span, base, local_file=base_file)
        return span

    for key in _LOCATED:
        value = values.get(key)
        if value is None or value.provenance.kind == "default":
            continue
        node = value.node
        top = "/" + _pointer_part(key)
        placed = record(top, node.span if node is not None else value.provenance.span, None)
        if placed is None or node is None:
            continue
        stack: list[tuple[str, Node, Span, int]] = [(top, node, placed, 1)]
        while stack:
            path, current, parent, depth = stack.pop()
            if depth > _LOCATED_DEPTH:
                continue
            if isinstance(current, Mapping):
                children = [(str(k.value), k.span, v) for k, v in current.items]
            elif isinstance(current, Sequence):
                children = [(str(i), v.span, v) for i, v in enumerate(current.items)]
            else:
                continue
            for name, span, child in children:
                inner = f"{path}/{_pointer_part(name)}"
                stack.append((inner, child, record(inner, span, parent) or parent, depth + 1))
    return dict(sorted(out.items()))


def _pointer_part(text: str) -> str:
    """One JSON pointer (RFC 6901) step: `~` and `/` escaped (label keys hold `/`)."""
    return text.replace("~", "~0").replace("/", "~1")


def _env(value: Any) -> dict:
    """Environment values are strings (YAML 1.2 spelling for booleans and null); a secret
    template stays a template."""
    out = {}
    for key, v in (value or {}).items():
        if isinstance(v, dict) and TEMPLATE_KEY in v:
            out[str(key)] = v
        elif isinstance(v, bool):
            out[str(key)] = "true" if v else "false"
        elif v is None:
            out[str(key)] = ""
        else:
            out[str(key)] = str(v)
    return out


def _secrets(value: Any) -> dict:
    return {str(var): SecretRef(name=str(ref.get("name")), key=str(ref.get("key")))
            for var, ref in (value or {}).items() if isinstance(ref, dict)}


def _resources(value: Any, gpus: Any) -> Resources:
    value = value or {}
    return Resources(requests=_quantities(value.get("requests")),
                     limits=_quantities(value.get("limits")),
                     gpus=int(gpus) if isinstance(gpus, int) or (
                         isinstance(gpus, str) and gpus.isdigit()) else 0)


def _quantities(value: Any) -> dict:
    return {str(k): str(v) for k, v in (value or {}).items()}
