"""Resolve helpers: the files a Flow names (Executor YAML, Deployment YAML, py_modules).

Split from `resolve.py` so each stays one screen of logic. Files are located relative to the file
that names them and must stay under the base directory (the Flow file's directory, which is the
build context for images). The includes phase (`includes.py`) loads them, once each; this module
turns what it loaded into resolved values. Executor files are never substituted here: the
worker substitutes them at start-up with its own environment (SPEC §2). Nothing here imports or
runs user code.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .diagnostics import CATALOGUE, Diagnostic, Related, error
from .model import Provenance, ResolvedExecutor, Value
from .plan import TEMPLATE_KEY
from .pymodules import find_module, is_module_name
from .syntax import Mapping, Node, Scalar, Sequence, Span, State

# `uses` values naming an Executor file end with one of these.
YAML_SUFFIXES = (".yml", ".yaml")
# `uses` schemes: only docker:// is supported; the others name the Jina Hub forms for an error.
USES_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://(.*)$", re.IGNORECASE)
# Executor document keys the Flow entry can override (SPEC §3), shown by `explain`.
EXECUTOR_FILE_KEYS = ("with", "metas", "requests", "dynamic_batching")


@dataclass(frozen=True)
class FileContext:
    """The file whose text is being resolved: where relative paths start and how it was reached."""

    display: str  # the file name spans show (as the user gave it, or joined from the includer)
    directory: Path  # absolute directory of that file
    base_dir: Path  # absolute base directory (the Flow file's directory)
    chain: tuple[Span, ...] = ()  # spans that included this file, outermost first

    def related(self) -> tuple[Related, ...]:
        return tuple(Related(span, "included from here") for span in reversed(self.chain))


def err(code: str, message: str, span: Span | None, ctx: FileContext | None = None, *,
        hint: str | None = None, related: tuple[Related, ...] = ()) -> Diagnostic:
    """An error with the catalogue's default hint and the include chain as related spans."""
    chain = ctx.related() if ctx else ()
    return error(code, message, span, hint=hint or CATALOGUE[code].default_hint,
                 related=related + chain)


def plain(node: Node | None) -> Any:
    """Plain Python value of a substituted node; a secret-dependent scalar becomes a template."""
    if node is None:
        return None
    if isinstance(node, Scalar):
        if node.state is State.DEFERRED:
            return {TEMPLATE_KEY: node.value}
        return node.value
    if isinstance(node, Sequence):
        return [plain(item) for item in node.items]
    return {str(k.value): plain(v) for k, v in node.items}


def provenance(node: Node, display: str) -> Provenance:
    """Where a value came from: its substitution origin, else the file (`display`) it is in."""
    origin = node.origin if isinstance(node, Scalar) else None
    if origin is None:
        return Provenance("file", display, node.span)
    return Provenance(origin.kind, origin.detail, node.span)


def value_of(node: Node, ctx: FileContext) -> Value:
    return Value(plain(node), provenance(node, ctx.display), node)


def join_display(ctx: FileContext, text: str) -> str:
    """The display name of a file named by `text` inside `ctx`'s file."""
    if os.path.isabs(text):
        return text
    return posixpath.normpath(posixpath.join(posixpath.dirname(ctx.display), text))


def locate_file(text: str, span: Span, ctx: FileContext, what: str
                ) -> tuple[Path | None, str, list[Diagnostic]]:
    """Absolute path of `text` (relative to the naming file), its path relative to the base
    directory, or a located error when it does not exist or leaves the base directory.

    An Executor or Deployment file must be a regular file: a directory cannot be loaded and a
    FIFO would block the compiler. A path the operating system refuses (a NUL character, a
    name too long, a symlink loop) is the same "not found" error, with the reason.
    """
    code = "FC401" if what != "py_modules file" else "FC406"
    try:
        path = (ctx.directory / text).resolve()
        exists, regular = path.exists(), path.is_file()
    except (OSError, RuntimeError, ValueError) as exc:  # too long, a symlink loop, a NUL
        reason = getattr(exc, "strerror", None) or str(exc)
        return None, "", [err(code, f"{what} `{text}` cannot be read: {reason}", span, ctx)]
    try:
        rel = path.relative_to(ctx.base_dir)
    except ValueError:
        return None, "", [err("FC403", f"{what} `{text}` is outside the Flow file's directory",
                              span, ctx)]
    if not exists:
        shown = join_display(ctx, text)
        looked = f" (looked for `{shown}`)" if shown != text else ""
        return None, "", [err(code, f"{what} `{text}` not found{looked}", span, ctx)]
    if not regular and what != "py_modules file":  # py_modules may name a package folder
        kind = "a directory" if path.is_dir() else "not a regular file"
        return None, "", [err(code, f"{what} `{text}` is {kind}", span, ctx)]
    return path, rel.as_posix(), []


def is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a name too long: not a file flowc can use
        return False


