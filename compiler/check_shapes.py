"""Check-phase errors about a document's shape that the schema would report confusingly.

- FC226: `uses:` left empty with Executor-file keys (`jtype`, `with`, `metas`, ...) right below
  it at the same indentation. Jina reads that as an entry running the base Executor and drops
  the keys; the author meant them under `uses:`. The schema alone would say "unknown key
  `jtype`" and nothing about `uses`.
- FC227: a document that is only a tag (`!DummySegment` and nothing else). Jina refuses it
  ("can not construct ... from ..."); the schema alone would say "must be a mapping, got null"
  with the caret after the tag.

Each returns its diagnostics and the spans whose schema errors they replace.
"""

from __future__ import annotations

from typing import Iterator

from .diagnostics import CATALOGUE, Diagnostic, Related, error
from .syntax import Mapping, Node, Scalar, Sequence, Span

# Keys of an Executor file that an executor entry does not have: under an empty `uses:` at its
# indentation they were meant to be indented under it.
EXECUTOR_ONLY_KEYS = ("jtype", "with", "metas", "requests", "dynamic_batching")
_USES_KEYS = ("uses", "uses_before", "uses_after")


def shape_errors(root: Node, kind: str) -> tuple[list[Diagnostic], list[Span]]:
    """FC226 and FC227 in `root`, and the spans of the schema errors they replace."""
    diags: list[Diagnostic] = []
    replaced: list[Span] = []
    tag_only = _tag_only(root)
    if tag_only is not None:
        diags.append(tag_only)
        replaced.append(root.span)
    for entry in _entries(root, kind):
        for key in _USES_KEYS:
            found = _misindented(entry, key)
            if found is not None:
                diags.append(found[0])
                replaced += found[1]
    return diags, replaced


def _tag_only(root: Node) -> Diagnostic | None:
    tag = root.tag
    if not isinstance(root, Scalar) or root.value is not None or not tag \
            or not tag.startswith("!") or tag.startswith("!!"):
        return None
    span = root.span
    start = max(1, span.col - len(tag))
    at = Span(span.file, span.line, start, span.line, start + len(tag))
    return error("FC227", f"the document is only the tag `{tag}`: there is nothing to load "
                          "(Jina refuses it too)", at, hint=CATALOGUE["FC227"].default_hint)


def _entries(root: Node, kind: str) -> Iterator[Mapping]:
    """The executor-entry mappings of a Flow or Deployment document."""
    if not isinstance(root, Mapping):
        return
    if kind == "deployment":
        body = root.get("with")
        if isinstance(body, Mapping):
            yield body
        return
    if kind != "flow":
        return
    for section in ("executors", "deployments"):
        items = root.get(section)
        for item in items.items if isinstance(items, Sequence) else ():
            if not isinstance(item, Mapping):
                continue
            jtype = item.get("jtype")
            if (isinstance(jtype, Scalar) and jtype.value == "Deployment") \
                    or item.tag == "!Deployment":
                body = item.get("with")
                if isinstance(body, Mapping):
                    yield body
            else:
                yield item


def _misindented(entry: Mapping, key: str) -> tuple[Diagnostic, list[Span]] | None:
    """FC226 when `key` is empty (nothing written after it: the loader gives such a value its
    key's span) and Executor-file keys follow it in the same mapping."""
    key_node = entry.key_node(key)
    value = entry.get(key)
    if key_node is None or not isinstance(value, Scalar) or value.value is not None \
            or value.span != key_node.span:
        return None
    after = [k for k, _ in entry.items
             if str(k.value) in EXECUTOR_ONLY_KEYS and (k.span.line, k.span.col) > (
                 key_node.span.line, key_node.span.col)]
    if not after:
        return None
    names = ", ".join(f"`{k.value}`" for k in after)
    column = key_node.span.col + 2
    verb, owner = ("is", "it belongs") if len(after) == 1 else ("are", "they belong")
    diag = error(
        "FC226", f"`{key}` is empty, and {names} below it {verb} at the indentation of `{key}`, "
                 f"so {owner} to the entry, not to `{key}`", key_node.span,
        related=[Related(k.span, f"probably meant under `{key}:`") for k in after],
        hint=f"indent {names} under `{key}:` (to column {column}) to make them its inline "
             f"Executor, or remove `{key}:` if the entry should run Jina's base Executor")
    return diag, [k.span for k in after] + [key_node.span]
