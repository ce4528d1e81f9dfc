"""Phase 5 — resolve: the substituted Flow tree → `ResolvedFlow` (SPEC §1, §3).

Included files (Deployment YAML, Executor YAML, as the includes phase loaded them), `uses`
forms, aliases, the Flow `with:` pass-down, the `gateway:` section, defaults and the polling
table; every value keeps where it came from. Nothing here reads a file (py_modules are only
located). Compilation never imports user code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import precedence
from .diagnostics import Diagnostic, Related
from .imageref import IMAGE_HINT, image_problem
from .model import (Provenance, ResolvedEntry, ResolvedExecutor, ResolvedFlow, ResolvedGateway,
                    Value)
from .includes import Included
from .resolve_files import (USES_SCHEME, FileContext, err, executor_from_file, executor_inline,
                            py_module_list, resolve_py_modules, uses_file_text, value_of)
from .hubref import hub_hint
from .runtime_values import check_runtime_values
from .syntax import Mapping, Node, Scalar, Sequence, Span

# Alias → canonical key, for executor entries and the gateway section (SPEC appendix).
ALIASES: dict[str, str] = {
    "host_in": "host", "ports": "port", "protocols": "protocol", "no_reduce": "disable_reduce",
    "force": "force_update",
}
FLOW_ALIASES: dict[str, str] = {"deployments": "executors"}
# Jina 3.34's deprecated names of the gateway's port, in `gateway:` and the Flow's `with:`
# (the check phase warns, FC225).
GATEWAY_ALIASES: dict[str, str] = {"port_expose": "port", "port_in": "port"}

# Defaults of the entry keys the plan uses: (value, why). Shown by `flowc explain`.
ENTRY_DEFAULTS: dict[str, tuple[Any, str]] = {
    "shards": (1, "Jina's default"),
    "replicas": (1, "Jina's default"),
    "floating": (False, "Jina's default"),
    "disable_reduce": (False, "Jina's default"),
    "external": (False, "Jina's default"),
    "timeout_ready": (600_000, "Jina's default (ms)"),
    "retries": (-1, "Jina's default: -1 means max(3, replicas)"),
    "allow_concurrent": (False, "Jina's default"),
    "stateful": (False, "Jina's default"),
    "reload": (False, "Jina's default"),
    "restart": (False, "Jina's default"),
    "placement": ("process", "flowc's default: each executor in its own process"),
}
GATEWAY_DEFAULTS: dict[str, tuple[Any, str]] = {
    "protocol": (["grpc"], "Jina's default"),
    "host": ("0.0.0.0", "Jina's default"),
    "replicas": (1, "Jina's default"),
    "retries": (-1, "Jina's default: -1 means max(3, replicas)"),
}
# Jina's polling defaults (its head: `/search` ALL, every other endpoint ANY).
DEFAULT_POLLING: dict[str, str] = {"*": "ANY", "/search": "ALL"}
# The class a worker runs when `uses` is left out: Jina's pass-through base executor.
DEFAULT_JTYPE = "Executor"
_OVERRIDE_KEYS = tuple(precedence.OVERRIDES)


def resolve(root: Node, included: Included, *, path: str | Path, display: str | None = None,
            unknown_ok: bool = False) -> tuple[ResolvedFlow | None, list[Diagnostic]]:
    """Resolve a checked, substituted Flow tree and the files it includes. `path` is the Flow
    file (its directory is the base directory); `unknown_ok`: see `check_runtime_values`."""
    flow_path = Path(path).resolve()
    ctx = FileContext(display or str(path), flow_path.parent, flow_path.parent)
    diags: list[Diagnostic] = []
    if not isinstance(root, Mapping):
        return None, diags
    flow_with = _canonical(root.get("with"), FLOW_ALIASES | ALIASES | GATEWAY_ALIASES, ctx,
                           diags)
    common = {k: v for k, v in flow_with.items() if k not in precedence.FLOW_OWN_KEYS}
    if "py_modules" in common and common["py_modules"].node is not None:
        modules, more = resolve_py_modules(py_module_list(common["py_modules"].node), ctx)
        diags += more
        common["py_modules"] = Value(modules, common["py_modules"].provenance,
                                     common["py_modules"].node)
    flow_values = {k: v for k, v in flow_with.items() if k in precedence.FLOW_OWN_KEYS}
    name = _flow_name(flow_values.get("name"), flow_path, ctx)
    gateway = _gateway(root.get("gateway"), common, ctx, diags)

    items_node = _alias_node(root, FLOW_ALIASES, ctx, diags).get("executors")
    entries: list[ResolvedEntry] = []
    complete = True
    if isinstance(items_node, Sequence):
        for index, item in enumerate(items_node.items):
            entry = _entry_item(item, index, common, flow_values, ctx, included, diags)
            if entry is not None:
                entries.append(entry)
            else:
                complete = False
    flow = ResolvedFlow(name=name, source=ctx.display, base_dir=str(ctx.base_dir),
                        values=flow_values, gateway=gateway, entries=tuple(entries),
                        span=root.span, complete=complete)

    return flow, diags + check_runtime_values(flow, unknown_ok=unknown_ok)


# --- Flow and gateway -------------------------------------------------------------------------

def normalise_name(text: str) -> str:
    """A DNS-1123 label: lower case, `[a-z0-9-]`, no leading/trailing `-`, at most 63 chars."""
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower())
    label = re.sub(r"-{2,}", "-", label).strip("-")[:63].rstrip("-")
    return label or "flow"


def _flow_name(given: Value | None, flow_path: Path, ctx: FileContext) -> Value:
    if given is not None and isinstance(given.value, str) and given.value:
        label = normalise_name(given.value)
        if label == given.value:
            return given
        return Value(label, Provenance(given.provenance.kind, f"{given.provenance.detail}, "
                                       f"normalised from {given.value!r} to a DNS label",
                                       given.provenance.span), given.node)
    return Value(normalise_name(flow_path.stem),
                 Provenance("default", f"the Flow file's name `{flow_path.name}` as a DNS label"))


def _gateway(section: Node | None, common: dict[str, Value], ctx: FileContext,
             diags: list[Diagnostic]) -> ResolvedGateway:
    values = {k: _passed(v) for k, v in common.items() if k not in precedence.NOT_PASSED_TO_GATEWAY}
    for key, value in _canonical(section, ALIASES | GATEWAY_ALIASES, ctx, diags).items():
        values[key] = _merged(key, common[key], value) if key in values else value
    for key, (default, why) in GATEWAY_DEFAULTS.items():
        values.setdefault(key, Value(default, Provenance("default", why)))
    _protocol_ports(values, gateway=True, ctx=ctx, diags=diags)
    _check_image(values.get("image"), section.span if section is not None else None, ctx, diags)
    return ResolvedGateway(values)


def _passed(value: Value) -> Value:
    """A Flow `with:` value passed down; a substituted one keeps saying where it came from."""
    detail = "passed down from Flow `with:`"
    if value.provenance.kind != "file":
        detail += f", {value.provenance.detail}"
    return Value(value.value, Provenance("flow-with", detail, value.provenance.span), value.node)


def _merged(key: str, flow_value: Value, own: Value) -> Value:
    """A node's own value for a Flow `with:` key it sets too: merged over the Flow's for the keys
    of `precedence.PASS_DOWN_MERGE`, else its own alone (SPEC §3)."""
    if not precedence.merges(key, flow_value.value, own.value):
        return own
    inherited = _passed(flow_value)
    node = own.node
    if isinstance(inherited.node, Mapping) and isinstance(own.node, Mapping):
        node = _merge_nodes(inherited.node, own.node)  # every key's place, for the plan
    return Value(precedence.merge_passed_down(key, flow_value.value, own.value), own.provenance,
                 node, parts=(inherited, own))


def _merge_nodes(base: Node, over: Node) -> Node:
    """The syntax-tree twin of `precedence.merge_deep`: `over`'s keys win, recursively; a null
    changes nothing."""
    if not (isinstance(base, Mapping) and isinstance(over, Mapping)):
        return over
    items: list[tuple[Scalar, Node]] = []
    for key, child in base.items:
        mine = over.get(str(key.value))
        if mine is None or (isinstance(mine, Scalar) and mine.value is None):
            items.append((key, child))
        else:
            items.append((over.key_node(str(key.value)) or key, _merge_nodes(child, mine)))
    items += [(k, v) for k, v in over.items if str(k.value) not in base
              and not (isinstance(v, Scalar) and v.value is None)]
    return Mapping(tuple(items), over.span, over.tag)


# --- Entries ----------------------------------------------------------------------------------

def _entry_item(item: Node, index: int, common: dict[str, Value], flow_values: dict[str, Value],
                ctx: FileContext, included: Included, diags: list[Diagnostic]
                ) -> ResolvedEntry | None:
    """One item of `executors:`: an entry mapping, a Deployment file path, or an inline
    `jtype: Deployment` mapping."""
    args = (index, common, flow_values)
    if isinstance(item, Scalar) and isinstance(item.value, str):
        site = included.at(ctx, item)  # None: not included, and already reported why
        root = site.document.root if site is not None else None
        if not isinstance(root, Mapping):
            return None
        body = root.get("with")
        node = body if isinstance(body, Mapping) else Mapping((), root.span)
        return _entry(node, *args, site.ctx, included, item.span, diags)
    if isinstance(item, Mapping):
        jtype = item.get("jtype")
        if (isinstance(jtype, Scalar) and jtype.value == "Deployment") or item.tag == "!Deployment":
            body = item.get("with")
            node = body if isinstance(body, Mapping) else Mapping((), item.span)
            return _entry(node, *args, ctx, included, item.span, diags)
        return _entry(item, *args, ctx, included, item.span, diags)
    return None  # the check phase reported the wrong type


def _entry(node: Mapping, index: int, common: dict[str, Value], flow_values: dict[str, Value],
           ctx: FileContext, included: Included, span: Span, diags: list[Diagnostic]
           ) -> ResolvedEntry:
    values = _canonical(node, ALIASES, ctx, diags)
    for key, value in common.items():
        if key not in precedence.NOT_PASSED_TO_EXECUTORS:
            values[key] = _merged(key, value, values[key]) if key in values else _passed(value)
    for key, (default, why) in ENTRY_DEFAULTS.items():
        values.setdefault(key, Value(default, Provenance("default", why)))
    if "name" not in values:
        values["name"] = Value(f"executor{index}", Provenance(
            "default", f"Jina's default name for entry {index} of `executors:`"))
    if "workspace" not in values and "workspace" in flow_values:
        values["workspace"] = _passed(flow_values["workspace"])
    values["polling"] = _polling(values.get("polling"))
    gpus = values.get("gpus")
    if gpus is not None and not _is_count(gpus.value) and _known(gpus.node):
        diags.append(err("FC408", f"`gpus: {gpus.value}`: flowc needs a number of GPUs",
                         gpus.provenance.span or span, ctx,
                         hint="write a whole number such as `gpus: 1`"))
    _check_image(values.get("image"), span, ctx, diags)
    if "protocol" in values:
        _protocol_ports(values, gateway=False, ctx=ctx, diags=diags)

    modules, more = resolve_py_modules(py_module_list(node.get("py_modules")), ctx)
    diags += more
    if "py_modules" not in node and "py_modules" in values:  # passed down, already resolved
        modules = list(values["py_modules"].value)
    elif modules:
        values["py_modules"] = Value(modules, values["py_modules"].provenance,
                                     values["py_modules"].node)
    overrides = {k: values[k] for k in _OVERRIDE_KEYS if k in values}
    uses = _Uses(ctx, included, modules, diags, span)
    executor = uses.resolve(node.get("uses"), overrides)
    before = uses.resolve(node.get("uses_before"), {}, optional=True)
    after = uses.resolve(node.get("uses_after"), {}, optional=True)
    _external(values, ctx, span, diags)

    needs_node = node.get("needs")
    needs, needs_spans = None, ()
    if isinstance(needs_node, Scalar) and needs_node.value is not None and needs_node.known:
        needs, needs_spans = (str(needs_node.value),), (needs_node.span,)
    elif isinstance(needs_node, Sequence):  # an unknown name (--allow-undefined) is left out
        scalars = [n for n in needs_node.items if isinstance(n, Scalar) and n.known]
        needs = tuple(str(n.value) for n in scalars)
        needs_spans = tuple(n.span for n in scalars)
    name_node = node.get("name")
    return ResolvedEntry(
        name=str(values["name"].value), index=index, span=span,
        name_span=name_node.span if name_node is not None else span, values=values,
        executor=executor or ResolvedExecutor(kind="class", jtype=None, span=span),
        uses_before=before, uses_after=after, needs=needs, needs_spans=needs_spans,
        include_chain=ctx.chain)


def _is_count(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and value >= 0) or (isinstance(value, str) and value.isdigit())


def _polling(given: Value | None) -> Value:
    """The effective polling table (SPEC §4): Jina's defaults; plain `ALL` means every endpoint."""
    if given is None:
        return Value(dict(DEFAULT_POLLING), Provenance(
            "default", "Jina's default: /search ALL, every other endpoint ANY"))
    if isinstance(given.value, str):
        mode = given.value.upper()
        table = {"*": mode} if mode != "ANY" else {**DEFAULT_POLLING}
        return Value(table, given.provenance, given.node)
    if isinstance(given.value, dict):
        table = {**DEFAULT_POLLING, **{str(k): str(v).upper() for k, v in given.value.items()}}
        return Value(table, given.provenance, given.node)
    return given


