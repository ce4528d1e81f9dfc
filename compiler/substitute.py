"""Phase 2 — substitution (SPEC §2): `${...}` forms in values → typed values with provenance.

The grammar is `substitution.lark` (one scalar's text → literal text and forms). This module turns
a syntax tree into a tree whose substituted scalars carry their new value and a typed `Origin`
(`syntax.State`: substituted, deferred, undefined or failed; the provenance kind; the words:
`environment variable R`, `--env-file .env: R`, `--context X`, `reference root.with.port`,
`default of ${R:-3}`); literal scalars keep `origin=None` and are returned as the same objects.

Decisions (where SPEC is silent; `docs/` cite these):
- Lookup. `${{ ENV.X }}`, `${X}`, `$X` read the environment, then the `--env-file` values: like
  docker compose, the real environment wins and the file fills what it lacks. `${{ X }}` and
  `${{ CONTEXT.X }}` read the context (`--context`, `--context-file`, the Python API) and then
  fall back to the environment: Jina documents `${{ X }}` as "env or context" (its code returns
  `$value` in that case, a bug flowc does not copy).
- `$` followed by anything but `$`, `{` or a name start (`price $5`, `a $ b`, a trailing `$`) is
  literal text, as in the shell and in Jina; `${` always starts a braced form (FC303 if malformed).
- `:-` / `:?` also treat an empty value as missing; `-` / `?` only an unset one (shell rules).
- Types. A plain scalar that is exactly one form takes the YAML 1.2 core type of the text it
  receives (context values that are not strings keep their type, mappings and lists included);
  a quoted, block or `!!str` scalar stays a string; text mixed with forms is a string, where
  true/false/null are written the YAML way. A reference keeps the referenced value: a scalar
  target gives a new scalar at the referencing place; a mapping or list target is returned as
  the (already substituted) node itself, so its spans still point where it is written.
- References resolve to a fixed point through any number of forms, with `this` = the nearest
  enclosing mapping. A cycle is FC305 showing the path. Chains, result sizes and the expansion of
  repeated references are bounded (FC306), so a document that doubles at every reference fails
  fast instead of hanging.
- Mapping keys are never substituted (Jina neither).
- `--allow-undefined` turns undefined/required errors into warnings; the scalar keeps its text and
  the state `UNDEFINED`: its type is unknown.
- Deferred (secret) variables: an environment form naming a variable in `ctx.secrets` (every
  `env_from_secret` name of the Flow) or in `deferred(path)` is kept as text, never read; the
  scalar becomes a template whose other forms are substituted now (their `$` escaped as `$$`)
  and whose state is `DEFERRED`. The worker renders it with `render_template`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping as MappingT

from .diagnostics import Diagnostic, Related, Severity, error, warning
from .substitution_parse import (CONTEXT, ENV, REF, TEXT, Fault, Part, children_hint,
                                 format_path, no_child, parse_parts, part_span)
from .syntax import Mapping, Node, Origin, Scalar, ScalarValue, Sequence, Span, State, to_python
from .yamltree import DEFAULT_LIMITS, resolve_plain  # the loader's nesting limit and typing

__all__ = [
    "SubstitutionContext", "SubstitutionError", "Part", "parse_parts", "substitute",
    "failed_spans", "render_template", "substitute_executor_config", "format_path",
]

# The words that start the `Origin.detail` of each unknown state (shown by `flowc explain`).
_WORDS = {State.DEFERRED: "runtime reference", State.UNDEFINED: "undefined",
          State.FAILED: "substitution failed"}
# The provenance kind an unknown value shows: a secret comes from the environment at run time.
_KIND = {State.DEFERRED: "env", State.UNDEFINED: "file", State.FAILED: "file"}
_FAILED = Origin(State.FAILED, "file", _WORDS[State.FAILED])

MAX_REFERENCE_DEPTH = 64  # references being resolved inside one another
MAX_TEXT_CHARS = 1024 * 1024  # one substituted scalar
MAX_DOLLARS = 1000  # `$` signs in one scalar: bounds the parser's work on hostile input
MAX_TOTAL_CHARS = 64 * 1024 * 1024  # every substituted text, referenced text included
MAX_EXPANDED_NODES = 1_000_000  # nodes materialised by references to mappings and lists

_MISSING = object()
_BRACED_HINT = ("forms: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, "
                "${NAME?message}; write $$ for a literal $")
_EXPR_HINT = ("forms: ${{ ENV.NAME }}, ${{ CONTEXT.NAME }}, ${{ NAME }}, ${{ root.a.b[0] }}, "
              "${{ this.key }}; write $$ for a literal $")


class SubstitutionError(ValueError):
    """Raised by the runtime helpers (`render_template`); the message names the variable."""


@dataclass(frozen=True)
class SubstitutionContext:
    """Where values come from. `env_file` fills what `env` lacks (the environment wins)."""

    env: MappingT[str, str]
    env_file: MappingT[str, str] = field(default_factory=dict)
    env_file_name: str | None = None
    context: MappingT[str, Any] = field(default_factory=dict)
    allow_undefined: bool = False
    # False when a context source was refused (already reported): an undefined context name is
    # then left unknown, like --allow-undefined but silent, instead of repeating that error
    context_complete: bool = True
    # variables named in any `env_from_secret` of the Flow: never read, every use of one stays a
    # runtime reference (SPEC §2; compiler/runtime_values.py)
    secrets: frozenset[str] = frozenset()


# --- small helpers ------------------------------------------------------------------------------

def _as_text(value: Any) -> str:
    """A value written into text: strings as they are, other scalars the YAML way."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    return str(value)


