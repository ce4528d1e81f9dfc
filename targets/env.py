"""Environment variables as a process receives them: literal text, or a secret passed whole.

The plan's env values are already substituted, except runtime references (`{"$template": text}`)
to secrets. k8s (secretKeyRef), compose (secret files) and systemd (credentials) can pass a
secret only as a whole value, so each env value becomes an `EnvValue`: its text, or the secret
it is; anything else is FC709. The local target passes templates as they are (the worker renders
them), so it does not use this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from flowc.compiler.argv import compact_json
from flowc.compiler.diagnostics import Diagnostic, error
from flowc.compiler.plan import SecretRef, is_template, template_secret_var

# A variable name a shell, compose's `environment:` and systemd's `Environment=` all accept.
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_secret(who: str, name: str, value: Any, secrets: dict, at: Any
               ) -> tuple[SecretRef | None, list[Diagnostic]]:
    """The secret an env value that is a runtime reference (`{"$template": text}`) reads, or
    FC709. A target passes a secret only whole (secretKeyRef, compose secret file, systemd
    credential): the value must be exactly one variable the process declares in
    `env_from_secret` (the compiler already refuses an undeclared one, FC416; this guards plans
    built by other means). `at(*keys)` locates the process's keys."""
    var = template_secret_var(value)
    if var is not None and var in secrets:
        return secrets[var], []
    if var is None:
        message = (f"env `{name}` of {who} mixes a secret variable with other text; this target "
                   "can only pass a secret as a whole value")
    else:
        message = f"env `{name}` of {who} refers to `{var}`, which is not in its `env_from_secret`"
    return None, [error("FC709", message, at("env", name),
                        hint="use the secret variable alone as the value, or read it in the "
                             "executor (`uses_with`); the local target can pass it as it is")]


@dataclass(frozen=True)
class EnvValue:
    """One variable: `text` to set as it is, or the `secret` whose value it is (`var`: the
    `env_from_secret` variable the value names, which may differ from the variable set)."""

    text: str | None = None
    secret: SecretRef | None = None
    var: str | None = None


def env_text(value: Any) -> str:
    """A plan value as environment text: booleans lower-case, mappings and lists as compact
    JSON, null empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return compact_json(value)
    return str(value)


def env_values(who: str, env: Mapping[str, Any], secrets: Mapping[str, SecretRef],
               at: Callable[..., Any]) -> tuple[dict[str, EnvValue], list[Diagnostic]]:
    """Every env value of a process (`who`, located by `at(*keys)`), typed, in name order; a
    runtime reference that is not exactly one declared secret is FC709 and left out."""
    typed: dict[str, EnvValue] = {}
    problems: list[Diagnostic] = []
    for name in sorted(env):
        value = env[name]
        if is_template(value):
            ref, more = env_secret(who, name, value, dict(secrets), at)
            problems += more
            if ref is not None:
                typed[name] = EnvValue(secret=ref, var=template_secret_var(value))
        else:
            typed[name] = EnvValue(text=env_text(value))
    return typed, problems
