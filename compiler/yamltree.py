"""The tree builder of phase 1: ruamel parser events → frozen `syntax` nodes, in a loop.

`loader.py` prepares the text and drives the parser; this module turns one document's events
into nodes without recursion, checks tags, limits (depth, aliases, expanded nodes, scalar length),
duplicate keys and `<<` merges, and types plain scalars with the YAML 1.2 core schema (see the
`loader` module docstring for the decisions and how they differ from Jina).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from .diagnostics import Diagnostic, Related, error
from .syntax import Mapping, Node, Scalar, ScalarValue, Sequence, Span

__all__ = ["Limits", "DEFAULT_LIMITS", "Stop", "Builder", "resolve_plain"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Pre-flight bounds; each one turns a hostile or runaway file into a located error."""

    # 2 MiB: a 10,000-executor Flow is 1.7 MB, and ruamel's pure-Python scanner needs about
    # 4 µs per byte of small tokens, so refusing the largest hostile file allowed takes ~8 s
    max_bytes: int = 2 * 1024 * 1024
    max_depth: int = 64
    max_aliases: int = 200  # alias events (`*name`) in the document
    max_nodes: int = 1_000_000  # nodes after alias expansion
    max_scalar_chars: int = 1024 * 1024


DEFAULT_LIMITS = Limits()

_STANDARD_TAGS = {"str", "int", "float", "bool", "null", "map", "seq"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# --- YAML 1.2 core schema -------------------------------------------------------------------

_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"([-+]?)\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")
_MAYBE_TYPED = set("0123456789+-.~tTfFnN")

_NO_VALUE = object()
_MERGE = object()


def _as_int(text: str) -> Any:
    try:
        if _INT.match(text):
            return int(text, 10)
        if _OCT.match(text):
            return int(text[2:], 8)
        if _HEX.match(text):
            return int(text[2:], 16)
    except ValueError:  # more digits than Python's int() converts: keep the text
        return text
    return _NO_VALUE


def _as_float(text: str) -> Any:
    if _FLOAT.match(text):
        return float(text)
    inf = _INF.match(text)
    if inf:
        return float("-inf") if inf.group(1) == "-" else float("inf")
    if _NAN.match(text):
        return float("nan")
    return _NO_VALUE


def resolve_plain(text: str) -> ScalarValue:
    """The YAML 1.2 core-schema value of a plain (unquoted) scalar; substitution reuses it."""
    if text and text[0] not in _MAYBE_TYPED:
        return text
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    value = _as_int(text)
    if value is _NO_VALUE:
        value = _as_float(text)
    return text if value is _NO_VALUE else value


def _by_tag(suffix: str, text: str) -> Any:
    """Value of a scalar with a standard tag, or _NO_VALUE when the text does not fit it."""
    if suffix == "str":
        return text
    if suffix == "null":
        return None if text in _NULLS else _NO_VALUE
    if suffix == "bool":
        return _BOOLS.get(text, _NO_VALUE)
    if suffix == "int":
        value = _as_int(text)
        return value if isinstance(value, int) else _NO_VALUE
    if suffix == "float":
        value = _as_float(text)
        if value is _NO_VALUE and isinstance(_as_int(text), int):
            value = float(_as_int(text))  # 0o17 and 0x1F as floats
        return value
    return _NO_VALUE  # !!map / !!seq on a scalar


# --- the tree builder -----------------------------------------------------------------------

