"""Precedence and merge rules (SPEC §3) as data tables, plus the one merge the worker applies.

Kept as tables keyed by key so `flowc explain` can cite the rule that decided a value and tests can
check each row. Pure Python with no imports beyond the standard library: the runtime's worker calls
`merge_executor_config` at start-up, after substituting the Executor file with its own environment.

Rows (Flow entry key → Executor file key, how it merges):

| entry key               | file key           | merge   |
|-------------------------|--------------------|---------|
| `uses_with`             | `with`             | shallow (a nested mapping is replaced whole) |
| `uses_metas`            | `metas`            | shallow |
| `uses_requests`         | `requests`         | shallow; binding a method to a new endpoint drops its old binding |
| `uses_dynamic_batching` | `dynamic_batching` | deep (per endpoint, per setting) |

An override of `None` (YAML `null`) changes nothing, for the whole block and for a single key.

A Flow `with:` key reaches every executor that does not set it (SPEC §3); the keys of
`PASS_DOWN_MERGE` are merged under the executor's own value instead (and under the `gateway:`
section's), so Flow-level `resources` stay defaults an entry overrides one quantity at a time.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

# Entry key → (Executor file key, merge kind). Merge kinds: 'shallow', 'requests', 'deep'.
OVERRIDES: dict[str, tuple[str, str]] = {
    "uses_with": ("with", "shallow"),
    "uses_metas": ("metas", "shallow"),
    "uses_requests": ("requests", "requests"),
    "uses_dynamic_batching": ("dynamic_batching", "deep"),
}

# Flow `with:` keys that belong to the Flow itself and are never passed down (Jina's flow parser:
# `jina.parsers.flow.set_flow_parser`). Everything else in Flow `with:` is a common key.
FLOW_OWN_KEYS: frozenset[str] = frozenset({
    "env", "inspect", "log_config", "name", "quiet", "quiet_error", "reload",
    "suppress_root_logging", "uses", "workspace", "workspace_id",
})

# Common keys the gateway does not inherit (Jina's GATEWAY_ARGS_BLACKLIST), plus flowc's
# `placement`, which only means something for an executor.
NOT_PASSED_TO_GATEWAY: frozenset[str] = frozenset({"uses", "uses_with", "placement"})

# Common keys an executor does not inherit (Jina's EXECUTOR_ARGS_BLACKLIST): they describe the
# gateway's own listening address and protocol.
NOT_PASSED_TO_EXECUTORS: frozenset[str] = frozenset({
    "port", "ports", "port_monitoring", "uses", "uses_with", "protocol", "protocols",
})

# Flow `with:` keys a node that sets them too merges with the Flow's value (its own winning)
# instead of replacing it, by the merge kinds of OVERRIDES. `resources` (flowc's own key): the
# Flow's `limits.cpu` stays in force for an entry that sets only `limits.memory` (whole-key
# replacement silently dropped the Flow's defaults from every entry with `resources` of its own).
# `gpus` is a count: an entry's own replaces the Flow's, as in Jina.
PASS_DOWN_MERGE: dict[str, str] = {"resources": "deep"}

# Why a Flow `with:` key ended where it did, for `flowc explain`.
PASS_DOWN_RULES: dict[str, str] = {
    "flow-own": "belongs to the Flow itself (SPEC §3)",
    "to-gateway": "Flow `with:` key passed down to the gateway (SPEC §3)",
    "to-executor": "Flow `with:` key passed down to every executor that does not set it (SPEC §3)",
    "gateway-section": "the `gateway:` section wins over Flow `with:` for the gateway (SPEC §3)",
    "merged": "Flow `with:` value merged under the node's own, key by key (PASS_DOWN_MERGE)",
}


def flow_common_keys(flow_with: Mapping[str, Any]) -> dict[str, Any]:
    """The Flow `with:` keys that are not the Flow's own: candidates for pass-down."""
    return {k: v for k, v in flow_with.items() if k not in FLOW_OWN_KEYS}


