"""Build an executor instance from the plan: what a worker (or the gateway, in-process) runs.

The plan's `ExecutorRef` says where the executor comes from (`kind`):

- 'class':  a class name (`jtype`) found in `py_modules` (paths relative to the base directory);
- 'file':   an Executor YAML (`path`, relative to the base directory). Its `with`/`metas`/
            `requests` are substituted here, at start-up, with the worker's own environment
            (SPEC §2), then the Flow entry's `uses_*` overrides are applied (SPEC §3);
- 'inline': an Executor mapping written in the Flow (`config`), already substituted at build
            time; the overrides are applied the same way;
- 'docker': the image provides the executor and says which through `FLOWC_USES` in its
            environment: a path to an Executor YAML, or `module.py:ClassName`.

Values written as `{"$template": text}` (secrets kept out of artifacts) are rendered here from
the environment (as a string when the plan marks them `"quoted": true`). User modules are
imported by file path under a unique module name; a `py_modules` entry that is no file but a
module name is imported by that name, as in Jina.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any, Mapping, MutableMapping, Sequence

import flowc.compiler
from flowc.compiler.plan import (TEMPLATE_KEY, TEMPLATE_QUOTED_KEY, Deployment, ExecutorRef, Plan,
                                replica_name)

from .executor import Executor, find_executor_class, inject

FLOWC_USES = "FLOWC_USES"
ROLES = ("executor", "uses_before", "uses_after")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ExecutorLoadError(Exception):
    """The executor could not be found or configured (not an error inside its `__init__`)."""


def load_executor(plan: Plan, deployment: str, *, role: str = "executor", shard_id: int = 0,
                  replica_id: int = 0, base_dir: Path,
                  env: Mapping[str, str] | None = None) -> Executor:
    """Construct the executor of `deployment` (`role` picks uses_before/uses_after instead).

    Raises `ExecutorLoadError` for configuration problems; an exception raised by the
    executor's own `__init__` propagates unchanged (the worker reports it with the traceback).
    """
    base_dir = Path(base_dir)
    try:
        dep = plan.deployment(deployment)
    except KeyError:
        names = ", ".join(d.name for d in plan.deployments) or "none"
        raise ExecutorLoadError(f"the plan has no deployment {deployment!r} (it has: {names})")
    env = deployment_env(dep, os.environ if env is None else env)  # SPEC §2: worker's own env
    ref = _ref_for_role(dep, role)
    cls, config = _resolve(ref, base_dir, env, dep.name)
    runtime_args = _runtime_args(plan, dep, role, shard_id, replica_id, base_dir, config)
    metas = dict(config.get("metas") or {})
    if metas.get("workspace") and not os.path.isabs(str(metas["workspace"])):
        metas["workspace"] = str(base_dir / str(metas["workspace"]))
    requests_table = {str(k): v for k, v in (config.get("requests") or {}).items()}
    kwargs = dict(config.get("with") or {})
    with inject(metas, requests_table, runtime_args):
        return cls(**kwargs)


def deployment_env(dep: Deployment, base: Mapping[str, str]) -> dict[str, str]:
    """`base` plus the entry's own `env:` (which wins, as in the process targets start)."""
    merged = dict(base)
    for key, value in (dep.env or {}).items():
        if isinstance(value, dict) and TEMPLATE_KEY in value:
            value = {**value, TEMPLATE_QUOTED_KEY: True}  # env values are text: `0123` stays
        value = render_templates(value, merged)
        merged[str(key)] = "" if value is None else str(value)
    return merged


def runtime_name(deployment: str, role: str = "executor", replica_id: int = 0,
                 shard_id: int = 0, shards: int = 1) -> str:
    """How a replica is named in logs, errors and `__results__`: `<entry>/rep-<i>` (SPEC §3);
    a replica of one shard of a sharded entry is `<entry>/shard-<s>/rep-<i>`, as in Jina, so
    that the shards' results and errors do not overwrite each other."""
    if role != "executor":
        return f"{deployment}/{role}/rep-{replica_id}"
    return replica_name(deployment, shard_id, replica_id, shards)


def _ref_for_role(dep: Deployment, role: str) -> ExecutorRef:
    if role not in ROLES:
        raise ExecutorLoadError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
    ref = dep.executor if role == "executor" else getattr(dep, role)
    if ref is None:
        raise ExecutorLoadError(f"deployment {dep.name!r} has no {role}")
    return ref


