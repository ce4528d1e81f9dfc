"""Back ends: each renders a finished `Plan` into `{relative path: text}` and nothing else.

A target is one module (plus `templates/<target>/`) exposing an `Options` frozen dataclass with
`Options.from_mapping(options)` and `render(plan, options) -> (files, diagnostics)`. Adding one
means adding its module and one row to `TARGETS`, naming the `flowc build` options it takes
(from `OPTIONS`); the CLI refuses an option the chosen target does not take. Modules are
imported only when used, so `flowc validate` never pays for jinja2 or any target.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Mapping

from flowc.compiler.diagnostics import Diagnostic, error
from flowc.compiler.plan import Plan


@dataclass(frozen=True)
class Option:
    """One `flowc build` option: its flag, help, and value (`int`, `str`, or a flag: `bool`)."""

    flag: str
    help: str
    metavar: str | None = None
    kind: type = str
    choices: tuple[str, ...] | None = None


OPTIONS: dict[str, Option] = {
    "image": Option("--image", "image for executors built from local code", "NAME:TAG"),
    "base_image": Option("--base-image", "the default of the Dockerfiles' ARG BASE_IMAGE "
                         "(default python:3.11.11-slim-bookworm)", "NAME:TAG"),
    "namespace": Option("--namespace", "the namespace (default: the Flow's name)", "NS"),
    "create_namespace": Option("--create-namespace", "also write the Namespace", kind=bool),
    "service_monitor": Option("--service-monitor", "also write a Prometheus Operator "
                              "ServiceMonitor per workload with `monitoring: true` (as Jina)",
                              kind=bool),
    "base_port": Option("--base-port", "first port of the servers besides the gateway", "N",
                        kind=int),
    "host": Option("--host", "the address every process listens on (default 127.0.0.1)", "IP"),
    "gateway_host": Option("--gateway-host", "the address the gateway is reachable at (default "
                           "127.0.0.1: this machine only; 0.0.0.0: every interface)", "IP"),
    "secrets_from": Option("--secrets-from", "where compose reads `env_from_secret` values "
                           "(default file: secrets/<name>/<key>)",
                           choices=("file", "environment")),
    "runtime_path": Option("--runtime-path", "absolute path of flowc-runtime on the host "
                           "(default /opt/flowc/bin/flowc-runtime)", "PATH"),
    "config_root": Option("--config-root", "where the units' configuration is installed "
                          "(default /etc/flowc)", "DIR"),
    "install_root": Option("--install-root", "where the Flow's files are installed "
                           "(default /opt/flowc/flows)", "DIR"),
    "network": Option("--network", "the name of the Flow's compose network (default "
                      "<flow>-flowc)", "NAME"),
}


@dataclass(frozen=True)
class Target:
    module: str
    options: tuple[str, ...]  # keys of OPTIONS it takes (every target also gets `context`)
    ships: tuple[str, ...] = ()  # non-text inputs the CLI reads for it (`buildinputs.gather`)


TARGETS: dict[str, Target] = {
    "compose": Target("flowc.targets.compose", ("image", "base_image", "gateway_host",
                                                "secrets_from", "network"), ("wheel", "sources")),
    "k8s": Target("flowc.targets.k8s", ("image", "base_image", "namespace", "create_namespace",
                                        "service_monitor"),
                  ("wheel", "sources")),
    "local": Target("flowc.targets.local", ("base_port", "host")),
    "systemd": Target("flowc.targets.systemd", ("base_port", "gateway_host", "runtime_path",
                                                "config_root", "install_root"), ("wheel",)),
}


def unsupported(target: str, given: Mapping[str, Any]) -> list[str]:
    """The flags among `given` (option key → value; None or False: not given) that `target`
    does not take."""
    takes = set(TARGETS[target].options) if target in TARGETS else set(OPTIONS)
    return [OPTIONS[key].flag for key, value in given.items()
            if key in OPTIONS and key not in takes and value not in (None, False)]


def render(target: str, plan: Plan,
           options: Mapping[str, Any]) -> tuple[dict[str, str | bytes], list[Diagnostic]]:
    """Render `plan` for `target`; unknown or unavailable targets are diagnostics, not exceptions.

    `options` maps option keys (`OPTIONS`, and `context`) to values; each target's
    `Options.from_mapping` reads the keys it takes (`unsupported` names the others). The inputs
    its `ships` names (`wheel`: flowc's wheel; `sources`: the executors' files) are read by the
    caller with `flowc.targets.buildinputs.gather`, so rendering stays free of I/O; files are
    text, except those inputs (bytes).
    """
    if target not in TARGETS:
        import difflib  # 1 ms of every command (the CLI imports targets), a typo only

        close = difflib.get_close_matches(target, sorted(TARGETS), n=1)
        hint = f"did you mean `{close[0]}`?" if close else None
        return {}, [error("FC701", f"unknown target `{target}`; the targets are "
                          + ", ".join(f"`{t}`" for t in sorted(TARGETS)), None, hint=hint)]
    try:
        module = importlib.import_module(TARGETS[target].module)
    except ModuleNotFoundError as exc:
        if exc.name != TARGETS[target].module:
            raise
        return {}, [error("FC702", f"the `{target}` target is not available in this installation",
                          None)]
    try:
        opts = module.Options.from_mapping(options)
    except (TypeError, ValueError) as exc:
        return {}, [error("FC711", f"invalid option for the `{target}` target: {exc}", None)]
    return module.render(plan, opts)