def gateway_inherited(flow_with: Mapping[str, Any]) -> dict[str, Any]:
    """What the gateway inherits from Flow `with:` (before its `gateway:` section is applied)."""
    return {k: v for k, v in flow_common_keys(flow_with).items() if k not in NOT_PASSED_TO_GATEWAY}


def executor_inherited(flow_with: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """What an executor entry takes from Flow `with:`: the common, allowed keys it does not set,
    and the `PASS_DOWN_MERGE` keys it sets too, merged (its own value winning)."""
    out = {}
    for k, v in flow_common_keys(flow_with).items():
        if k in NOT_PASSED_TO_EXECUTORS:
            continue
        if k not in entry:
            out[k] = v
        elif merges(k, v, entry[k]):
            out[k] = merge_passed_down(k, v, entry[k])
    return out


def merges(key: str, flow_value: Any, own: Any) -> bool:
    """Whether a node's own `own` for `key` merges with the Flow's (both plain mappings, neither
    a runtime reference) instead of replacing it."""
    return (key in PASS_DOWN_MERGE and isinstance(flow_value, Mapping) and isinstance(own, Mapping)
            and "$template" not in flow_value and "$template" not in own)


def merge_passed_down(key: str, flow_value: Mapping[str, Any], own: Mapping[str, Any]) -> dict:
    """`own` over the Flow's value by the key's `PASS_DOWN_MERGE` kind (see `merges`)."""
    return _MERGERS[PASS_DOWN_MERGE[key]](flow_value, own)


def merge_shallow(base: Mapping[str, Any] | None, override: Mapping[str, Any] | None) -> dict:
    """`override` over `base`, key by key; nested mappings are replaced whole; `None` keeps base."""
    result = dict(base or {})
    for key, value in (override or {}).items():
        if value is not None:
            result[key] = value
    return result


def merge_deep(base: Mapping[str, Any] | None, override: Mapping[str, Any] | None) -> dict:
    """`override` over `base`, recursing into mappings present on both sides; `None` keeps base."""
    result = dict(base or {})
    for key, value in (override or {}).items():
        if value is None:
            continue
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge_deep(result[key], value)
        else:
            result[key] = value
    return result


def merge_requests(base: Mapping[str, Any] | None, override: Mapping[str, Any] | None) -> dict:
    """`{endpoint: method}` override: a method bound to a new endpoint loses its old binding."""
    result = dict(base or {})
    for endpoint, method in (override or {}).items():
        if method is None:
            continue
        for old in [e for e, m in result.items() if m == method and e != endpoint]:
            del result[old]
        result[endpoint] = method
    return result


_MERGERS = {"shallow": merge_shallow, "deep": merge_deep, "requests": merge_requests}


def merge_executor_config(file_config: Mapping[str, Any], *,
                          uses_with: Mapping[str, Any] | None = None,
                          uses_metas: Mapping[str, Any] | None = None,
                          uses_requests: Mapping[str, Any] | None = None,
                          uses_dynamic_batching: Mapping[str, Any] | None = None) -> dict:
    """The Executor document's keys with the Flow entry's overrides applied (SPEC §3).

    `file_config` holds `jtype`, `with`, `metas`, `requests`, `dynamic_batching`, `py_modules`
    (any may be missing). The input is not modified; keys without an override are copied as-is.
    """
    result = copy.deepcopy(dict(file_config))
    given = {"uses_with": uses_with, "uses_metas": uses_metas, "uses_requests": uses_requests,
             "uses_dynamic_batching": uses_dynamic_batching}
    for entry_key, override in given.items():
        if not override:
            continue
        file_key, kind = OVERRIDES[entry_key]
        base = result.get(file_key)
        result[file_key] = _MERGERS[kind](base if isinstance(base, Mapping) else {},
                                          copy.deepcopy(dict(override)))
    return result


def override_source(entry_key: str, key: str, override: Mapping[str, Any] | None) -> bool:
    """True when `override` (the entry's `entry_key` block) decides `key` under the rules above."""
    return bool(override) and key in override and override[key] is not None