@dataclass(frozen=True)
class _Uses:
    """What an entry's `uses` (`uses_before`, `uses_after`) names."""

    ctx: FileContext
    included: Included
    modules: list[str]
    diags: list[Diagnostic]
    entry_span: Span

    def resolve(self, node: Node | None, overrides: dict[str, Value], optional: bool = False
                ) -> ResolvedExecutor | None:
        """The four `uses` forms: class name, Executor file, inline mapping, `docker://image`."""
        ctx, modules, diags = self.ctx, self.modules, self.diags
        if node is None or (isinstance(node, Scalar) and node.value is None):
            if optional:
                return None
            return ResolvedExecutor(kind="class", jtype=DEFAULT_JTYPE, span=self.entry_span,
                                    py_modules=tuple(modules), overrides=overrides)
        if isinstance(node, Mapping):
            executor, more = executor_inline(node, ctx, overrides, modules)
            diags += more
            return executor
        if not isinstance(node, Scalar) or not isinstance(node.value, str) or not node.known:
            return None  # reported: its substitution error, or FC415 (runtime_values.py)
        if uses_file_text(node, ctx) is not None:
            site = self.included.at(ctx, node)
            if site is None:
                return None  # not included: the includes phase said why
            executor, more = executor_from_file(site, node.span, overrides, modules)
            diags += more
            return executor
        text = node.value.strip()
        scheme = USES_SCHEME.match(text)
        if scheme:
            if scheme.group(1).lower() == "docker":
                problem = image_problem(scheme.group(2))
                if problem:
                    diags.append(err("FC409", f"`uses: {text}` is not a valid image reference: "
                                              f"{problem}", node.span, ctx, hint=IMAGE_HINT))
                    return None
                return ResolvedExecutor(kind="docker", jtype=None, span=node.span,
                                        image=scheme.group(2), overrides=overrides)
            diags.append(err("FC405", f"`uses: {text}` is not supported by flowc", node.span,
                             ctx, hint=hub_hint(text, node.span.file)))
            return None
        if text.isidentifier():
            return ResolvedExecutor(kind="class", jtype=text, span=node.span,
                                    py_modules=tuple(modules), overrides=overrides)
        diags.append(err("FC405", f"`uses: {text}` is neither a class name nor the path of an "
                                  f"Executor YAML file", node.span, ctx,
                         hint="a class name is an identifier (`MyExecutor`, found through "
                              "`py_modules`); an Executor file path ends in .yml or .yaml"))
        return None


