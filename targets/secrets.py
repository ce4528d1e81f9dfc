"""Secrets in env: the one rule k8s, compose and systemd share for passing a secret whole."""

from __future__ import annotations

from typing import Any

from flowc.compiler.diagnostics import Diagnostic, error
from flowc.compiler.plan import SecretRef, template_secret_var


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