def _typed(text: str) -> ScalarValue:
    return resolve_plain(text)  # the loader's YAML 1.2 core rules, shared on purpose


def _needs_work(node: Node) -> bool:
    return isinstance(node, Scalar) and isinstance(node.value, str) and "$" in node.value


def failed_spans(root: Node) -> list[Span]:
    """Spans of the scalars whose substitution failed, so later phases can leave them alone."""
    out: list[Span] = []
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Scalar):
            if node.state is State.FAILED:
                out.append(node.span)
        else:
            stack.extend(node.items if isinstance(node, Sequence) else (v for _, v in node.items))
    return out


# --- the substitution of one document -----------------------------------------------------------

_This = tuple  # (path of the enclosing mapping, the mapping) or None


@dataclass(slots=True)
class _Frame:
    """A scalar being evaluated; `part` is the form currently looked at (for cycle reports)."""

    path: tuple
    scalar: Scalar
    part: Part | None = None


@dataclass(slots=True)
class _Piece:
    kind: str  # 'lit', 'val', 'node', 'deferred', 'undefined', 'failed'
    value: Any = None
    origin: str | None = None  # the words for this piece
    via: str = "file"  # the provenance kind of this piece


class _Substituter:
    def __init__(self, root: Node, ctx: SubstitutionContext,
                 deferred: Callable[[tuple], frozenset[str]] | None) -> None:
        self.root = root
        self.ctx = ctx
        self.deferred = deferred
        self.done: dict[tuple, Node] = {}
        self.failed: set[tuple] = set()
        self.stack: list[_Frame] = []
        self.diags: list[Diagnostic] = []
        self.total_chars = 0
        self.expanded = 0
        self.sizes: dict[int, tuple[Node, int, int, int]] = {}  # node, nodes, chars, height

    # the tree walk: iterative, so only reference chains (bounded) use the Python stack
    def walk(self, path: tuple, node: Node, this: _This | None) -> Node:
        if isinstance(node, Scalar):
            return self.scalar(path, node, this) if _needs_work(node) else node
        # a frame: [path, node, `this` for its children, results so far, next index]
        first_this = (path, node) if isinstance(node, Mapping) else this
        work: list[list] = [[path, node, first_this, [], 0]]
        done = self.done
        while True:
            frame = work[-1]
            cpath, cnode, item_this, results, i = frame
            items = cnode.items
            if i == len(items):
                work.pop()
                built = _rebuild(cnode, results)
                done[cpath] = built
                if not work:
                    return built
                work[-1][3].append(built)
                continue
            frame[4] = i + 1
            if isinstance(cnode, Mapping):
                step: str | int = str(items[i][0].value)
                item = items[i][1]
            else:
                step, item = i, items[i]
            ipath = cpath + (step,)
            if ipath in done:
                results.append(done[ipath])
            elif isinstance(item, Scalar):
                results.append(self.scalar(ipath, item, item_this) if _needs_work(item) else item)
            else:
                work.append([ipath, item, (ipath, item) if isinstance(item, Mapping) else item_this,
                             [], 0])

    def scalar(self, path: tuple, scalar: Scalar, this: _This | None) -> Node:
        if path in self.done:
            return self.done[path]
        dollars = scalar.value.count("$")
        if dollars > MAX_DOLLARS:
            self.diags.append(error("FC306", f"too many `$` in one value ({dollars:,}; at most "
                                    f"{MAX_DOLLARS:,})", scalar.span,
                                    hint="split the value, or move the text into a file"))
            return self._fail(path, scalar)
        parsed = parse_parts(scalar.value)
        if isinstance(parsed, Fault):
            hint = _EXPR_HINT if scalar.value.startswith("${{", parsed.start) else _BRACED_HINT
            self.diags.append(error(parsed.code, parsed.message,
                                    part_span(scalar, parsed.start, parsed.end), hint=hint))
            return self._fail(path, scalar)
        if all(p.kind == TEXT for p in parsed):
            text = "".join(p.value for p in parsed)
            result: Node = scalar if text == scalar.value else \
                Scalar(text, scalar.span, scalar.style, scalar.tag, None)
            self.done[path] = result
            return result
        names = self.ctx.secrets
        if self.deferred is not None and any(p.kind in (ENV, CONTEXT) for p in parsed):
            names = names | self.deferred(path)
        frame = _Frame(path, scalar)
        self.stack.append(frame)
        try:
            pieces = []
            for part in parsed:
                frame.part = part
                pieces.append(self.piece(part, frame, names, this))
        finally:
            self.stack.pop()
        result_or_none = self.combine(frame, parsed, pieces)
        if result_or_none is None:
            return self._fail(path, scalar)
        self.done[path] = result_or_none
        return result_or_none

    def _fail(self, path: tuple, scalar: Scalar) -> Scalar:
        """The scalar keeps its text, in the state FAILED."""
        self.failed.add(path)
        marked = Scalar(scalar.value, scalar.span, scalar.style, scalar.tag, _FAILED)
        self.done[path] = marked
        return marked

    def piece(self, part: Part, frame: _Frame, names: frozenset[str], this: _This | None) -> _Piece:
        if part.kind == TEXT:
            return _Piece("lit", part.value)
        if part.kind == REF:
            return self.reference(part, frame, this)
        if part.value in names and (part.kind == ENV or part.value not in self.ctx.context):
            # a secret: never read now (a context name falls back to the environment at run time)
            return _Piece("deferred", part.source, f"environment variable {part.value}", "env")
        value, origin, via, looked = self.lookup(part)
        op = part.op
        empty = value is _MISSING or (op.startswith(":") and value in ("", None))
        if op in (":-", "-") and empty:
            return _Piece("val", part.arg or "", f"default of {part.source}")
        if value is _MISSING or (op == ":?" and empty):
            return self.missing(part, frame, looked, value)
        return _Piece("val", value, origin, via)

    def lookup(self, part: Part) -> tuple[Any, str | None, str, list[str]]:
        """(value or _MISSING, origin, its provenance kind, the places looked in, for the error
        message)."""
        ctx, name, looked = self.ctx, part.value, []
        if part.kind == CONTEXT:
            looked.append("--context values")
            if name in ctx.context:
                return ctx.context[name], f"--context {name}", "context", looked
        looked.append("the environment")
        if name in ctx.env:
            return ctx.env[name], f"environment variable {name}", "env", looked
        if ctx.env_file or ctx.env_file_name:
            looked.append(f"--env-file {ctx.env_file_name}" if ctx.env_file_name else "--env-file")
            if name in ctx.env_file:
                where = f"--env-file {ctx.env_file_name}" if ctx.env_file_name else "--env-file"
                return ctx.env_file[name], f"{where}: {name}", "env-file", looked
        return _MISSING, None, "file", looked

    def missing(self, part: Part, frame: _Frame, looked: list[str], value: Any) -> _Piece:
        what = "context variable" if part.kind == CONTEXT else "environment variable"
        where = "looked in " + ", ".join(looked)
        if part.op in (":?", "?"):
            state = "is not set" if value is _MISSING else "is empty"
            message = f"required variable {part.value} {state}: {part.arg or 'a value is required'}"
            hint = f"set {part.value} ({where})"
        else:
            message = f"{what} {part.value} is not defined ({where})"
            hint = (f"set {part.value}, give a default with ${{{part.value}:-value}}, or pass "
                    "--allow-undefined to check without it") if part.kind == ENV else \
                f"pass --context {part.value}=VALUE or add it to --context-file"
        span = part_span(frame.scalar, part.start, part.end)
        if part.kind == CONTEXT and not self.ctx.context_complete:
            return _Piece("undefined", None, f"{what} {part.value}")
        if self.ctx.allow_undefined:
            self.diags.append(warning("FC301" if not part.op.endswith("?") else "FC302",
                                      message + "; left unresolved (--allow-undefined)", span))
            return _Piece("undefined", None, f"{what} {part.value}")
        self.diags.append(error("FC301" if not part.op.endswith("?") else "FC302", message, span,
                                hint=hint))
        return _Piece("failed")

    # references
    def reference(self, part: Part, frame: _Frame, this: _This | None) -> _Piece:
        head, rest = part.path[0], part.path[1:]
        span = part_span(frame.scalar, part.start, part.end)
        shown = format_path(rest, str(head))
        if head == "this":
            if this is None:
                self.diags.append(error("FC304", f"`this` in `{part.source}` is not inside a "
                                        "mapping", span))
                return _Piece("failed")
            path, node = this
        else:
            path, node = (), self.root
        node_this: _This | None = None
        final = False
        for step in rest:
            if not final and _needs_work(node):
                got = self.target(path, node, node_this, part, frame)
                if got is None:
                    return _Piece("failed")
                node, final = got, True
                if _state(node) is State.UNDEFINED:  # unknown: whatever lies below it is too
                    break
            if isinstance(node, Mapping) and isinstance(step, str) and step in node:
                nxt, nxt_this = node.get(step), (path, node)
            elif isinstance(node, Sequence) and isinstance(step, int) and step < len(node.items):
                nxt, nxt_this = node.items[step], node_this
            else:
                self.diags.append(error("FC304", f"reference {shown}: {no_child(node, step)}",
                                        span, hint=children_hint(node)))
                return _Piece("failed")
            node, node_this, path = nxt, nxt_this, path + (step,)
        if not final:
            got = self.target(path, node, node_this, part, frame)
            if got is None:
                return _Piece("failed")
            node = got
        origin = f"reference {shown}"
        state = _state(node)
        if state is State.UNDEFINED:
            return _Piece("undefined", None, origin)
        if state is State.DEFERRED:
            return _Piece("deferred", node.value, origin, "env")
        if isinstance(node, Scalar) and node.origin:  # one flat chain: reference a → b (source)
            inner = node.origin
            origin += f" → {inner.detail[len('reference '):]}" if inner.kind == "reference" \
                else f" ({inner.detail})"
        if not isinstance(node, Scalar):
            if not self.count_expansion(node, part, frame):
                return _Piece("failed")
        return _Piece("node", node, origin, "reference")

    def target(self, path: tuple, node: Node, this: _This | None, part: Part,
               frame: _Frame) -> Node | None:
        """The substituted node at an original path; None when it failed (already reported)."""
        if path in self.failed:
            return None
        if path in self.done:
            return self.done[path]
        for i, open_frame in enumerate(self.stack):
            if open_frame.path[:len(path)] == path:
                self.report_cycle(i, path)
                return None
        if len(self.stack) >= MAX_REFERENCE_DEPTH:
            self.diags.append(error(
                "FC306", f"references nest more than {MAX_REFERENCE_DEPTH} deep",
                part_span(frame.scalar, part.start, part.end),
                hint="shorten the chain of references"))
            return None
        result = self.walk(path, node, this)
        return None if path in self.failed else result

    def report_cycle(self, first: int, path: tuple) -> None:
        frames = self.stack[first:]
        chain = [format_path(f.path) for f in frames] + [format_path(path)]
        related = []
        for j, f in enumerate(frames[1:], start=1):
            assert f.part is not None
            related.append(Related(part_span(f.scalar, f.part.start, f.part.end),
                                   f"{chain[j]} refers to {chain[j + 1]}"))
        head = frames[0]
        assert head.part is not None
        self.diags.append(error("FC305", "reference cycle: " + " → ".join(chain),
                                part_span(head.scalar, head.part.start, head.part.end),
                                related=related, hint="break the cycle: one of these values "
                                "must be written without a reference"))

    def count_expansion(self, node: Node, part: Part, frame: _Frame) -> bool:
        nodes, chars, height = self.size(node)
        self.expanded += nodes
        self.total_chars += chars
        if len(frame.path) + height > DEFAULT_LIMITS.max_depth:
            self.diags.append(error(
                "FC306", f"the reference makes this value nest deeper than "
                f"{DEFAULT_LIMITS.max_depth} levels", part_span(frame.scalar, part.start, part.end),
                hint="refer to a less deeply nested value, or write the value out"))
            return False
        if self.expanded > MAX_EXPANDED_NODES or self.total_chars > MAX_TOTAL_CHARS:
            self.diags.append(error(
                "FC306", f"references expand to too much data (over {MAX_EXPANDED_NODES:,} "
                f"values or {MAX_TOTAL_CHARS // (1024 * 1024)} MiB of text)",
                part_span(frame.scalar, part.start, part.end),
                hint="a value that refers to itself through repeated references grows "
                     "exponentially; refer to fewer copies"))
            return False
        return True

    def size(self, node: Node) -> tuple[int, int, int]:
        """(nodes, characters, levels of collections) of a node, shared subtrees counted at every
        use."""
        known = self.sizes.get(id(node))
        if known is not None:
            return known[1:]
        stack: list[tuple[Node, bool]] = [(node, False)]
        while stack:  # post-order without recursion; each shared node is sized once
            cur, ready = stack.pop()
            if id(cur) in self.sizes:
                continue
            if isinstance(cur, Scalar):
                self.sizes[id(cur)] = (cur, 1, len(cur.value) if isinstance(cur.value, str) else 1,
                                       0)
                continue
            kids = cur.items if isinstance(cur, Sequence) else [v for _, v in cur.items]
            if not ready:
                stack.append((cur, True))
                stack.extend((kid, False) for kid in kids if id(kid) not in self.sizes)
                continue
            n, c, h = 1, 0, 0
            for kid in kids:
                _, kid_n, kid_c, kid_h = self.sizes[id(kid)]
                n, c, h = n + kid_n, c + kid_c, max(h, kid_h)
            self.sizes[id(cur)] = (cur, n, c, h + 1)
        return self.sizes[id(node)][1:]

    # putting the pieces together
    def combine(self, frame: _Frame, parts: tuple[Part, ...], pieces: list[_Piece]) -> Node | None:
        scalar = frame.scalar
        kinds = {p.kind for p in pieces}
        if "failed" in kinds:
            return None
        origins = list(dict.fromkeys(p.origin for p in pieces if p.origin))
        if "undefined" in kinds:
            return Scalar(scalar.value, scalar.span, scalar.style, scalar.tag,
                          _unknown_origin(State.UNDEFINED, pieces, "undefined"))
        typed = scalar.style == "" and scalar.tag != "!!str" and len(pieces) == 1
        if "deferred" in kinds:
            texts = []
            for part, p in zip(parts, pieces):
                if p.kind == "deferred":
                    texts.append(p.value)
                elif not self.text_of(p, part, frame, texts, escape=True):
                    return None
            return self.text_result(scalar, "".join(texts),
                                    _unknown_origin(State.DEFERRED, pieces, "deferred"))
        first = next((p for p in pieces if p.origin), None)
        origin = Origin(State.SUBSTITUTED, first.via, ", ".join(origins)) if first else None
        if typed and pieces[0].kind == "val":
            value = pieces[0].value
            if isinstance(value, str):
                return self.text_result(scalar, value, origin, typed=True)
            return _from_python(value, scalar, origin)
        if typed and pieces[0].kind == "node":
            node = pieces[0].value
            if isinstance(node, Scalar):
                if isinstance(node.value, str):
                    self.total_chars += len(node.value)
                return Scalar(node.value, scalar.span, "", scalar.tag, origin)
            return node
        texts = []
        for part, p in zip(parts, pieces):
            if not self.text_of(p, part, frame, texts, escape=False):
                return None
        return self.text_result(scalar, "".join(texts), origin)

    def text_of(self, piece: _Piece, part: Part, frame: _Frame, out: list[str],
                escape: bool) -> bool:
        value = piece.value
        if piece.kind == "node" and isinstance(value, Scalar):
            value = value.value
        if isinstance(value, (Mapping, dict)) or isinstance(value, (Sequence, list, tuple)):
            kind = "mapping" if isinstance(value, (Mapping, dict)) else "list"
            self.diags.append(error(
                "FC307", f"`{part.source}` is a {kind} and cannot be part of a text",
                part_span(frame.scalar, part.start, part.end),
                hint="write the form alone as the whole (unquoted) value"))
            return False
        text = _as_text(value)
        out.append(text.replace("$", "$$") if escape else text)
        return True

    def text_result(self, scalar: Scalar, text: str, origin: Origin | None,
                    typed: bool = False) -> Scalar | None:
        self.total_chars += len(text)
        if len(text) > MAX_TEXT_CHARS or self.total_chars > MAX_TOTAL_CHARS:
            self.diags.append(error(
                "FC306", f"substituted value is too long ({len(text):,} characters; at most "
                f"{MAX_TEXT_CHARS:,} per value and {MAX_TOTAL_CHARS // (1024 * 1024)} MiB in all)",
                scalar.span,
                hint="a value built from repeated references grows exponentially"))
            return None
        value: ScalarValue = _typed(text) if typed else text
        return Scalar(value, scalar.span, scalar.style, scalar.tag, origin)