def _check_image(value: Value | None, span: Span | None, ctx: FileContext,
                 diags: list[Diagnostic]) -> None:
    """`image:` must be a reference Docker accepts (a target also wants it pinned: FC704)."""
    if value is None or not isinstance(value.value, str) or not _known(value.node):
        return  # not set, a runtime reference, or unknown (--allow-undefined)
    problem = image_problem(value.value)
    if problem:
        diags.append(err("FC409", f"`image: {value.value}` is not a valid image reference: "
                                  f"{problem}",
                         value.provenance.span or span, ctx, hint=IMAGE_HINT))


def _protocol_ports(values: dict[str, Value], *, gateway: bool, ctx: FileContext,
                    diags: list[Diagnostic]) -> None:
    """`protocol` in lower case, as a list; `port` lists one port per protocol (as in Jina).
    An entry's single protocol may keep a port list (one port per replica, as before)."""
    proto = values["protocol"]
    if not isinstance(proto.value, (list, str)):
        return  # a wrong type: the check phase reported it
    protocols = [str(p).lower() for p in (proto.value if isinstance(proto.value, list)
                                          else [proto.value])]
    values["protocol"] = Value(protocols, proto.provenance, proto.node)
    port = values.get("port")
    if port is None or not _known(port.node) or not _known(proto.node):
        return
    ports = port.value if isinstance(port.value, list) else [port.value]
    if len(ports) != len(protocols) and (gateway or len(protocols) > 1):
        where = "the gateway" if gateway else f"`{values['name'].value}`" \
            if "name" in values else "this entry"
        diags.append(err(
            "FC410", f"{where} lists {len(protocols)} protocol(s) ({', '.join(protocols)}) and "
                     f"{len(ports)} port(s)", port.provenance.span, ctx,
            related=(Related(proto.provenance.span, "protocols listed here"),)
            if proto.provenance.span is not None else ()))


