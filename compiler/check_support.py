"""Warnings for keys and values flowc accepts but does not implement, read from the schemas.

The schemas mark such keys with custom annotations (data, not code):

- `"x-flowc-support": "unsupported"` — a Jina key flowc ignores (FC220);
- `"x-flowc-support": "legacy"` — an old Jina key, ignored (FC223);
- `"x-flowc-support": "unknown"` on `additionalProperties` — any other key is accepted with a
  warning, as Jina does for `metas` (FC222);
- `"x-flowc-support-unless": KEY` — unsupported unless the sibling KEY is true (`tls` is only
  for `external: true` entries) (FC220);
- `"x-flowc-unsupported-values": [...]` — values accepted but not implemented yet, compared
  case-insensitively (`protocol: HTTP`) (FC221).
- `"x-flowc-hint": TEXT` — the hint of that key's FC220 warning, when the general one says too
  little;
- `"x-flowc-deprecated": NEW` — a deprecated alias Jina 3.34 still honours (`port_expose`);
  accepted as NEW, with a warning giving the new spelling (FC225).

One warning is about a value combination rather than a key: `restart: true` on an entry with no
Executor YAML for `flowc run` to watch (FC224).

The walk follows the tree and the schema together: `$ref` (relative file references, as in the
files), `allOf`, the `anyOf`/`oneOf` branches whose type fits the node, and `if`/`then`/`else`
for the `if` forms the schemas use (on `type` and `jtype`). Expansions depend only on the
schema, the node's YAML type and the `jtype` it names, so they are cached.
"""

from __future__ import annotations

import functools
from typing import Any, Iterator

from flowc.schemas import load_schema, resolve_ref

from .diagnostics import CATALOGUE, Diagnostic, warning
from .suggest import did_you_mean, listing
from .syntax import Mapping, Node, Scalar, Sequence

Part = tuple[dict, str]  # a concrete subschema and the file its relative `$ref`s start from


@functools.cache
def _file(name: str) -> dict:
    return load_schema(name.removesuffix(".schema.json"))


@functools.cache
def _lookup(ref: str, base: str) -> tuple[Any, str]:
    return resolve_ref(ref, base)


def _yaml_type(node: Node) -> str:
    if isinstance(node, Mapping):
        return "object"
    if isinstance(node, Sequence):
        return "array"
    value = node.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return "string"


def _fits(schema: Any, base: str, node: Node) -> bool:
    """Whether the node's type is one the (sub)schema allows, looking through `$ref`s."""
    if not isinstance(schema, dict):
        return schema is not False
    if "$ref" in schema and "type" not in schema:
        target, file = _lookup(schema["$ref"], base)
        return _fits(target, file, node)
    kinds = schema.get("type")
    if kinds is None:
        branches = schema.get("anyOf") or schema.get("oneOf")
        return any(_fits(b, base, node) for b in branches) if branches else True
    kinds = [kinds] if isinstance(kinds, str) else kinds
    have = _yaml_type(node)
    return have in kinds or (have == "integer" and "number" in kinds)


def _jtype_of(node: Node) -> str | None:
    """The `jtype` a mapping names (its key, or a local tag `!Name`), else None."""
    if not isinstance(node, Mapping):
        return None
    value = node.get("jtype")
    if isinstance(value, Scalar):
        return str(value.value)
    tag = node.tag
    if tag and tag.startswith("!") and not tag.startswith("!!") and len(tag) > 1:
        return tag[1:]
    return None


def _holds(condition: dict, jtype: str | None, kind: str) -> bool:
    """The `if` forms the schemas use: `type`, `required: [jtype]`, `properties: {jtype:
    {const: X}}`. Any other form counts as not holding."""
    if set(condition) - {"type", "required", "properties"}:
        return False
    if "type" in condition:
        kinds = condition["type"] if isinstance(condition["type"], list) else [condition["type"]]
        if kind not in kinds:
            return False
    if any(key != "jtype" for key in condition.get("required", ())):
        return False
    if condition.get("required") and jtype is None:
        return False
    for key, sub in condition.get("properties", {}).items():
        if key != "jtype" or set(sub) != {"const"}:
            return False
        if jtype is not None and jtype != sub["const"]:
            return False
    return True