def _resolve(ref: ExecutorRef, base_dir: Path, env: Mapping[str, str],
             name: str) -> tuple[type[Executor], dict[str, Any]]:
    """(the executor class, its merged config: with/metas/requests) for one reference."""
    overrides = {key: render_templates(getattr(ref, key) or {}, env)
                 for key in ("uses_with", "uses_metas", "uses_requests", "uses_dynamic_batching")}
    modules = [base_dir / p for p in ref.py_modules]
    if ref.kind == "docker":
        ref, modules = _from_docker_env(ref, base_dir, env, name)
    if ref.kind == "class":
        file_config: dict[str, Any] = {"jtype": ref.jtype}
        yaml_dir = base_dir
    elif ref.kind == "file":
        if not ref.path:
            raise ExecutorLoadError(f"deployment {name!r}: executor file path is missing")
        path = base_dir / ref.path
        file_config = _load_executor_file(path, env)
        yaml_dir = path.parent
    elif ref.kind == "inline":
        file_config = render_templates(dict(ref.config or {}), env)
        yaml_dir = base_dir
    else:
        raise ExecutorLoadError(f"deployment {name!r}: unknown executor kind {ref.kind!r}")
    from flowc.compiler.precedence import merge_executor_config  # 1 ms of a gateway's start-up

    config = merge_executor_config(file_config, **overrides)
    modules += [yaml_dir / p for p in _as_list(config.get("py_modules"))]
    modules += [yaml_dir / p for p in _as_list((config.get("metas") or {}).get("py_modules"))]
    loaded = [_import_entry(path, base_dir) for path in _unique(modules)]
    jtype = config.get("jtype") or ref.jtype
    if not jtype:
        raise ExecutorLoadError(f"deployment {name!r}: no executor class (jtype) is given")
    cls = _find_class(str(jtype), loaded)
    if cls is None:
        where = ", ".join(str(p) for p in _unique(modules)) or "no py_modules"
        raise ExecutorLoadError(
            f"deployment {name!r}: executor class {jtype!r} not found (looked in: {where})")
    return cls, config


def _from_docker_env(ref: ExecutorRef, base_dir: Path, env: Mapping[str, str],
                     name: str) -> tuple[ExecutorRef, list[Path]]:
    uses = env.get(FLOWC_USES)
    if not uses:
        raise ExecutorLoadError(
            f"deployment {name!r} uses the image {ref.image or '?'}, which must say which "
            f"executor to run: set {FLOWC_USES} in the image to an Executor YAML path or to "
            f"'module.py:ClassName' (paths relative to {base_dir})")
    common = dict(uses_with=ref.uses_with, uses_metas=ref.uses_metas,
                  uses_requests=ref.uses_requests,
                  uses_dynamic_batching=ref.uses_dynamic_batching)
    if ":" in uses and uses.rsplit(":", 1)[0].endswith(".py"):
        module, cls_name = uses.rsplit(":", 1)
        new = ExecutorRef(kind="class", jtype=cls_name, py_modules=(module,), **common)
        return new, [base_dir / module]
    if uses.endswith((".yml", ".yaml")):
        return ExecutorRef(kind="file", path=uses, **common), []
    raise ExecutorLoadError(
        f"deployment {name!r}: {FLOWC_USES}={uses!r} is neither an Executor YAML (.yml/.yaml) "
        f"nor 'module.py:ClassName'")