def _known(node: Node | None) -> bool:
    """False for a value only the worker knows (a secret), one `--allow-undefined` left
    unresolved, or one whose substitution failed (already reported)."""
    return not isinstance(node, Scalar) or node.known


def _external(values: dict[str, Value], ctx: FileContext, span: Span,
              diags: list[Diagnostic]) -> None:
    """`external: true` entries must say where they are (host and port, or grpc://host:port)."""
    if values["external"].value is not True or any(
            not _known(values[k].node) for k in ("host", "port", "tls") if k in values):
        return  # an unknown address is FC415 (runtime_values.py)
    from .addresses import parse_addresses  # 1 ms, only `external: true` entries need it

    addresses, problem = parse_addresses(values.get("host"), values.get("port"),
                                         values.get("tls"))
    if problem:
        where = values.get("host") or values.get("port") or values["external"]
        diags.append(err("FC407", problem, where.provenance.span or span, ctx))
        return
    values["external_addresses"] = Value(addresses, Provenance(
        "file", "from `host`/`port`/`tls`", (values.get("host") or values["external"]).provenance.span))


# --- Aliases ----------------------------------------------------------------------------------

def _alias_node(node: Mapping, aliases: dict[str, str], ctx: FileContext,
                diags: list[Diagnostic]) -> Mapping:
    """`node` with alias keys renamed (a key and its alias both present: FC404)."""
    if not any(k in aliases for k in node.keys()):
        return node
    items = []
    for key, value in node.items:
        canonical = aliases.get(str(key.value))
        if canonical is None:
            items.append((key, value))
            continue
        first = node.key_node(canonical)
        if first is not None:
            diags.append(err("FC404", f"`{key.value}` is an alias of `{canonical}`, which is "
                                      f"also set", key.span, ctx,
                             related=(Related(first.span, f"`{canonical}` set here"),)))
            continue
        items.append((Scalar(canonical, key.span, key.style, key.tag, key.origin), value))
    return Mapping(tuple(items), node.span, node.tag)


def _canonical(node: Node | None, aliases: dict[str, str], ctx: FileContext,
               diags: list[Diagnostic]) -> dict[str, Value]:
    """Values of a mapping keyed by canonical key, each with its provenance."""
    if not isinstance(node, Mapping):
        return {}
    node = _alias_node(node, aliases, ctx, diags)
    return {str(k.value): value_of(v, ctx) for k, v in node.items
            if not (isinstance(v, Scalar) and v.value is None)}  # null: not set, as in Jina