def _state(node: Node) -> State:
    return node.state if isinstance(node, Scalar) else State.LITERAL


def _unknown_origin(state: State, pieces: list[_Piece], kind: str) -> Origin:
    """The origin of a scalar left unknown (`state`), naming every piece that made it so."""
    names = ", ".join(p.origin for p in pieces if p.kind == kind and p.origin)
    return Origin(state, _KIND[state], f"{_WORDS[state]}: {names}")


def _rebuild(node: Node, results: list[Node]) -> Node:
    if isinstance(node, Mapping):
        if all(r is v for r, (_, v) in zip(results, node.items)):
            return node
        return Mapping(tuple((k, r) for (k, _), r in zip(node.items, results)), node.span, node.tag)
    assert isinstance(node, Sequence)
    if all(r is v for r, v in zip(results, node.items)):
        return node
    return Sequence(tuple(results), node.span, node.tag)


def _from_python(value: Any, scalar: Scalar, origin: Origin | None, depth: int = 0) -> Node:
    """A context value (any JSON-like Python value) as nodes placed at the referencing scalar."""
    span = scalar.span
    if isinstance(value, dict) and depth < 64:
        return Mapping(tuple((Scalar(str(k), span), _from_python(v, scalar, origin, depth + 1))
                             for k, v in value.items()), span)
    if isinstance(value, (list, tuple)) and depth < 64:
        return Sequence(tuple(_from_python(v, scalar, origin, depth + 1) for v in value), span)
    if not isinstance(value, (str, int, float, bool, type(None))):
        value = str(value)
    return Scalar(value, span, "", scalar.tag if depth == 0 else None, origin)


