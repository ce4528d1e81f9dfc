"""Values only a running process knows — secrets and `--allow-undefined` unknowns — and where
they may stand (SPEC §2 "never baked"; docs/decisions.md "Secrets and unknown values").

A variable named in any `env_from_secret` of a Flow (an entry's, a Deployment file's, the Flow
`with:`'s, the `gateway:`'s) is secret in the whole Flow: substitution never reads it and keeps
every scalar using it as a runtime reference (`{"$template": text}` in the plan), which the
process substitutes at start-up from its own environment. Only some keys reach a process that
way (`RUNTIME_KEYS`), and only a process that declares the variable in its own `env_from_secret`
receives it. Everything else flowc must know itself to write the artifacts (`BUILD_TIME_KEYS`).
Resolve calls `check_runtime_values` on the resolved Flow; `flow_secret_names` feeds substitution.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from .diagnostics import Diagnostic, error, warning
from .model import ResolvedEntry, ResolvedFlow, Value
from .substitution_parse import CONTEXT, ENV, Fault, parse_parts
from .syntax import Mapping, Node, Scalar, Sequence, State

_NOT_KNOWN = (State.DEFERRED, State.UNDEFINED)  # the scalars this module judges

# Keys a process substitutes at start-up from its own environment (`runtime/loading.py`), so a
# secret in them stays a runtime reference. `env` becomes the process's environment: targets pass
# a value that is exactly one secret variable from the secret itself (FC709 otherwise).
RUNTIME_KEYS: dict[str, str] = {
    "uses_with": "the worker substitutes it at start-up",
    "uses_metas": "the worker substitutes it at start-up",
    "uses_requests": "the worker substitutes it at start-up",
    "uses_dynamic_batching": "the worker substitutes it at start-up",
    "env": "the process's environment: a secret variable alone is read from the secret",
}
# Keys of an inline `uses:` mapping the worker substitutes (the rest says what to load).
INLINE_RUNTIME_KEYS = frozenset({"with", "metas", "requests", "dynamic_batching"})

# Keys whose value flowc needs when it builds: a secret or an unknown (--allow-undefined) value
# in one is FC415. A secret in a key in neither table is FC416 (no process reads it at run time);
# an unknown value there stays the FC301 warning.
BUILD_TIME_KEYS: dict[str, str] = {
    "name": "names the processes, Services and units",
    "uses": "says what runs: a class, an Executor file flowc reads, or an image",
    "uses_before": "says what runs before the shards",
    "uses_after": "says what runs after the shards",
    "needs": "the graph is built from it",
    "port": "targets assign, publish and wire the ports",
    "replicas": "the number of processes (or pods) flowc writes",
    "shards": "the number of shards and heads flowc writes",
    "polling": "the head's routing table is written into the plan",
    "when": "checked when building, then applied by the gateway as written in the plan",
    "external": "decides whether flowc starts the executor at all",
    "host": "the address the gateway is given",
    "tls": "how the gateway connects",
    "protocol": "which servers and ports are written",
    "image": "written into manifests and compose files",
    "image_pull_secrets": "written into manifests (they name Secrets, they are not secrets)",
    "service_account": "written into manifests",
    "workspace": "volumes and directories are written from it",
    "timeout_ready": "written into probes, unit timeouts and the launch plan",
    "timeout_send": "a number in the plan",
    "retries": "a number in the plan",
    "stateful": "Raft groups are wired when building",
    "raft_configuration": "Raft settings are written into the plan",
    "floating": "the graph is built from it",
    "disable_reduce": "the graph is built from it",
    "placement": "decides which process runs the executor",
    "gpus": "written into resource limits",
    "resources": "written into resource requests and limits",
    "volumes": "written into mounts",
    "py_modules": "files copied into images and named in the plan",
    "env_from_secret": "names the Secret and key each process reads",
    "grpc_server_options": "written into the plan",
    "reload": "decides what `flowc run` watches",
    "restart": "decides what `flowc run` watches",
    "targets": "written into the target's artifacts",
}

_DECLARE_HINT = ("add `{var}: {{name: <secret>, key: <key>}}` to {where}; a process receives only "
                 "the secrets it declares")


def flow_secret_names(root: Node, read: Callable[[str], Node | None] | None) -> frozenset[str]:
    """Every variable named in an `env_from_secret` of the Flow (or lone Deployment) `root`:
    the Flow's `with:`, its `gateway:`, its entries, and the Deployment files they name (`read`
    gives the written tree of one, or None: a file that cannot be read is reported when it is
    included). Keys of `env_from_secret` are mapping keys, which are never substituted, so the
    written tree is enough."""
    if not isinstance(root, Mapping):
        return frozenset()
    names: set[str] = set()
    for section in (root.get("with"), root.get("gateway"), root):
        names |= _declared(section)
    for key in ("executors", "deployments"):
        items = root.get(key)
        for item in items.items if isinstance(items, Sequence) else ():
            if isinstance(item, Mapping):
                names |= _declared(item) | _declared(item.get("with"))
            elif isinstance(item, Scalar) and read is not None:
                names |= _deployment_file_names(item, read)
    return frozenset(names)


def _declared(node: Node | None) -> set[str]:
    secrets = node.get("env_from_secret") if isinstance(node, Mapping) else None
    return set(secrets.keys()) if isinstance(secrets, Mapping) else set()


def _deployment_file_names(item: Scalar, read: Callable[[str], Node | None]) -> set[str]:
    text = item.value
    if not isinstance(text, str) or "$" in text or not text.lower().endswith((".yml", ".yaml")):
        return set()
    root = read(text)
    return _declared(root.get("with")) if isinstance(root, Mapping) else set()


# --- the check (resolve) -----------------------------------------------------------------------

def check_runtime_values(flow: ResolvedFlow, *, unknown_ok: bool = False) -> list[Diagnostic]:
    """FC415 for a secret or unknown value in a key flowc needs when building (BUILD_TIME_KEYS);
    FC416 for a secret no process can receive: in a key no process reads at run time, or used
    by a process that does not declare it. Each diagnostic points at the scalar.

    `unknown_ok` (`flowc validate`, which makes no artifacts): an unknown value
    (--allow-undefined) in a BUILD_TIME_KEYS key is warning FC417 instead of FC415 (SPEC §2: the
    checks that need it are skipped)."""
    diags: list[Diagnostic] = []
    gateway_declared = _names(flow.gateway.values.get("env_from_secret"))
    hosted = [e for e in flow.entries if e.get("external") is not True
              and e.get("placement") != "gateway"]
    for key, value in flow.values.items():
        for path, scalar in _unknowns(value.node, key):
            if key != "env":
                diags += _build_time(key, path, scalar, "the Flow's `with:`", unknown_ok)
                continue
            users = [("the gateway", gateway_declared,
                      "the `gateway:` section's `env_from_secret`")]
            users += [(f"`{e.name}`", _declared_by(e, gateway_declared), f"`{e.name}`'s "
                       "`env_from_secret`") for e in hosted if path[1] not in (e.get("env") or {})]
            for who, declared, where in users:
                diags += _undeclared(path, scalar, who, declared, where)
    for key, value in flow.gateway.values.items():
        for path, scalar in _unknowns(value.node, key):
            if key == "env":
                diags += _undeclared(path, scalar, "the gateway", gateway_declared,
                                     "the `gateway:` section's `env_from_secret`")
            else:
                diags += _build_time(key, path, scalar, _owner(value, "the gateway"),
                                     unknown_ok)
    for entry in flow.entries:
        diags += _entry_problems(entry, gateway_declared, unknown_ok)
    return diags


def _entry_problems(entry: ResolvedEntry, gateway_declared: frozenset[str],
                    unknown_ok: bool) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    name = entry.values.get("name")
    unnamed = name is not None and isinstance(name.node, Scalar) and not name.node.known
    who = f"entry {entry.index} of `executors:`" if unnamed else f"`{entry.name}`"
    for key, value in entry.values.items():
        for path, scalar in _unknowns(value.node, key):
            runtime = key in RUNTIME_KEYS or (
                key == "uses" and isinstance(value.node, Mapping) and len(path) > 2
                and path[1] in INLINE_RUNTIME_KEYS)
            if runtime:
                where = ("the `gateway:` section's `env_from_secret` (the entry runs inside the "
                         "gateway)" if entry.get("placement") == "gateway"
                         else f"`{entry.name}`'s `env_from_secret`")
                diags += _undeclared(path, scalar, who, _declared_by(entry, gateway_declared),
                                     where)
            else:
                diags += _build_time(key, path, scalar, _owner(value, who), unknown_ok)
    return diags


def _owner(value: Value, who: str) -> str:
    """Who a value belongs to in a message: a Flow `with:` value passed down is reported once,
    as the Flow's, however many nodes inherit it."""
    return "the Flow's `with:`" if value.provenance.kind == "flow-with" else who