class Stop(Exception):
    """Raised inside the builder when a diagnostic ends loading (limits, structure)."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class _Frame:
    __slots__ = ("is_map", "event", "tag", "items", "weight", "height")

    def __init__(self, is_map: bool, event: Any, tag: str | None) -> None:
        self.is_map = is_map
        self.event = event
        self.tag = tag
        self.items: list[Node] = []
        self.weight = 1
        self.height = 1  # levels of collections from this one down (aliases expanded)


class Builder:
    """Turns one document's events into nodes, iteratively, enforcing the limits as it goes."""

    def __init__(self, file: str, limits: Limits) -> None:
        self.file = file
        self.limits = limits
        self.diags: list[Diagnostic] = []
        self.anchors: dict[str, tuple[Node, int, int]] = {}  # node, weight, height
        self.open_anchors: set[str] = set()
        self.aliases = 0
        self.nodes = 0

    def span(self, start: Any, end: Any) -> Span:
        return Span(self.file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)

    def mark_span(self, mark: Any) -> Span:
        return Span(self.file, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 1)

    def count(self, weight: int, event: Any) -> None:
        self.nodes += weight
        if self.nodes > self.limits.max_nodes:
            raise Stop(error(
                "FC105", f"the document expands to more than {self.limits.max_nodes:,} nodes "
                "(aliases are expanded)", self.span(event.start_mark, event.end_mark),
                hint="a few aliases that each repeat many nodes (a 'billion laughs' file) "
                     "multiply; write the values out or raise the limit"))

    def check_tag(self, event: Any, what: str) -> str | None:
        """The tag as written if allowed, else None (after reporting it)."""
        tag = event.ctag
        if tag is None:
            return None
        handle, suffix = tag.handle, tag.suffix or ""
        handles = tag.handles or {}
        if (handle, suffix) in (("!", ""), (None, "!")):
            return "!"  # the non-specific tag: the scalar stays a string
        if handle == "!" and handles.get("!") == "!" and _IDENTIFIER.match(suffix):
            return "!" + suffix
        if handle == "!!" and handles.get("!!") == "tag:yaml.org,2002:" and suffix in _STANDARD_TAGS:
            if suffix not in _TAGS_FOR[what]:
                self.diags.append(error(
                    "FC113", f"tag '!!{suffix}' cannot be used on a {_WHAT[what]}",
                    self.tag_span(event, f"!!{suffix}"), hint="remove the tag"))
                return None
            return "!!" + suffix
        written = f"!<{suffix}>" if handle is None else f"{handle}{suffix}"
        self.diags.append(error(
            "FC108", f"tag '{written}' is not allowed: flowc never constructs objects from tags",
            self.tag_span(event, written),
            hint="remove the tag; allowed are a document tag like '!Flow' (same as "
                 "'jtype: Flow') and !!str, !!int, !!float, !!bool, !!null, !!map, !!seq"))
        return None

    def tag_span(self, event: Any, written: str) -> Span:
        text = event.start_mark.buffer
        start = text.find(written[:2], event.start_mark.pointer)
        mark = event.start_mark
        col = mark.column + 1 + max(0, start - mark.pointer) if start >= 0 else mark.column + 1
        return Span(self.file, mark.line + 1, col, mark.line + 1, col + len(written))

    def scalar(self, event: Any) -> Scalar:
        style = event.style or ""
        text = event.value
        if len(text) > self.limits.max_scalar_chars:
            raise Stop(error(
                "FC106", f"scalar is {len(text):,} characters long, more than the limit of "
                f"{self.limits.max_scalar_chars:,}", self.span(event.start_mark, event.end_mark)))
        start, end = event.start_mark, event.end_mark
        if event.ctag is not None or event.anchor is not None:
            start = _after_properties(start)
            if (start.line, start.column) > (end.line, end.column):
                start = end  # an empty value after its properties (`key: &a` then a newline)
        span = Span(self.file, start.line + 1, start.column + 1,
                    event.end_mark.line + 1, event.end_mark.column + 1)
        tag = self.check_tag(event, "scalar")
        value: Any = text
        if tag is not None and tag.startswith("!!"):
            value = _by_tag(tag[2:], text)
            if value is _NO_VALUE:
                self.diags.append(error(
                    "FC113", f"{text!r} is not a valid value for tag '{tag}'", span,
                    hint="fix the value or remove the tag"))
                value = text
        elif style == "" and tag != "!":
            value = resolve_plain(text)
        return Scalar(value, span, style, tag)

    def build(self, parser: Any, r: SimpleNamespace) -> Node:
        """Consume one document's node events (the DocumentStart is already read)."""
        stack: list[_Frame] = []
        root: Node | None = None
        limits = self.limits
        while root is None:
            event = parser.get_event()
            kind = type(event)
            node: Node | None = None
            weight, height = 1, 0
            if kind is r.ScalarEvent:
                node = self.scalar(event)
                self.count(1, event)
            elif kind is r.MappingStartEvent or kind is r.SequenceStartEvent:
                if len(stack) >= limits.max_depth:
                    raise Stop(error(
                        "FC104", f"nesting is deeper than {limits.max_depth} levels",
                        self.span(event.start_mark, event.end_mark),
                        hint="flatten the structure; no Flow file needs this depth"))
                is_map = kind is r.MappingStartEvent
                tag = self.check_tag(event, "map" if is_map else "seq")
                if event.anchor is not None:
                    self.open_anchors.add(event.anchor)
                stack.append(_Frame(is_map, event, tag))
                self.count(1, event)
                continue
            elif kind is r.MappingEndEvent or kind is r.SequenceEndEvent:
                frame = stack.pop()
                node = self.collection(frame, event)
                weight, height = frame.weight, frame.height
                if frame.event.anchor is not None:
                    self.open_anchors.discard(frame.event.anchor)
            elif kind is r.AliasEvent:
                node, weight, height = self.alias(event)
                self.count(weight, event)
                if len(stack) + height > limits.max_depth:  # nesting built out of aliases
                    raise Stop(error(
                        "FC104", f"nesting is deeper than {limits.max_depth} levels once "
                        "aliases are expanded", self.span(event.start_mark, event.end_mark),
                        hint="flatten the structure; no Flow file needs this depth"))
            else:  # the parser only yields node events inside a document
                raise Stop(error("FC101", "unexpected YAML structure",
                                  self.mark_span(event.start_mark)))
            anchor = event.anchor if kind is r.ScalarEvent else None
            if kind is r.MappingEndEvent or kind is r.SequenceEndEvent:
                anchor = frame.event.anchor
            if anchor is not None:
                self.anchors[anchor] = (node, weight, height)  # a later one of that name wins
            if stack:
                stack[-1].items.append(node)
                stack[-1].weight += weight
                stack[-1].height = max(stack[-1].height, height + 1)
            else:
                root = node
        return root

    def alias(self, event: Any) -> tuple[Node, int, int]:
        self.aliases += 1
        span = self.span(event.start_mark, event.end_mark)
        if self.aliases > self.limits.max_aliases:
            raise Stop(error(
                "FC105", f"more than {self.limits.max_aliases} aliases in one document", span,
                hint="a file with this many aliases is usually a 'billion laughs' attack; "
                     "write the values out or raise the limit"))
        name = event.anchor
        if name in self.anchors:
            return self.anchors[name]
        if name in self.open_anchors:
            raise Stop(error("FC101", f"alias '*{name}' refers to a node that contains it",
                              span, hint="a node cannot include itself"))
        raise Stop(error("FC101", f"alias '*{name}' has no anchor '&{name}' before it", span,
                          hint="define the anchor with '&" + name + "' before using it"))

    def collection(self, frame: _Frame, end: Any) -> Node:
        start = frame.event.start_mark
        items = frame.items
        if frame.event.flow_style or not items:
            span = self.span(start, end.end_mark)
        else:  # a block collection ends where its last value ends, not at the next token
            last = items[-1].span
            span = Span(self.file, start.line + 1, start.column + 1, last.end_line, last.end_col)
        if not frame.is_map:
            return Sequence(tuple(items), span, frame.tag)
        return Mapping(self.pairs(items), span, frame.tag)

    def pairs(self, flat: list[Node]) -> tuple[tuple[Scalar, Node], ...]:
        """Key/value pairs with duplicates reported and `<<` merges applied."""
        explicit: dict[str, Scalar] = {}
        entries: list[Any] = []  # (key, value), or (_MERGE, [mappings]) where `<<` stood
        merge_at: Scalar | None = None
        for i in range(0, len(flat) - 1, 2):
            key, value = flat[i], flat[i + 1]
            if not isinstance(key, Scalar):
                kind = "mapping" if isinstance(key, Mapping) else "list"
                self.diags.append(error(
                    "FC112", f"a {kind} cannot be used as a mapping key", key.span,
                    hint="keys must be plain text, numbers or booleans"))
                continue
            if key.value == "<<" and key.style == "" and key.tag is None:
                if merge_at is not None:
                    self.duplicate(key, merge_at)
                    continue
                merge_at = key
                entries.append((_MERGE, self.merge_sources(value)))
                continue
            name = str(key.value)
            if name in explicit:
                self.duplicate(key, explicit[name])
                continue
            explicit[name] = key
            entries.append((key, _at_key(key, value)))
        if merge_at is None:
            return tuple(entries)
        out: list[tuple[Scalar, Node]] = []
        for key, value in entries:
            if key is not _MERGE:
                out.append((key, value))
                continue
            taken: set[str] = set()
            for source in value:
                for mkey, mvalue in source.items:
                    name = str(mkey.value)
                    if name not in explicit and name not in taken:
                        taken.add(name)
                        out.append((mkey, mvalue))
        return tuple(out)

    def merge_sources(self, value: Node) -> list[Mapping]:
        if isinstance(value, Mapping):
            return [value]
        if isinstance(value, Sequence) and all(isinstance(v, Mapping) for v in value.items):
            return list(value.items)  # type: ignore[arg-type]
        self.diags.append(error(
            "FC114", "a merge key '<<' needs a mapping or a list of mappings", value.span,
            hint="write '<<: *anchor' or '<<: [*a, *b]' where each anchor names a mapping"))
        return []

    def duplicate(self, key: Scalar, first: Scalar) -> None:
        self.diags.append(error(
            "FC107", f"duplicate key '{key.value}' in this mapping", key.span,
            related=[Related(first.span, "first defined here")],
            hint="remove one of the two keys (YAML does not allow both; flowc keeps the first)"))