def _expand(schema: Any, base: str, node: Node) -> tuple[Part, ...]:
    """The concrete subschemas that apply to `node` (cached by schema and node shape)."""
    if not isinstance(schema, dict):
        return ()
    kind, jtype = _yaml_type(node), _jtype_of(node)
    key = (id(schema), base, kind, jtype)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = tuple(_expand_all(schema, base, node, kind, jtype))
    return found


_CACHE: dict[tuple, tuple[Part, ...]] = {}


def _expand_all(schema: Any, base: str, node: Node, kind: str, jtype: str | None
                ) -> Iterator[Part]:
    if not isinstance(schema, dict):
        return
    yield schema, base
    if "$ref" in schema:
        target, file = _lookup(schema["$ref"], base)
        yield from _expand_all(target, file, node, kind, jtype)
    for sub in schema.get("allOf", ()):
        yield from _expand_all(sub, base, node, kind, jtype)
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key, ()):
            if _fits(branch, base, node):
                yield from _expand_all(branch, base, node, kind, jtype)
    if "if" in schema:
        holds = _holds(schema["if"], jtype, kind)
        branch = schema.get("then") if holds else schema.get("else")
        if branch is not None:
            yield from _expand_all(branch, base, node, kind, jtype)


def _truthy(node: Node | None) -> bool:
    return isinstance(node, Scalar) and node.value is True


class _Walk:
    def __init__(self, skip: set[tuple]) -> None:
        self.skip = skip
        self.diags: list[Diagnostic] = []

    def node(self, node: Node, schema: Any, base: str, path: tuple) -> None:
        parts = _expand(schema, base, node)
        if isinstance(node, Scalar):
            self.values(node, parts, path)
        elif isinstance(node, Sequence):
            for index, item in enumerate(node.items):
                for part, file in parts:
                    if "items" in part:
                        self.node(item, part["items"], file, path + (index,))
        else:
            self.mapping(node, parts, path)

    def values(self, node: Scalar, parts: tuple[Part, ...], path: tuple) -> None:
        for part, _ in parts:
            banned = part.get("x-flowc-unsupported-values")
            if banned and isinstance(node.value, str) and node.value.upper() in banned \
                    and path not in self.skip:
                self.diags.append(warning(
                    "FC221", f"`{_last_key(path)}: {node.value}` is not supported by flowc yet",
                    node.span, hint="the value is accepted so Jina files load; flowc "
                                    "treats it as absent"))
                return

    def mapping(self, node: Mapping, parts: tuple[Part, ...], path: tuple) -> None:
        props: dict[str, list[Part]] = {}
        extra: list[Part] = []
        for part, file in parts:
            for key, sub in part.get("properties", {}).items():
                props.setdefault(key, []).append((sub, file))
            more = part.get("additionalProperties")
            if isinstance(more, dict):
                extra.append((more, file))
        for key_node, value in node.items:
            key = str(key_node.value)
            here = path + (key,)
            subs = props.get(key) or extra
            if not subs or here in self.skip:
                continue
            self.key(node, key_node, key, subs, here, props)
            for sub, file in subs:
                self.node(value, sub, file, here)

    def key(self, node: Mapping, key_node: Scalar, key: str, subs: list[Part], here: tuple,
            props: dict[str, list[Part]]) -> None:
        marks: dict[str, Any] = {}
        for sub, file in subs:
            for part, _ in _expand(sub, file, _value(node, key, key_node)):
                for mark in ("x-flowc-support", "x-flowc-support-unless", "x-flowc-deprecated",
                             "x-flowc-hint"):
                    if mark in part:
                        marks.setdefault(mark, part[mark])
        support = marks.get("x-flowc-support")
        unless = marks.get("x-flowc-support-unless")
        span = key_node.span
        renamed = marks.get("x-flowc-deprecated")
        if renamed is not None:
            self.diags.append(warning(
                "FC225", f"`{key}` is a deprecated Jina alias of `{renamed}`; flowc reads it as "
                         f"`{renamed}`", span, hint=f"write `{renamed}` instead of `{key}`"))
        if support == "unsupported":
            self.diags.append(warning(
                "FC220", f"`{key}` is not supported by flowc yet; it is ignored", span,
                hint=marks.get("x-flowc-hint")
                or "remove it, or keep it for Jina; flowc behaves as if it were not there"))
        elif support == "legacy":
            self.diags.append(warning(
                "FC223", f"`{key}` is a legacy Jina key; flowc ignores it", span))
        elif support == "unknown":
            known = listing(props)
            hint = did_you_mean(key, props) or (f"known keys: {known}" if known else None)
            self.diags.append(warning(
                "FC222", f"unknown key `{key}` in `{_last_key(here[:-1])}`; Jina ignores it, "
                         "and so does flowc", span, hint=hint))
        elif unless is not None and not _truthy(node.get(unless)):
            self.diags.append(warning(
                "FC220", f"`{key}` is only supported together with `{unless}: true`; "
                         "it is ignored here", span))