def uses_file_text(node: Scalar, ctx: FileContext) -> str | None:
    """The path a `uses:` scalar names when it names an Executor file, else None (a class, an
    image, a value not known now, or a form resolve reports as FC405)."""
    if not isinstance(node.value, str) or not node.known:
        return None
    text = node.value.strip()
    if USES_SCHEME.match(text) or text.isidentifier():
        return None
    if not text.lower().endswith(YAML_SUFFIXES) and not is_file(ctx.directory / text):
        return None
    return text


def py_module_list(node: Node | None) -> list[Scalar]:
    """The scalars of a `py_modules` value (a string or a list of strings)."""
    if isinstance(node, Scalar) and isinstance(node.value, str):
        return [node]
    if isinstance(node, Sequence):
        return [i for i in node.items if isinstance(i, Scalar) and isinstance(i.value, str)]
    return []


def resolve_py_modules(nodes: list[Scalar], ctx: FileContext,
                       module_dirs: tuple[Path, ...] | None = None
                       ) -> tuple[list[str], list[Diagnostic]]:
    """py_modules made relative to the base directory; pending substitutions are kept as text.

    An entry that is no file but a module name importable from `module_dirs` (the folders the
    worker puts on `sys.path` for it: the base directory, and for an Executor file its own
    folder) or the installed packages is kept as that name: the worker imports it as a module,
    as Jina does (`pymodules.py`)."""
    module_dirs = (ctx.base_dir,) if module_dirs is None else module_dirs
    out: list[str] = []
    diags: list[Diagnostic] = []
    for node in nodes:
        text = str(node.value)
        if "$" in text:  # substituted by the worker at start-up; cannot be checked now
            out.append(text)
            continue
        _, rel, problems = locate_file(text, node.span, ctx, "py_modules file")
        if rel:
            out.append(rel)
            continue
        if is_module_name(text) and all(d.code == "FC406" for d in problems):
            if find_module(text, module_dirs) is not None:
                out.append(text)
                continue
            shown = join_display(ctx, text)
            diags.append(err(
                "FC406", f"py_modules `{text}` is neither a file (looked for `{shown}`) nor a "
                         f"module Python can import", node.span, ctx,
                hint="name a .py file or package folder relative to this file, or a module "
                     "installed where flowc runs or found in the Flow's folder"
                     + (" or this file's" if len(module_dirs) > 1 else "")))
            continue
        diags += problems
    return out, diags



def executor_modules(root: Mapping, ctx: FileContext) -> tuple[list[str], list[Diagnostic]]:
    """py_modules of an Executor document: top-level and `metas.py_modules`."""
    nodes = py_module_list(root.get("py_modules"))
    metas = root.get("metas")
    if isinstance(metas, Mapping):
        nodes += py_module_list(metas.get("py_modules"))
    return resolve_py_modules(nodes, ctx, (ctx.directory, ctx.base_dir))


def document_jtype(root: Mapping) -> str | None:
    """`jtype`, or the leading tag `!Name` that means the same."""
    node = root.get("jtype")
    if isinstance(node, Scalar) and node.value is not None:
        return str(node.value)
    if root.tag and root.tag.startswith("!") and not root.tag.startswith("!!"):
        return root.tag[1:]
    return None


def executor_from_file(site: Any, span: Span, overrides: dict[str, Value],
                       extra_modules: list[str]) -> tuple[ResolvedExecutor | None,
                                                          list[Diagnostic]]:
    """`uses: path/to/executor.yml`, as the includes phase loaded it (`includes.Site`); its
    values are kept as written."""
    root, child = site.document.root, site.ctx
    if not isinstance(root, Mapping):
        return None, []
    modules, diags = executor_modules(root, child)
    file_values = {key: Value(plain(node), Provenance("file", child.display, node.span), node)
                   for key in EXECUTOR_FILE_KEYS if (node := root.get(key)) is not None}
    return ResolvedExecutor(
        kind="file", jtype=document_jtype(root), span=span, path=site.rel,
        py_modules=_unique(extra_modules + modules), file_values=file_values,
        overrides=overrides, source=child.display), diags


def executor_inline(node: Mapping, ctx: FileContext, overrides: dict[str, Value],
                    extra_modules: list[str]) -> tuple[ResolvedExecutor, list[Diagnostic]]:
    """`uses:` written as an Executor mapping inside the Flow (or Deployment) file."""
    modules, diags = executor_modules(node, ctx)
    config = plain(node)
    file_values = {key: Value(plain(child), Provenance("file", ctx.display, child.span), child)
                   for key in EXECUTOR_FILE_KEYS if (child := node.get(key)) is not None}
    return ResolvedExecutor(
        kind="inline", jtype=document_jtype(node), span=node.span, config=config,
        py_modules=_unique(extra_modules + modules), file_values=file_values,
        overrides=overrides), diags


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
