"""Phase 4 — check: the syntax tree against flowc's JSON Schemas, reported in the user's words.

jsonschema finds the errors; this module decides which to show and how:

- every error is mapped from its instance path to the node the user wrote (an unknown key points
  at the key itself), and each place keeps one best error, so a mistake never cascades;
- `anyOf` errors are narrowed to the branch that matches the value's type, and that branch's
  most specific error is shown ("is not valid under any of the given schemas" never is);
- messages use YAML words (`a mapping`, `a list`, `an integer ≥ 1`), unknown keys get a
  did-you-mean;
- the driver checks each document once, after substitution (`substituted=True`): a value
  substitution could not make known (a secret, `--allow-undefined`, a failed form) is not
  type-checked, and an error at a substituted value names where it came from. An Executor file,
  which the worker substitutes, is checked as written: a scalar holding a form (`$`) is skipped;
- keys that Jina accepts but flowc does not implement are annotated in the schemas
  (`x-flowc-support`) and turn into warnings here (data, not code; see check_support.py).

Checks the schema cannot express live here too: the format `version` (only major 1), a leading
tag `!Name` against `jtype`, and `executors` beside its alias `deployments`; the query language
of `when` filters is checked in check_when.py.

A valid document never imports jsonschema: `fastcheck` (validators generated from the same
schema files) answers "valid?" first; only a "no" brings jsonschema in to find and describe the
errors. jsonschema is imported, and each validator built, lazily and once per process; validators use
`flowc.schemas.inlined(kind)` (the same schema with its `$ref`s expanded), which is several times
faster on large Flows than resolving references while validating.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from flowc.schemas import inlined, load_schema, registry

from . import fastcheck
from .check_messages import describe, got, where
from .check_shapes import shape_errors
from .check_support import gateway_served_paths, support_warnings
from .check_when import when_diagnostics
from .diagnostics import Diagnostic, Related, error, normalise
from .suggest import did_you_mean, listing
from .syntax import Mapping, Node, Scalar, Sequence, Span, child, locate

__all__ = ["KINDS", "detect_kind", "check", "plain"]

KINDS: tuple[str, ...] = ("flow", "deployment", "executor", "gateway")
_FLOW_KEYS = ("executors", "deployments", "gateway")
_EXECUTOR_KEYS = ("metas", "requests", "dynamic_batching", "components")
# Top-level keys only a Gateway file has (Jina's gateway runtime keys, jaml/parsers/gateway).
_GATEWAY_KEYS = ("timeout_send", "retries", "prefetch", "compression")
_JTYPE_HOLDERS = ("uses", "uses_before", "uses_after")
# Jina's old names that Jina 3.34 no longer reads (it ignores them with a "renamed" tip,
# jina/parsers/deprecated.py): flowc refuses them (FC201) and names the new spelling. The old
# names Jina 3.34 still reads are accepted with FC225 (`x-flowc-deprecated` in the schemas).
RENAMED: dict[str, str] = {
    "override_with": "`uses_with`", "override_metas": "`uses_metas`",
    "override_requests": "`uses_requests`", "https": "`tls`",
    "parallel": "`shards` (to divide the data) or `replicas` (to copy the executor)",
    "pods": "`executors` (Jina 3 drops every executor listed under `pods:`)",
}


# --- document kind --------------------------------------------------------------------------

def _tag_name(node: Node) -> str | None:
    """The jtype a local tag names (`!Flow` → 'Flow'); standard tags (`!!map`) name none."""
    tag = node.tag
    if tag and tag.startswith("!") and not tag.startswith("!!") and len(tag) > 1:
        return tag[1:]
    return None


def _jtype(node: Node) -> str | None:
    if isinstance(node, Mapping):
        value = node.get("jtype")
        if isinstance(value, Scalar) and isinstance(value.value, str):
            return value.value
    return None


def detect_kind(root: Node) -> str:
    """`flow`, `deployment`, `executor` or `gateway`, from `jtype` (or a leading tag `!Name`).

    When a tag and a different `jtype` disagree (check() reports FC208), neither is trusted: the
    document's sections decide, as if it named no kind. Any other class name is an Executor file,
    unless the document has a Flow's sections (then it is a Flow whose `jtype` is misspelt,
    which the schema reports) or a Gateway file's top-level runtime keys (`timeout_send`,
    `retries`, `prefetch`, `compression`: a custom gateway class's file). Without either, a
    document with an Executor file's sections (`metas`, `requests`, ...) is an Executor file, and
    anything else a Flow.
    """
    jtype, tag = _jtype(root), _tag_name(root)
    if jtype is not None and tag is not None and jtype != tag and "$" not in jtype:
        return _kind_by_sections(root, jtype)
    name = jtype or tag
    if name == "Flow":
        return "flow"
    if name == "Deployment":
        return "deployment"
    if name == "Gateway":
        return "gateway"
    if isinstance(root, Mapping) and any(k in root for k in _FLOW_KEYS):
        return "flow"
    if isinstance(root, Mapping) and any(k in root for k in _GATEWAY_KEYS) \
            and not any(k in root for k in ("dynamic_batching", "components")):
        return "gateway"
    if name is not None:
        return "executor"
    if isinstance(root, Mapping) and any(k in root for k in _EXECUTOR_KEYS):
        return "executor"  # an Executor file that forgot its `jtype` (check() says so)
    return "flow"


def _kind_by_sections(root: Node, jtype: str) -> str:
    """The kind of a document whose tag and `jtype` disagree: Flow sections make a Flow,
    Executor file sections an Executor file; otherwise the `jtype` decides."""
    if isinstance(root, Mapping) and any(k in root for k in _FLOW_KEYS):
        return "flow"
    if isinstance(root, Mapping) and any(k in root for k in _EXECUTOR_KEYS):
        return "executor"
    return {"Flow": "flow", "Deployment": "deployment", "Gateway": "gateway"}.get(jtype,
                                                                                 "executor")


# --- the plain value the schema sees ----------------------------------------------------------

def plain(root: Node) -> Any:
    """`syntax.to_python`, except that a tag `!Name` on a mapping that may carry a `jtype`
    (the document, an `executors` item, a `uses` value) reads as `jtype: Name`."""
    return _plain(root, True)


def _plain(node: Node, may_tag: bool) -> Any:
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Sequence):
        return [_plain(item, False) for item in node.items]
    out: dict[str, Any] = {}
    name = _tag_name(node)
    if may_tag and name is not None and "jtype" not in node:
        out["jtype"] = name
    for key, value in node.items:
        k = str(key.value)
        if k in ("executors", "deployments") and isinstance(value, Sequence):
            out[k] = [_plain(item, True) for item in value.items]
        else:
            out[k] = _plain(value, k in _JTYPE_HOLDERS)
    return out


# --- validators ---------------------------------------------------------------------------------

@functools.cache
def _validator(kind: str) -> Any:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}")
    # jsonschema: 65 ms that a valid document never pays (fastcheck answers "valid" first)
    from jsonschema import Draft202012Validator

    return Draft202012Validator(inlined(kind), registry=registry())


def _leaves(err: Any) -> list[Any]:
    """The most specific errors behind `err`: for anyOf/oneOf, those of the branch that fits."""
    if err.validator not in ("anyOf", "oneOf") or not err.context:
        return [err]
    here = tuple(err.absolute_path)
    branches: dict[int, list[Any]] = {}
    for sub in err.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [errs for _, errs in sorted(branches.items())
               if not any(e.validator == "type" and tuple(e.absolute_path) == here for e in errs)]
    if not fitting:
        return [err]  # the value's type fits no branch: one error saying what is expected
    best = max(fitting, key=lambda errs: (max(len(e.absolute_path) for e in errs), -len(errs)))
    return [leaf for e in best for leaf in _leaves(e)]


def _exact(root: Node, path: tuple) -> Node | None:
    node: Node | None = root
    for part in path:
        node = child(node, part) if node is not None else None
    return node


def _pending(node: Node | None, substituted: bool) -> bool:
    """A scalar whose value is not known now: one substitution left unknown, or (in a document
    not substituted) one that still holds a form, which the worker fills in."""
    if not isinstance(node, Scalar):
        return False
    if substituted:
        return not node.known
    return isinstance(node.value, str) and "$" in node.value


_PRIORITY = {"type": 0, "anyOf": 0, "oneOf": 0, "required": 1, "const": 2, "enum": 2}


def _schema_diagnostics(root: Node, kind: str, *, substituted: bool) -> tuple[
        list[Diagnostic], set[tuple]]:
    """Diagnostics for schema errors (pending scalars skipped), and the set of paths that have
    one."""
    instance = plain(root)
    if fastcheck.is_valid(kind, instance):  # valid: jsonschema is never imported
        return [], set()
    validator = _validator(kind)
    if validator.is_valid(instance):
        return [], set()
    chosen: dict[tuple, list[Any]] = {}
    unknown: list[tuple[tuple, str, Any]] = []
    for top in validator.iter_errors(instance):
        for leaf in _leaves(top):
            path = tuple(leaf.absolute_path)
            if leaf.validator == "additionalProperties" and leaf.validator_value is False:
                allowed = leaf.schema.get("properties", {})
                unknown.extend((path, key, sorted(allowed))
                               for key in leaf.instance if key not in allowed)
                continue
            if _pending(_exact(root, path), substituted) or (
                    leaf.instance is None and _option_key(path, kind)):
                continue
            chosen.setdefault(path, []).append(leaf)
    diags: list[Diagnostic] = []
    paths: set[tuple] = set()
    for path, key, allowed in unknown:
        paths.add(path + (key,))
        diags.append(_unknown_key(root, path, key, allowed, kind))
    for path, errs in chosen.items():
        paths.add(path)
        rank = min(_PRIORITY.get(e.validator, 3) for e in errs)
        best = [e for e in errs if _PRIORITY.get(e.validator, 3) == rank]
        diags.append(_with_origin(_exact(root, path), _describe_error(root, path, best, kind)))
    return diags, paths


def _option_key(path: tuple, kind: str) -> bool:
    """Whether `path` is a key Jina reads as a command-line option: of an executor entry, the
    Flow's `with:` or `gateway:`. Jina drops such a key when its value is null (empty), as if it
    were not written (`ArgNamespace.kwargs2list`), and so does flowc (resolve's `_canonical`)."""
    sections = ("executors", "deployments")
    if kind == "deployment":
        return len(path) == 2 and path[0] == "with"
    if kind != "flow":
        return False
    return (len(path) == 2 and path[0] in ("with", "gateway")) \
        or (len(path) == 3 and path[0] in sections and isinstance(path[1], int)) \
        or (len(path) == 4 and path[0] in sections and path[2] == "with")


def _unknown_key(root: Node, path: tuple, key: str, allowed: list[str], kind: str) -> Diagnostic:
    mapping = _exact(root, path)
    key_node = mapping.key_node(key) if isinstance(mapping, Mapping) else None
    span = key_node.span if key_node is not None else _span(root, path)
    place = f"in {where(path)}" if path else f"at the top level of the {_KIND_WORD[kind]}"
    if key in RENAMED:
        hints = [f"Jina renamed `{key}` to {RENAMED[key]}; Jina 3.34 ignores the old name"]
    else:
        hints = [h for h in (did_you_mean(key, allowed),) if h]
    if not hints:
        elsewhere = [place for place, keys in _places(kind) if key in keys]
        if elsewhere:
            places = ", ".join(elsewhere[:-1]) + " and " + elsewhere[-1] \
                if len(elsewhere) > 1 else elsewhere[0]
            hints.append(f"`{key}` is valid in {places}, not here")
    short = listing(allowed)
    if short:
        hints.append(f"valid keys here: {short}")
    hint = _sentences(hints) if hints else f"run `flowc schema {kind}` to see every valid key"
    return error("FC201", f"unknown key `{key}` {place}", span, hint=hint)


def _sentences(hints: list[str]) -> str:
    """Hints joined as one text: after a question the next one starts a new sentence."""
    out = hints[0]
    for hint in hints[1:]:
        out += f" {hint[:1].upper()}{hint[1:]}" if out.endswith("?") else f"; {hint}"
    return out


@functools.cache
def _places(kind: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Where else a key would be valid, for the hint on an unknown key."""
    if kind != "flow":
        return ()
    flow = load_schema("flow")
    entry = load_schema("entry")["$defs"]["entry"]["properties"]
    return (("an executor entry", frozenset(entry)),
            ("the Flow's `with:`", frozenset(flow["$defs"]["flow_with"]["properties"])),
            ("`gateway:`", frozenset(flow["$defs"]["gateway"]["properties"])),
            ("the top level of the Flow", frozenset(flow["properties"])))


_KIND_WORD = {"flow": "Flow", "deployment": "Deployment", "executor": "Executor file",
              "gateway": "Gateway file"}
_DOCUMENT = {"flow": "the Flow document", "deployment": "the Deployment document",
             "executor": "the Executor file", "gateway": "the Gateway file"}


def _span(root: Node, path: tuple) -> Span:
    return locate(root, path).span


def _describe_error(root: Node, path: tuple, errs: list[Any], kind: str) -> Diagnostic:
    err = errs[0]
    span = _span(root, path)
    name = where(path) if path else _DOCUMENT[kind]
    value = err.instance
    if err.validator == "required":
        missing = sorted({m for e in errs for m in _missing(e)})
        keys = " and ".join(f"`{m}`" for m in missing)
        return error("FC205", f"{name} is missing {keys}", span)
    if err.validator in ("anyOf", "oneOf"):
        expected = err.schema.get("x-flowc-expected") or " or ".join(
            dict.fromkeys(describe(e.schema) for e in err.context if e.validator == "type"))
        return error("FC202", f"{name} must be {expected}, got {got(value)}", span)
    if err.validator == "type":
        return error("FC202", f"{name} must be {describe(err.schema)}, got {got(value)}", span)
    if err.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return error("FC203", f"{name} must be {describe(err.schema)}, got {got(value)}", span)
    if err.validator in ("enum", "const", "pattern"):
        # a case-insensitive choice is a `pattern` whose words the schema lists in x-flowc-values
        options = err.schema.get("enum") or err.schema.get("x-flowc-values") or (
            [err.schema["const"]] if "const" in err.schema else [])
        hint = did_you_mean(str(value), [str(o) for o in options if o is not None]) \
            if options and isinstance(value, str) else None
        return error("FC204", f"{name} must be {describe(err.schema)}, got {got(value)}", span,
                     hint=hint)
    if err.validator in ("minLength", "minItems", "minProperties"):
        return error("FC206", f"{name} must not be empty", span)
    return error("FC206", f"{name} is not valid: {err.message}", span)


def _missing(err: Any) -> list[str]:
    present = err.instance if isinstance(err.instance, dict) else {}
    return [k for k in err.validator_value if k not in present]


# --- semantic checks the schema cannot express ---------------------------------------------------

_VERSION = re.compile(r"\s*(\d+)(?:\.\d+)*\s*")  # Jina: MAJOR[.MINOR], compared by major


def _version(node: Node | None, what: str, substituted: bool) -> list[Diagnostic]:
    """`version`: '1', 1, 1.0 (and 1.x) are version 1; any other major is an error."""
    if not isinstance(node, Scalar) or _pending(node, substituted) \
            or isinstance(node.value, bool):
        return []
    value = node.value
    if isinstance(value, (int, float)):
        major = int(value) if value == value and value not in (float("inf"), float("-inf")) \
            else None
    elif isinstance(value, str):
        match = _VERSION.fullmatch(value)
        major = int(match.group(1)) if match else None
    else:
        return []  # the schema reports the type
    if major == 1:
        return []
    origin = f" (from {node.origin})" if node.origin else ""
    if major is None:
        return [error("FC207", f"`version` must be a version number like '1', got {got(value)}"
                               f"{origin}", node.span)]
    return [error("FC207", f"{what} format version {major} is not supported; flowc reads "
                           f"version 1{origin}", node.span)]


def _semantic(root: Node, kind: str, substituted: bool) -> list[Diagnostic]:
    if not isinstance(root, Mapping):
        return []
    diags: list[Diagnostic] = []
    if kind in ("flow", "deployment"):
        diags += _version(root.get("version"), _KIND_WORD[kind], substituted)
    if kind == "flow":
        if "executors" in root and "deployments" in root:
            second = root.key_node("deployments")
            first = root.key_node("executors")
            assert second is not None and first is not None
            diags.append(error("FC209", "both `executors` and `deployments` are given",
                               second.span, related=[Related(first.span, "`executors` is here")]))
        for section in ("executors", "deployments"):
            items = root.get(section)
            if isinstance(items, Sequence):
                for item in items.items:
                    if isinstance(item, Mapping) and (
                            _jtype(item) or _tag_name(item)) == "Deployment":
                        diags += _version(item.get("version"), "Deployment", substituted)
    diags += _tags(root, kind, substituted)
    diags += when_diagnostics(root, kind)
    return diags


def _tags(root: Node, kind: str, substituted: bool) -> list[Diagnostic]:
    """Tag and `jtype` must agree; a tag anywhere else names nothing."""
    diags: list[Diagnostic] = []
    stack: list[tuple[Node, bool]] = [(root, True)]
    while stack:
        node, may_tag = stack.pop()
        name = _tag_name(node)
        if name is not None and isinstance(node, Mapping) and may_tag:
            jtype = node.get("jtype")
            if isinstance(jtype, Scalar) and isinstance(jtype.value, str) \
                    and jtype.value != name and not _pending(jtype, substituted):
                diags.append(error(
                    "FC208", f"the tag `!{name}` says `{name}` but `jtype` is `{jtype.value}`",
                    jtype.span, related=[Related(node.span, f"tagged `!{name}` here")]))
        elif name is not None:
            diags.append(error(
                "FC206", f"the tag `!{name}` has no meaning here: a tag only names the `jtype` "
                         "of a document, an `executors` item or a `uses` mapping", node.span,
                hint="remove the tag"))
        if isinstance(node, Mapping):
            for key, value in node.items:
                k = str(key.value)
                if k in ("executors", "deployments") and isinstance(value, Sequence):
                    stack.extend((item, True) for item in value.items)
                else:
                    stack.append((value, k in _JTYPE_HOLDERS))
        elif isinstance(node, Sequence):
            stack.extend((item, False) for item in node.items)
    return diags


# --- public API ---------------------------------------------------------------------------------

def check(root: Node, kind: str, *, substituted: bool = False) -> list[Diagnostic]:
    """Every schema error and warning of a document (phase 4): `substituted` says that substitution
    ran on it (the Flow and Deployment files), else it is checked as written (Executor files)."""
    diags, error_paths = _schema_diagnostics(root, kind, substituted=substituted)
    semantic = _semantic(root, kind, substituted)
    conflicts = [d.span for d in semantic if d.code == "FC208" and d.span is not None]
    if conflicts:  # FC208 says what is wrong with that `jtype`; the schema would say it again
        diags = [d for d in diags if d.span is None
                 or not any(_inside(d.span, span) for span in conflicts)]
    diags += semantic
    shapes, replaced = shape_errors(root, kind)  # say what the schema would say confusingly
    if replaced:
        diags = [d for d in diags if d.span is None
                 or not any(_inside(d.span, span) for span in replaced)]
    diags += shapes
    served = gateway_served_paths(root) if kind == "deployment" else set()
    diags += support_warnings(root, kind, skip=set(error_paths) | served)
    return normalise(diags)


def _with_origin(node: Node | None, diag: Diagnostic) -> Diagnostic:
    """An error at a substituted value names where the value came from."""
    if isinstance(node, Scalar) and node.origin is not None and diag.span is not None \
            and _inside(diag.span, node.span):
        return Diagnostic(diag.code, diag.severity, f"{diag.message} (from {node.origin})",
                          diag.span, diag.related, diag.hint)
    return diag


def _inside(inner: Span, outer: Span) -> bool:
    return inner.file == outer.file and (outer.line, outer.col) <= (inner.line, inner.col) \
        and (inner.end_line, inner.end_col) <= (outer.end_line, outer.end_col)
