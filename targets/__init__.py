"""Back ends: each renders a finished `Plan` into `{relative path: text}` and nothing else.

A target is one module (plus `templates/<target>/`) exposing an `Options` frozen dataclass with
`Options.from_mapping(options)` and `render(plan, options) -> (files, diagnostics)`. Adding one
means adding its module and one row to `TARGETS`; modules are imported only when used, so
`flowc validate` never pays for jinja2 or any target.
"""

from __future__ import annotations

import importlib
from typing import Any, Mapping

from flowc.compiler.diagnostics import Diagnostic, error
from flowc.compiler.plan import Plan

TARGETS: dict[str, str] = {
    "compose": "flowc.targets.compose",
    "k8s": "flowc.targets.k8s",
    "local": "flowc.targets.local",
    "systemd": "flowc.targets.systemd",
}


def render(target: str, plan: Plan,
           options: Mapping[str, Any]) -> tuple[dict[str, str], list[Diagnostic]]:
    """Render `plan` for `target`; unknown or unavailable targets are diagnostics, not exceptions.

    `options` is the CLI's mapping (image, namespace, create_namespace, context, ...); each
    target's `Options.from_mapping` picks the keys it knows and ignores the rest.
    """
    if target not in TARGETS:
        import difflib

        close = difflib.get_close_matches(target, sorted(TARGETS), n=1)
        hint = f"did you mean `{close[0]}`?" if close else None
        return {}, [error("FC701", f"unknown target `{target}`; the targets are "
                          + ", ".join(f"`{t}`" for t in sorted(TARGETS)), None, hint=hint)]
    try:
        module = importlib.import_module(TARGETS[target])
    except ModuleNotFoundError as exc:
        if exc.name != TARGETS[target]:
            raise
        return {}, [error("FC702", f"the `{target}` target is not available in this installation",
                          None)]
    try:
        opts = module.Options.from_mapping(options)
    except (TypeError, ValueError) as exc:
        return {}, [error("FC711", f"invalid option for the `{target}` target: {exc}", None)]
    return module.render(plan, opts)