_WHAT = {"scalar": "scalar", "map": "mapping", "seq": "list"}
_TAGS_FOR = {"scalar": {"str", "int", "float", "bool", "null"}, "map": {"map"}, "seq": {"seq"}}


def _at_key(key: Scalar, value: Node) -> Node:
    """An empty value (`description:` and nothing after it) spans its key: YAML places it at the
    next token, often on the next line, where a caret would point at the wrong key."""
    if isinstance(value, Scalar) and value.value is None and value.style == "" \
            and value.tag is None and (value.span.line, value.span.col) == (
                value.span.end_line, value.span.end_col):
        return Scalar(None, key.span, value.style, value.tag, value.origin)
    return value


def _after_properties(mark: Any) -> Any:
    """The mark of a node's content after its tag and anchor (and any space or comment)."""
    text, p = mark.buffer, mark.pointer
    line, col = mark.line, mark.column
    n = len(text)
    while p < n and text[p] in "!&":
        while p < n and text[p] not in " \t\r\n\0,[]{}":
            if text[p] == "<":  # verbatim tag !<...> may contain anything but '>'
                close = text.find(">", p)
                col += (close if close >= 0 else n) - p
                p = close if close >= 0 else n
            p += 1
            col += 1
        while p < n and text[p] in " \t\r\n#":
            if text[p] == "#":
                while p < n and text[p] not in "\r\n\0":
                    p += 1
                continue
            if text[p] == "\n" or (text[p] == "\r" and text[p + 1:p + 2] != "\n"):
                line, col = line + 1, 0
            elif text[p] != "\r":
                col += 1
            p += 1
    return SimpleNamespace(line=line, column=col)