def _load_executor_file(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """The Executor YAML at `path`, schema-checked and substituted with `env`, as plain data."""
    # 64 ms of a gateway's start-up, which loads no executor but `placement: gateway` ones
    from flowc.compiler import check, loader, substitute
    from flowc.compiler.diagnostics import has_errors

    root, diags = loader.load_file(path)
    if root is not None and not has_errors(diags):
        diags = list(diags) + list(check.check(root, "executor"))
    if root is not None and not has_errors(diags):
        root, more = substitute.substitute_executor_config(root, env)
        diags = list(diags) + list(more)
    if root is None or has_errors(diags):
        lines = [f"{d.span or path}: {d.severity}[{d.code}]: {d.message}" for d in diags
                 if str(d.severity) == "error"]
        raise ExecutorLoadError(f"cannot load executor file {path}:\n  " + "\n  ".join(lines))
    data = check.plain(root)  # a leading tag `!MyExec` reads as `jtype: MyExec`
    if not isinstance(data, dict):
        raise ExecutorLoadError(f"executor file {path} is not a mapping")
    return data


def render_templates(value: Any, env: Mapping[str, str]) -> Any:
    """`value` with every `{"$template": text}` replaced by its substitution from `env`."""
    if isinstance(value, dict):
        if TEMPLATE_KEY in value and set(value) <= {TEMPLATE_KEY, TEMPLATE_QUOTED_KEY} \
                and isinstance(value[TEMPLATE_KEY], str):
            from flowc.compiler.substitute import render_template  # 26 ms, as above

            try:  # a quoted scalar stays a string; a plain one is typed (SPEC §2)
                return render_template(value[TEMPLATE_KEY], env,
                                       quoted=value.get(TEMPLATE_QUOTED_KEY) is True)
            except Exception as exc:
                raise ExecutorLoadError(f"cannot substitute {value[TEMPLATE_KEY]!r}: {exc}") \
                    from None
        return {k: render_templates(v, env) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [render_templates(v, env) for v in value]
    return value


def _runtime_args(plan: Plan, dep: Deployment, role: str, shard_id: int, replica_id: int,
                  base_dir: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    workspace = dep.workspace or plan.flow.workspace
    if workspace and not os.path.isabs(workspace):
        workspace = str(base_dir / workspace)
    return {
        "name": runtime_name(dep.name, role, replica_id, shard_id=shard_id, shards=dep.shards),
        "entry": dep.name,
        "role": role,
        "replicas": dep.replicas,
        "shards": dep.shards,
        "shard_id": shard_id,
        "replica_id": replica_id,
        "workspace": workspace,
        "py_modules": _as_list(config.get("py_modules")) or None,
        "allow_concurrent": dep.allow_concurrent,
        "exit_on_exceptions": tuple(dep.exit_on_exceptions),
        "dynamic_batching": config.get("dynamic_batching") or {},
    }


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _unique(paths: list[Path]) -> list[Path]:
    seen: dict[str, Path] = {}
    for path in paths:
        seen.setdefault(str(path.resolve()), path)
    return list(seen.values())


# A dotted module name (`clip_server.executors.clip_torch`); a name ending in .py is a file.
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _import_entry(path: Path, base_dir: Path) -> Any:
    """One `py_modules` entry, as Jina imports it: a file or package folder when `path` exists,
    else a module name (the last part of `path`), imported with its folder and the base
    directory on `sys.path` (where the compiler looked for it)."""
    name = path.name
    if path.exists() or not _MODULE_NAME.fullmatch(name) or name.endswith(".py"):
        return _import_file(path)
    for folder in dict.fromkeys((str(Path(base_dir).resolve()), str(path.parent.resolve()))):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and not f"{name}.".startswith(f"{exc.name}."):
            raise  # the module exists; something it imports is missing
        raise ExecutorLoadError(f"py_modules: {name} is neither a file in {path.parent} nor "
                                f"a module Python can import") from None


def _import_file(path: Path) -> Any:
    """Import a Python file (or a package folder) under a name unique to its absolute path."""
    path = path.resolve()
    target = path / "__init__.py" if path.is_dir() else path
    if not target.is_file():
        raise ExecutorLoadError(f"py_modules: {path} does not exist")
    digest = hashlib.sha1(str(target).encode()).hexdigest()[:10]
    name = f"flowc_user_{path.stem.replace('-', '_')}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, target, submodule_search_locations=[str(path)] if path.is_dir() else None)
    if spec is None or spec.loader is None:
        raise ExecutorLoadError(f"py_modules: cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # Sibling modules of the file stay importable by their plain names, as in Jina.
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _find_class(name: str, modules: list[Any]) -> type[Executor] | None:
    for module in reversed(modules):
        candidate = getattr(module, name, None)
        if isinstance(candidate, type) and issubclass(candidate, Executor):
            return candidate
    return find_executor_class(name)


def print_user_traceback(exc: BaseException) -> None:
    """The traceback of an executor that failed to start, without flowc's own frames (the
    loader's calls above the user's code say nothing to its author); in full if every frame is
    flowc's, since then the fault is flowc's."""
    mine = tuple(str(Path(path).resolve().parent) + os.sep
                 for path in (__file__, flowc.compiler.__file__))
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(mine):
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__, file=sys.stderr)


class EnvFileError(Exception):
    """An `--env-from-file VAR=PATH` that cannot be applied (the message names PATH, never the
    value)."""


def add_env_from_file_option(parser: Any) -> None:
    """`--env-from-file VAR=PATH` (repeatable) on an argparse parser: how artifacts pass secrets
    (compose `/run/secrets/<id>`, systemd `%d/VAR` with `LoadCredential=`) without writing them."""
    parser.add_argument("--env-from-file", action="append", default=[], metavar="VAR=PATH",
                        help="set environment variable VAR to the content of file PATH (one "
                             "trailing newline removed) before anything starts; repeatable")


def apply_env_from_files(specs: Sequence[str], environ: MutableMapping[str, str] | None = None
                         ) -> list[str]:
    """Set each `VAR=PATH`'s variable from its file, in order; the variables set.

    Raises EnvFileError naming the argument or the path; the file's content never appears in a
    message."""
    target = os.environ if environ is None else environ
    done: list[str] = []
    for spec in specs:
        var, sep, path = spec.partition("=")
        if not sep or not path or not _ENV_VAR.fullmatch(var):
            raise EnvFileError(f"--env-from-file {spec!r}: expected VAR=PATH with VAR a variable "
                               "name (letters, digits, _; not starting with a digit)")
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise EnvFileError(f"--env-from-file {var}: cannot read {path}: "
                               f"{exc.strerror or type(exc).__name__}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise EnvFileError(f"--env-from-file {var}: {path} is not UTF-8 text") from None
        if "\x00" in text:
            raise EnvFileError(f"--env-from-file {var}: {path} contains a NUL byte, which an "
                               "environment variable cannot hold")
        if text.endswith("\r\n"):
            text = text[:-2]
        elif text.endswith("\n"):
            text = text[:-1]
        target[var] = text
        done.append(var)
    return done