# --- public entry points -------------------------------------------------------------------------

def substitute(root: Node, ctx: SubstitutionContext, *,
               deferred: Callable[[tuple[str | int, ...]], frozenset[str]] | None = None
               ) -> tuple[Node, list[Diagnostic]]:
    """Substitute every scalar value of one document (build time: the Flow or a Deployment file).

    `ctx.secrets`, and `deferred(path)` at `path`, name the variables that must stay runtime
    references (`env_from_secret` names). Returns the new tree (unchanged subtrees are the same
    objects) and the diagnostics; a scalar that failed keeps its original text, in the state
    `FAILED`.
    """
    worker = _Substituter(root, ctx, deferred)
    return worker.walk((), root, None), worker.diags


def substitute_executor_config(root: Node, env: MappingT[str, str]
                               ) -> tuple[Node, list[Diagnostic]]:
    """What the worker runs on an Executor YAML at start-up: its own environment, no context
    (a `${{ NAME }}` falls back to the environment), references within the file. The whole
    document is substituted, as Jina does (`with`, `metas`, `requests`, and the rest)."""
    return substitute(root, SubstitutionContext(env=env))


def render_template(text: str, env: MappingT[str, str], *, quoted: bool = False) -> Any:
    """Runtime side of a `{"$template": text}` value: substitute it with the worker's environment.

    Typed like a plain scalar unless `quoted`. Raises SubstitutionError naming the variable.
    """
    span = Span("<template>", 1, 1, 1, len(text) + 1)
    scalar = Scalar(text, span, '"' if quoted else "")
    node, diags = substitute(scalar, SubstitutionContext(env=env))
    errors = [d for d in diags if d.severity is Severity.ERROR]
    if errors:
        raise SubstitutionError("; ".join(d.message for d in errors))
    return to_python(node)
