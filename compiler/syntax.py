"""The syntax tree: frozen YAML nodes, each with the span it was written at.

Everything after the loader reads YAML through these nodes, so every later diagnostic can point
at the exact line and column the user wrote (scalars included). Plain dicts never leave the loader.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterator, Union

ScalarValue = Union[str, int, float, bool, None]


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A region of a source file. Lines and columns are 1-based; the end is exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class State(enum.Enum):
    """What substitution (phase 2) made of a scalar; later phases ask this, not the text."""

    LITERAL = "literal"  # written as it is (no form, or only `$$` escapes)
    SUBSTITUTED = "substituted"  # a known value substitution produced
    DEFERRED = "deferred"  # kept as a template for the process: it depends on a secret
    UNDEFINED = "undefined"  # left unknown by --allow-undefined: its type is unknown
    FAILED = "failed"  # substitution failed (an FC3xx error says why): keeps its written text


# States whose value is not known when building: no check may judge their text.
UNKNOWN_STATES = frozenset({State.DEFERRED, State.UNDEFINED, State.FAILED})


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a substituted scalar's value came from: its state, the provenance kind `explain`
    shows ('env', 'env-file', 'context', 'reference', 'file') and the words for messages
    (e.g. "environment variable R", "--context X", "reference root.with.port")."""

    state: State
    kind: str
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar as typed by YAML 1.2 core rules, with how it was written.

    `style` is '' for plain scalars and one of `'"|>` otherwise: substitution needs it, since a
    quoted scalar stays a string. `tag` is the explicit tag, if any (e.g. '!!str'). `origin` is
    None for a value written literally, else what substitution made of it (`Origin`).
    """

    value: ScalarValue
    span: Span
    style: str = ""
    tag: str | None = None
    origin: Origin | None = None  # set by substitution (phase 2)

    @property
    def quoted(self) -> bool:
        return self.style != ""

    @property
    def state(self) -> State:
        return State.LITERAL if self.origin is None else self.origin.state

    @property
    def known(self) -> bool:
        """False for a value only a running process knows, or one substitution could not make."""
        return self.origin is None or self.origin.state not in UNKNOWN_STATES


@dataclass(frozen=True, slots=True)
class Sequence:
    items: tuple["Node", ...]
    span: Span
    tag: str | None = None

    def __iter__(self) -> Iterator["Node"]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True)
class Mapping:
    """A mapping with unique scalar keys (the loader rejects duplicates), in source order."""

    items: tuple[tuple[Scalar, "Node"], ...]
    span: Span
    tag: str | None = None
    _index: dict = field(default_factory=dict, init=False, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        for key, value in self.items:
            self._index.setdefault(str(key.value), (key, value))

    def get(self, key: str) -> "Node | None":
        entry = self._index.get(key)
        return entry[1] if entry else None

    def key_node(self, key: str) -> Scalar | None:
        entry = self._index.get(key)
        return entry[0] if entry else None

    def keys(self) -> list[str]:
        return [str(k.value) for k, _ in self.items]

    def __contains__(self, key: str) -> bool:
        return key in self._index

    def __len__(self) -> int:
        return len(self.items)


Node = Union[Scalar, Sequence, Mapping]


def to_python(node: Node) -> object:
    """Plain Python value of a node (for schema validation and tests); spans are dropped."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Sequence):
        return [to_python(item) for item in node.items]
    return {str(k.value): to_python(v) for k, v in node.items}


def child(node: Node, part: str | int) -> Node | None:
    """The child at one step of a JSON-Schema style path (mapping key or sequence index)."""
    if isinstance(node, Mapping) and isinstance(part, str):
        return node.get(part)
    if isinstance(node, Sequence) and isinstance(part, int) and 0 <= part < len(node.items):
        return node.items[part]
    return None


def locate(root: Node, path: tuple[str | int, ...]) -> Node:
    """The deepest node along `path` that exists (so an error is never left without a place)."""
    node = root
    for part in path:
        nxt = child(node, part)
        if nxt is None:
            break
        node = nxt
    return node
