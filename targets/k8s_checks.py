"""What the k8s target checks before it writes anything: its `targets.k8s` blocks and values the
Kubernetes API server would refuse, each reported at the entry instead of at `kubectl apply`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from flowc.compiler.diagnostics import Diagnostic, error, warning
from flowc.compiler.plan import Plan, Resources
from flowc.targets.locations import entry_span, env_span, gateway_span
from flowc.targets.env import env_values

TARGET = "k8s"
TARGET_PATH = ("targets", TARGET)  # where the block sits in an entry or the gateway section
SETTINGS = ("annotations", "labels", "node_selector", "storage", "storage_class", "tolerations",
            "workload")
WORKLOADS = ("Deployment", "StatefulSet")
_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
_KEY_NAME = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_KEY_PREFIX = re.compile(r"[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?")
_QUANTITY = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
                       r"(?:[eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?")
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
# Names of Secrets and ServiceAccounts (DNS-1123 subdomains) and keys inside a Secret.
_OBJECT_NAME = re.compile(r"(?=.{1,253}\Z)[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")
_TOLERATION = {"key": str, "operator": str, "value": str, "effect": str, "tolerationSeconds": int}
# Where a key of the entry (or gateway) being checked was written: `at("env", name)` → Span.
Locate = Callable[..., Any]


def check(plan: Plan) -> tuple[dict[str, "Settings"], list[Diagnostic]]:
    """Every hosted entry's (and the gateway's, under 'gateway') checked settings, and problems."""
    diags: list[Diagnostic] = []
    settings: dict[str, Settings] = {}
    for dep in plan.deployments:
        if dep.hosted:
            at: Locate = partial(entry_span, dep)
            settings[dep.name], more = read_settings(dep.targets.get(TARGET), f"`{dep.name}`", at)
            env = {**plan.flow.env, **dep.env}
            diags += more + env_problems(f"`{dep.name}`", env, dep.env_from_secret, at)
            diags += resource_problems(f"`{dep.name}`", dep.resources,
                                       {**env, **dep.env_from_secret}, at)
            diags += name_problems(f"`{dep.name}`", dep.service_account, dep.image_pull_secrets,
                                   dep.env_from_secret, at)
    at = partial(gateway_span, plan)
    settings["gateway"], more = read_settings(plan.gateway.targets.get(TARGET), "the gateway", at)
    env = {**plan.flow.env, **plan.gateway.env}
    diags += more + env_problems("the gateway", env, plan.gateway.env_from_secret, at)
    diags += resource_problems("the gateway", plan.gateway.resources,
                               {**env, **plan.gateway.env_from_secret}, at)
    diags += name_problems("the gateway", plan.gateway.service_account, (),
                           plan.gateway.env_from_secret, at)
    return settings, diags


@dataclass(frozen=True)
class Settings:
    """An entry's (or the gateway's) `targets.k8s` block, checked."""

    labels: dict
    annotations: dict
    node_selector: dict
    tolerations: list
    storage: str | None
    storage_class: str | None
    workload: str | None


def read_settings(block: Any, where: str, at: Locate) -> tuple[Settings, list[Diagnostic]]:
    """One `targets.k8s` block, checked; unknown keys warn, wrong values are errors. `at(*keys)`
    says where a key of the entry was written (`at("targets", "k8s", "labels", key)`)."""
    diags: list[Diagnostic] = []
    block = block if isinstance(block, dict) else {}

    def span(*keys: Any) -> Any:
        return at(TARGET_PATH[0], TARGET_PATH[1], *keys)

    for key in sorted(set(block) - set(SETTINGS)):
        diags.append(warning("FC707", f"`targets.k8s.{key}` on {where} is not a k8s setting; "
                             "it is ignored", span(key),
                             hint="known settings: " + ", ".join(SETTINGS)))

    def mapping(key: str) -> dict:
        value = block.get(key) or {}
        if not isinstance(value, dict) or any(isinstance(v, (dict, list)) for v in value.values()):
            diags.append(error("FC708", f"`targets.k8s.{key}` on {where} must map names to "
                               "strings", span(key)))
            return {}
        return {str(k): text_value(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}

    def text(key: str) -> str | None:
        value = block.get(key)
        if value is not None and not isinstance(value, (str, int)):
            diags.append(error("FC708", f"`targets.k8s.{key}` on {where} must be a string",
                               span(key)))
            return None
        return None if value is None else str(value)

    tolerations = block.get("tolerations") or []
    if not isinstance(tolerations, list) or not all(isinstance(t, dict) for t in tolerations):
        diags.append(error("FC708", f"`targets.k8s.tolerations` on {where} must be a list of "
                           "mappings (key, operator, value, effect)", span("tolerations")))
        tolerations = []
    for index, tol in enumerate(tolerations):
        problem = _toleration_problem(tol)
        if problem:
            diags.append(error("FC708", f"a toleration on {where} has {problem}",
                               span("tolerations", index),
                               hint="keys: key, operator, value, effect (strings), "
                                    "tolerationSeconds (integer)"))
            tolerations = []
            break
    labels, annotations = mapping("labels"), mapping("annotations")
    for section, keys in (("labels", labels), ("annotations", annotations)):
        for key in [k for k in keys if not _qualified_name(k)]:
            diags.append(error("FC708", f"`{key}` in `targets.k8s` of {where} is not a valid "
                               "Kubernetes label or annotation key", span(section, key),
                               hint="[prefix/]name: name ≤ 63 of letters, digits, '-', '_', '.'"))
    for key, value in labels.items():
        if not _LABEL_VALUE.fullmatch(value):
            diags.append(error("FC708", f"label `{key}: {value}` in `targets.k8s` of {where} "
                               "is not a valid label value", span("labels", key),
                               hint="at most 63 letters, digits, '-', '_' or '.', starting and "
                                    "ending with a letter or digit"))
    workload = text("workload")
    if workload is not None and workload not in WORKLOADS:
        diags.append(error("FC708", f"`targets.k8s.workload` on {where} is `{workload}`; it must "
                           "be Deployment or StatefulSet", span("workload")))
        workload = None
    storage = text("storage")
    if storage is not None and not _QUANTITY.fullmatch(storage):
        diags.append(error("FC708", f"`targets.k8s.storage` on {where} is `{storage}`, not a "
                           "Kubernetes quantity", span("storage"),
                           hint="for example 10Gi or 500Mi"))
    return Settings(labels, annotations, mapping("node_selector"),
                    [dict(sorted(t.items())) for t in tolerations], storage,
                    text("storage_class"), workload), diags


def resource_problems(who: str, res: Resources, env: dict, at: Locate) -> list[Diagnostic]:
    """Quantities and env names the API server would refuse, caught at the entry instead."""
    out = []
    for part, values in (("requests", res.requests), ("limits", res.limits)):
        for name, value in sorted(values.items()):
            if isinstance(value, bool) or not _QUANTITY.fullmatch(str(value)):
                out.append(error("FC713", f"`resources.{part}.{name}` of {who} is `{value}`, "
                                 "not a Kubernetes quantity", at("resources", part, name),
                                 hint="for example cpu: 500m, memory: 512Mi"))
    for name in sorted(env):
        if not _ENV_NAME.fullmatch(name):
            out.append(error("FC713", f"environment variable `{name}` of {who} is not a name "
                             "Kubernetes accepts", env_span(at, name),
                             hint="letters, digits, '_', '-' and '.', not starting with a digit"))
    return out


def name_problems(who: str, account: str | None, pull_secrets: tuple[str, ...],
                  secrets: dict, at: Locate) -> list[Diagnostic]:
    """Object names the API server would refuse: the service account, image pull secrets and
    the Secrets (and keys) that `env_from_secret` names."""
    hint = "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
    out = []
    if account is not None and not _OBJECT_NAME.fullmatch(account):
        out.append(error("FC713", f"`service_account: {account}` of {who} is not a name "
                         "Kubernetes accepts", at("service_account"), hint=hint))
    for index, name in enumerate(pull_secrets):
        if not _OBJECT_NAME.fullmatch(name):
            out.append(error("FC713", f"image pull secret `{name}` of {who} is not a name "
                             "Kubernetes accepts", at("image_pull_secrets", index), hint=hint))
    for var, ref in sorted(secrets.items()):
        if not _OBJECT_NAME.fullmatch(ref.name):
            out.append(error("FC713", f"`env_from_secret.{var}.name` of {who} is `{ref.name}`, "
                             "not a Secret name Kubernetes accepts",
                             at("env_from_secret", var, "name"), hint=hint))
        if not _SECRET_KEY.fullmatch(ref.key):
            out.append(error("FC713", f"`env_from_secret.{var}.key` of {who} is `{ref.key}`, "
                             "not a key a Secret can hold", at("env_from_secret", var, "key"),
                             hint="letters, digits, '-', '_' and '.'"))
    return out


def _toleration_problem(tol: dict) -> str | None:
    unknown = sorted(set(tol) - set(_TOLERATION))
    if unknown:
        return "unknown keys " + ", ".join(unknown)
    wrong = sorted(k for k, v in tol.items()
                   if isinstance(v, bool) or not isinstance(v, _TOLERATION[k]))
    return "wrong types for " + ", ".join(wrong) if wrong else None


def _qualified_name(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    return bool(_KEY_NAME.fullmatch(name)) and (not prefix or bool(_KEY_PREFIX.fullmatch(prefix)))


def text_value(value: Any) -> str:
    """A scalar as Kubernetes wants it in labels, env and selectors (booleans lower-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def env_problems(who: str, env: dict, secrets: dict, at: Locate) -> list[Diagnostic]:
    """Env values built from secrets: Kubernetes can pass a secret only as a whole value."""
    return env_values(who, env, secrets, at)[1]
