"""YAML for the Python `Flow` (`api.py`): its values as a syntax tree for the compiler
(`from_python`), as text (`dump`: `to_yaml`, `save_config`), and a Flow file read back into the
builder's parts (`flow_parts`: `load_config`).

A value is Python data, or a syntax node read from a file by `load_config`. Python strings are
written double-quoted (they stay strings, as a quoted YAML scalar does). A node keeps its span,
so the compiler's diagnostics point into the file it came from, and its style when written back:
a plain scalar stays plain (`replicas: ${{ ENV.R }}` becomes a number once substituted, SPEC
§2), a quoted one is written double-quoted. A local tag on a mapping (`!MyExec`) is written as
its `jtype`, as the compiler reads it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .syntax import Mapping, Node, Scalar, Sequence, Span, to_python

PYTHON_FILE = "<python>"
NO_SPAN = Span(PYTHON_FILE, 0, 0, 0, 0)
_PLAIN_KEY = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_.-]*|/[A-Za-z0-9_/.-]*)$")
_NODES = (Scalar, Sequence, Mapping)


class Section(dict):
    """A mapping read from a file that Python code builds on (`with:`, `gateway:`, the
    document): a dict of its values that also remembers its span and its keys' nodes, so that
    diagnostics about them still point into the file."""

    def __init__(self, node: Mapping | None = None, span: Span | None = None) -> None:
        super().__init__()
        self.span = node.span if node is not None else span
        self.key_nodes: dict[str, Scalar] = {}
        for key, value in (node.items if node is not None else ()):
            self[str(key.value)] = value
            self.key_nodes[str(key.value)] = key


@dataclass
class FlowParts:
    """A Flow document split as the builder holds it: `with:`, `gateway:`, the entries, every
    other top-level key in file order (`version`, `jcloud`, ...), and the document's own
    span and key nodes (`root`, its values unused)."""

    with_: dict[str, Any] = field(default_factory=dict)
    gateway: dict[str, Any] = field(default_factory=dict)
    entries: list[Any] = field(default_factory=list)
    others: dict[str, Any] = field(default_factory=dict)
    root: Section = field(default_factory=Section)


def flow_parts(root: Node) -> FlowParts | None:
    """The parts of a loaded Flow document; None when it is not a mapping."""
    if not isinstance(root, Mapping):
        return None
    parts = FlowParts(root=Section(root))
    entries_key = "executors" if "executors" in root else "deployments"
    for key, value in root.items:
        name = str(key.value)
        if name in ("with", "gateway") and isinstance(value, Mapping):
            if name == "with":
                parts.with_ = Section(value)
            else:
                parts.gateway = Section(value)
        elif name == entries_key and isinstance(value, Sequence):
            parts.entries.extend(value.items)
        elif name != "jtype":
            parts.others[name] = value
    return parts


def from_python(value: Any, span: Span = NO_SPAN) -> Node:
    """A syntax tree for plain Python data (mappings, lists, scalars) with no source positions;
    syntax nodes inside it are kept as they are."""
    if isinstance(value, _NODES):
        return value
    if isinstance(value, dict):
        keys = getattr(value, "key_nodes", {})
        here = getattr(value, "span", None) or span
        return Mapping(tuple((keys.get(str(k)) or Scalar(str(k), span), from_python(v, span))
                             for k, v in value.items()), here)
    if isinstance(value, (list, tuple)):
        return Sequence(tuple(from_python(v, span) for v in value), span)
    if isinstance(value, Path):
        value = str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return Scalar(value, span, '"' if isinstance(value, str) else "")
    raise TypeError(f"a Flow value must be YAML data (mapping, list, string, number, boolean, "
                    f"null), not {type(value).__name__}")


def plain(value: Any) -> Any:
    """Python data for a value that may hold syntax nodes (a tag reads as `jtype`)."""
    if isinstance(value, _NODES):
        pairs, items = _pairs(value), _items(value)
        if pairs is not None:
            return {k: plain(v) for k, v in pairs}
        if items is not None:
            return [plain(v) for v in items]
        return to_python(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value) if isinstance(value, Path) else value


def dump(document: dict[str, Any]) -> str:
    """Block-style YAML text of a document whose values may hold syntax nodes."""
    return "".join(_emit(document, 0))


def _pairs(value: Any, tag_as_jtype: bool = True) -> list[tuple[str, Any]] | None:
    """A mapping's (key, value) pairs; a local tag reads as `jtype` unless it is written back."""
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, Mapping):
        pairs = [(str(k.value), v) for k, v in value.items]
        tag = _local_tag(value)
        if tag_as_jtype and tag and "jtype" not in value:
            pairs.insert(0, ("jtype", Scalar(tag[1:], value.span)))
        return pairs
    return None


def _local_tag(value: Any) -> str:
    """`!Name` on a mapping node (it names the `jtype`), else ''."""
    tag = getattr(value, "tag", None) or ""
    return tag if isinstance(value, Mapping) and tag.startswith("!") \
        and not tag.startswith("!!") and len(tag) > 1 else ""


def _items(value: Any) -> list[Any] | None:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, Sequence):
        return list(value.items)
    return None


def _emit(value: Any, indent: int) -> list[str]:
    """Block-style lines; a tagged mapping keeps its tag (`uses: !MyExec`, `- !Deployment`)."""
    pad = " " * indent
    out: list[str] = []
    pairs = _pairs(value, tag_as_jtype=False)
    if pairs is not None:
        for k, v in pairs:
            tag = _local_tag(v)
            if _pairs(v) or _items(v):
                out.append(f"{pad}{_key(k)}:{' ' + tag if tag else ''}\n")
                out += _emit(v, indent + 2)
            else:
                out.append(f"{pad}{_key(k)}: {tag + ' ' if tag else ''}{_inline(v)}\n")
        return out
    for item in _items(value) or []:
        tag = _local_tag(item)
        if _pairs(item) or _items(item):
            lines = _emit(item, indent + 2)
            if tag:
                out.append(f"{pad}- {tag}\n")
                out += lines
            else:
                out.append(f"{pad}- {lines[0].lstrip()}")
                out += lines[1:]
        else:
            out.append(f"{pad}- {tag + ' ' if tag else ''}{_inline(item)}\n")
    return out


def _inline(value: Any) -> str:
    if _pairs(value) is not None:
        return "{}"
    if _items(value) is not None:
        return "[]"
    if isinstance(value, Scalar):
        return _node_scalar(value)
    return _scalar(str(value) if isinstance(value, Path) else value)


def _node_scalar(node: Scalar) -> str:
    """A scalar read from a file: a plain string stays plain (its text is its value: a plain
    scalar has no escapes), unless it spanned lines or carried a tag."""
    value = node.value
    if isinstance(value, str) and not node.style and not node.tag and "\n" not in value \
            and value == value.strip() and value:
        return value
    return _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _key(key: Any) -> str:
    text = str(key)
    return text if _PLAIN_KEY.match(text) and text not in ("null", "true", "false") else \
        json.dumps(text, ensure_ascii=False)
