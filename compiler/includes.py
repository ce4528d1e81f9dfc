"""Phase 3 — includes: the files a Flow names, each read and parsed once (SPEC §1).

An item of `executors:` may name a Deployment file, and a `uses:` (`uses_before:`, `uses_after:`)
an Executor file. Their names are read on the substituted Flow (a name may be substituted), so
this runs right after substitution. Each file is loaded once however often it is named (`Files`); a
Deployment file is substituted once, with the Flow's context (its own `env_from_secret` names
stay runtime references too), as it is part of the build; an Executor file stays as written (the
worker substitutes it at start-up). The check phase then checks every document once
(`Included.check`), and resolve reads the documents from here: no phase after this one reads a
file. Problems are reported at the place that names the file, with the chain of places that
included it ("included from here").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from .check import check, detect_kind
from .diagnostics import Diagnostic
from .loader import load_file
from .resolve_files import FileContext, err, is_file, join_display, locate_file, uses_file_text
from .syntax import Mapping, Node, Scalar, Sequence, Span

__all__ = ["Document", "Files", "Included", "include_files"]


@dataclass
class Document:
    """One file as this compilation reads it: loaded once, substituted at most once."""

    kind: str | None  # 'deployment' | 'executor' ... as its `jtype` says; None if it did not load
    root: Node | None  # substituted (Deployment files) or as written (Executor files)
    load_diags: list[Diagnostic]  # the loader's problems, without an include chain
    substituted: bool = False
    substitution_diags: list[Diagnostic] = field(default_factory=list)


class Files:
    """Every file of one compilation, loaded once each (keyed by absolute path)."""

    def __init__(self) -> None:
        self.documents: dict[Path, Document] = {}

    def load(self, path: Path, display: str) -> Document:
        document = self.documents.get(path)
        if document is None:
            root, diags = load_file(path, display_name=display)
            document = Document(detect_kind(root) if root is not None else None, root, diags)
            self.documents[path] = document
        return document

    def deployment_root(self, text: str, ctx: FileContext) -> Node | None:
        """The written tree of the Deployment file `text` names in `ctx`'s file, or None
        (problems are reported when it is included). For the secrets a Flow declares."""
        path = (ctx.directory / text)
        try:
            path = path.resolve()
            path.relative_to(ctx.base_dir)
        except (OSError, RuntimeError, ValueError):
            return None
        if not is_file(path):
            return None
        return self.load(path, join_display(ctx, text)).root


@dataclass(frozen=True)
class Site:
    """A file as named at one place: its document and the context of its own text."""

    document: Document
    path: Path  # absolute
    rel: str  # relative to the base directory
    ctx: FileContext  # the included file's own context (its directory, the include chain)


@dataclass
class Included:
    """The files a Flow names, by the place that names them (`at`)."""

    sites: dict[tuple[Span, ...], Site | None] = field(default_factory=dict)

    def at(self, ctx: FileContext, node: Node) -> Site | None:
        """The file `node` (a scalar in `ctx`'s file) names; None when it was not included
        (its problem is already reported)."""
        return self.sites.get(ctx.chain + (node.span,))

    def check(self) -> list[Diagnostic]:
        """The check phase on every included document, once each; its problems at every site."""
        checked: dict[int, list[Diagnostic]] = {}
        out: list[Diagnostic] = []
        for site in self.sites.values():
            if site is None or site.document.root is None:
                continue
            document = site.document
            if id(document) not in checked:
                checked[id(document)] = check(document.root, document.kind or "deployment",
                                              substituted=document.substituted)
            out += [with_chain(d, site.ctx) for d in checked[id(document)]]
        return out


def with_chain(diag: Diagnostic, ctx: FileContext) -> Diagnostic:
    """A diagnostic inside an included file, with "included from here" notes added."""
    return replace(diag, related=diag.related + ctx.related()) if ctx.chain else diag


Substitute = Callable[[Node], tuple[Node, list[Diagnostic]]]


def include_files(flow: Node, ctx: FileContext, files: Files, substitute: Substitute
                  ) -> tuple[Included, list[Diagnostic]]:
    """Load the files the (substituted) Flow `flow` names; `substitute` substitutes a
    Deployment file."""
    included = Included()
    diags: list[Diagnostic] = []
    items = flow.get("executors") if isinstance(flow, Mapping) else None
    if isinstance(flow, Mapping) and items is None:
        items = flow.get("deployments")
    for item in items.items if isinstance(items, Sequence) else ():
        if isinstance(item, Scalar) and isinstance(item.value, str):
            site = _include(item, ctx, files, "deployment", diags, included)
            if site is None or not isinstance(site.document.root, Mapping):
                continue
            document = site.document
            if not document.substituted:
                document.root, document.substitution_diags = substitute(document.root)
                document.substituted = True
            diags += [with_chain(d, site.ctx) for d in document.substitution_diags]
            if isinstance(document.root, Mapping):
                _executor_files(document.root.get("with"), site.ctx, files, diags, included)
        elif isinstance(item, Mapping):
            jtype = item.get("jtype")
            if (isinstance(jtype, Scalar) and jtype.value == "Deployment") \
                    or item.tag == "!Deployment":
                item = item.get("with")
            _executor_files(item, ctx, files, diags, included)
    return included, diags


def _executor_files(entry: Node | None, ctx: FileContext, files: Files,
                    diags: list[Diagnostic], included: Included) -> None:
    if not isinstance(entry, Mapping):
        return
    for key in ("uses", "uses_before", "uses_after"):
        node = entry.get(key)
        if isinstance(node, Scalar) and uses_file_text(node, ctx) is not None:
            _include(node, ctx, files, "executor", diags, included)


def _include(node: Scalar, ctx: FileContext, files: Files, want: str,
             diags: list[Diagnostic], included: Included) -> Site | None:
    text = str(node.value).strip() if want == "executor" else str(node.value)
    what = "Executor file" if want == "executor" else "Deployment file"
    key = ctx.chain + (node.span,)
    if key in included.sites:
        return included.sites[key]
    path, rel, problems = locate_file(text, node.span, ctx, what)
    diags += problems
    site = None
    if path is not None:
        display = join_display(ctx, text)
        child = FileContext(display, path.parent, ctx.base_dir, key)
        document = files.load(path, display)
        diags += [with_chain(d, child) for d in document.load_diags]
        if document.root is None:
            pass
        elif document.kind != want:
            diags.append(err("FC402", f"`{display}` is {_article(document.kind)} "
                                      f"{document.kind} file, but {_article(want)} {want} file "
                                      "is expected here", node.span, ctx))
        else:
            site = Site(document, path, rel, child)
    included.sites[key] = site
    return site


def _article(word: str | None) -> str:
    return "an" if (word or "")[:1] in "aeiou" else "a"