def _value(node: Mapping, key: str, key_node: Scalar) -> Node:
    value = node.get(key)
    return value if value is not None else key_node


def _last_key(path: tuple) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "value"


# Keys of a lone Deployment its gateway serves when it speaks HTTP or WebSocket (Jina's
# Deployment serves them itself; flowc's gateway in front of it does, on the same ports).
SERVED_BY_GATEWAY = ("protocol", "protocols", "port", "ports", "title", "description", "cors",
                     "uvicorn_kwargs", "ssl_certfile", "ssl_keyfile")


def speaks_web(body: Node | None) -> bool:
    """Whether a Deployment's `with:` names HTTP or WebSocket among its protocols."""
    if not isinstance(body, Mapping):
        return False
    protocol = body.get("protocol") or body.get("protocols")
    values = protocol.items if isinstance(protocol, Sequence) else (protocol,)
    return any(isinstance(v, Scalar) and str(v.value).lower() in ("http", "websocket")
               for v in values)


def gateway_served_paths(root: Node) -> set[tuple]:
    """The `with:` keys of a lone Deployment that its gateway serves (no FC220 for them)."""
    body = root.get("with") if isinstance(root, Mapping) else None
    if not speaks_web(body):
        return set()
    return {("with", key) for key in SERVED_BY_GATEWAY}


def support_warnings(root: Node, kind: str, *, skip: set[tuple] = frozenset()) -> list[Diagnostic]:
    """Warnings for unsupported, legacy and unknown-but-tolerated keys and values in `root`.

    Paths in `skip` already have an error; they get no warning on top of it.
    """
    walk = _Walk(set(skip))
    file = f"{kind}.schema.json"
    walk.node(root, _file(file), file, ())
    return walk.diags + restart_warnings(root, kind)


YAML_SUFFIXES = (".yml", ".yaml")


def _entries(root: Node, kind: str) -> Iterator[Mapping]:
    """The entry mappings of a Flow written in its own file: `executors:` items, and the
    `with:` of inline `jtype: Deployment` items. A Deployment file's entry is left out: the
    Deployment file itself is what `restart` watches there."""
    if kind != "flow" or not isinstance(root, Mapping):
        return
    for key in ("executors", "deployments"):
        items = root.get(key)
        for item in items.items if isinstance(items, Sequence) else ():
            if isinstance(item, Mapping) and _jtype_of(item) == "Deployment":
                item = item.get("with")
            if isinstance(item, Mapping):
                yield item


def _nothing_to_watch(entry: Mapping) -> str | None:
    """Why `restart` has no Executor YAML to watch on `entry`, or None when it has one (or
    cannot be known yet: a value still to be substituted)."""
    if _truthy(entry.get("external")):
        return "the entry is `external: true`: flowc does not start it"
    uses = entry.get("uses")
    if uses is None:
        return "the entry has no `uses` (it runs the base Executor)"
    if isinstance(uses, Mapping):
        return "`uses` is an inline Executor mapping"
    if not isinstance(uses, Scalar) or not isinstance(uses.value, str) or "$" in uses.value:
        return None
    if uses.value.startswith("docker://"):
        return "`uses` is a docker:// image"
    if uses.value.lower().endswith(YAML_SUFFIXES):
        return None
    return f"`uses: {uses.value}` names a class"


def restart_warnings(root: Node, kind: str) -> list[Diagnostic]:
    """FC224: `restart: true` where there is no Executor YAML file for `flowc run` to watch."""
    diags = []
    for entry in _entries(root, kind):
        found = next(((k, v) for k, v in entry.items if k.value == "restart"), None)
        if found is None or not _truthy(found[1]):
            continue
        why = _nothing_to_watch(entry)
        if why is not None:
            diags.append(warning(
                "FC224", f"`restart: true` has no Executor YAML to watch: {why}", found[0].span,
                hint=CATALOGUE["FC224"].default_hint))
    return diags