def _declared_by(entry: ResolvedEntry, gateway_declared: frozenset[str]) -> frozenset[str]:
    """The secrets the process running `entry` receives: its own (with the Flow's passed down),
    or the gateway's when it runs inside the gateway."""
    if entry.get("placement") == "gateway":
        return gateway_declared
    return _names(entry.values.get("env_from_secret"))


def _names(value: Value | None) -> frozenset[str]:
    return frozenset(str(k) for k in value.value) if value is not None and isinstance(
        value.value, dict) else frozenset()


def _unknowns(node: Node | None, key: str) -> Iterator[tuple[tuple, Scalar]]:
    """(path from `key`, scalar) for each secret-dependent or unknown scalar under `node`."""
    if node is None:
        return
    stack: list[tuple[tuple, Node]] = [((key,), node)]
    while stack:
        path, current = stack.pop()
        if isinstance(current, Scalar):
            if current.state in _NOT_KNOWN:
                yield path, current
        elif isinstance(current, Mapping):
            stack.extend((path + (str(k.value),), v) for k, v in reversed(current.items))
        else:
            stack.extend((path + (i,), v) for i, v in reversed(list(enumerate(current.items))))


def _build_time(key: str, path: tuple, scalar: Scalar, who: str, unknown_ok: bool
                ) -> list[Diagnostic]:
    shown = _dotted(path)
    if scalar.state is State.DEFERRED:
        names = ", ".join(f"`{v}`" for v in template_variables(scalar.value))
        hint = ("write the value itself or use a variable that is not in an `env_from_secret`; "
                "a secret can only be read in `env` and "
                "`uses_with`/`uses_metas`/`uses_requests`/`uses_dynamic_batching`")
        if key in BUILD_TIME_KEYS:
            return [error("FC415", f"`{shown}` of {who} uses the secret {names}, but flowc needs "
                          f"this value when it builds ({BUILD_TIME_KEYS[key]})", scalar.span,
                          hint=hint)]
        return [error("FC416", f"`{shown}` of {who} uses the secret {names}, but no process "
                      f"reads `{key}` at run time, where secrets are read", scalar.span,
                      hint=hint)]
    if key not in BUILD_TIME_KEYS:
        return []  # unknown where flowc does not need it: the FC301 warning says enough
    if unknown_ok:
        return [warning("FC417", f"`{shown}` of {who} is unknown (--allow-undefined): the checks "
                        f"that need it are skipped, and `flowc build` will need it "
                        f"({BUILD_TIME_KEYS[key]})", scalar.span,
                        hint="set the variable (or give it a default) when you build")]
    return [error("FC415", f"`{shown}` of {who} is unknown (--allow-undefined), but flowc needs "
                  f"this value when it builds ({BUILD_TIME_KEYS[key]})", scalar.span,
                  hint="set the variable (or give it a default) when you build; "
                       "--allow-undefined is for checks, not for this key")]


def _undeclared(path: tuple, scalar: Scalar, who: str, declared: frozenset[str],
                where: str) -> list[Diagnostic]:
    if scalar.state is not State.DEFERRED:
        return []  # unknown in a runtime key: the FC301 warning says enough
    missing = [v for v in template_variables(scalar.value) if v not in declared]
    return [error("FC416", f"`{_dotted(path)}` uses the secret `{var}`, which {who} does not "
                  "declare in its `env_from_secret`, so its process cannot receive it",
                  scalar.span, hint=_DECLARE_HINT.format(var=var, where=where))
            for var in missing]


def template_variables(text: Any) -> tuple[str, ...]:
    """The environment variables a runtime reference's text still names (its other forms were
    substituted when building, so these are the secrets), in order, without repeats."""
    parts = parse_parts(str(text))
    if isinstance(parts, Fault):
        return ()
    return tuple(dict.fromkeys(p.value for p in parts if p.kind in (ENV, CONTEXT)))


def _dotted(path: tuple) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out
