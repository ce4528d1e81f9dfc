"""The rewrites of `flowc migrate`: methods of `Rules`, from a file's syntax tree to text edits.

- `tags`: an old `!Name` tag on a document, an `executors` item or a `uses` mapping becomes
  `jtype: Name` (the form Jina 3 and flowc document);
- `pods`: Jina 1–2's top-level `pods:` (a list, or a mapping name → spec) becomes `executors:`
  (Jina 3 drops every executor listed under `pods:` without a word);
- `renames`: the argument names Jina 3.34 deprecated (`jina/parsers/deprecated.py`) take their
  new names where Flow, gateway and executor arguments are written (the front end's tables and
  validate's FC225 say which);
- `hub`: `jinahub://`, `jinahub+docker://`, `jinahub+sandbox://` (and the newer `jinaai...://`)
  references become what the user maps them to (`--map Name=docker://...`);
- `from_validate`: a key `flowc validate` reports as ignored (FC220, FC223) is commented out,
  with the reason it gives; an alias it warns about (FC225) is renamed. The keys come from
  validate itself, so there is no second list to keep.

Every rule is idempotent: on its own output it finds nothing to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from .check import RENAMED
from .diagnostics import Diagnostic, Related, error
from .hubref import HUB, hub_names
from .migrate_text import PREFIX, Edit, Text, scalar_text
from .syntax import Mapping, Node, Scalar, Sequence, Span

# Renamed keys, from the front end's own tables, so there is no second list to keep:
# - `check.RENAMED`: names Jina 3.34 no longer reads (FC201), from its `DEPRECATED_ARGS_MAPPING`
#   (jina/parsers/deprecated.py); one new name is a rename, two (`parallel`) a choice left to
#   the user (FC805); `pods` is rewritten whole (`Rules.pods`);
# - FC225 from `flowc validate`: aliases Jina 3.34 still reads (`port_expose`, `port_in`,
#   `host_in`), the new name in its message.
_TICKED = re.compile(r"`([a-z_]+)`")
RENAMES: dict[str, str] = {old: _TICKED.findall(new)[0] for old, new in RENAMED.items()
                           if old != "pods" and len(_TICKED.findall(new)) == 1}
AMBIGUOUS: dict[str, str] = {old: f"Jina renamed `{old}` to {new}" for old, new in RENAMED.items()
                             if len(_TICKED.findall(new)) > 1}
IGNORED_CODES = ("FC220", "FC223")  # what `flowc validate` says it ignores
ALIAS_CODE = "FC225"  # a deprecated alias: "`port_expose` is a deprecated Jina alias of `port`"
VALIDATE_CODES = IGNORED_CODES + (ALIAS_CODE,)
_USES_KEYS = ("uses", "uses_before", "uses_after")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Rules:
    """One pass of the rules over one version of the text."""

    text: Text
    root: Node
    kind: str
    maps: dict[str, str]
    edits: list[Edit] = field(default_factory=list)
    diags: list[Diagnostic] = field(default_factory=list)
    renamed: dict[tuple[int, str], Scalar] = field(default_factory=dict)  # (mapping, new) → key

    # --- where things are ----------------------------------------------------------------------

    def entries(self) -> Iterator[Mapping]:
        """Every executor entry: `executors`/`deployments` items (an inline Deployment's `with`),
        and a Deployment file's `with`."""
        root = self.root
        if not isinstance(root, Mapping):
            return
        if self.kind == "deployment":
            body = root.get("with")
            if isinstance(body, Mapping):
                yield body
            return
        for key in ("executors", "deployments"):
            items = root.get(key)
            for item in items.items if isinstance(items, Sequence) else ():
                if isinstance(item, Mapping) and _jtype(item) == "Deployment":
                    item = item.get("with")
                if isinstance(item, Mapping):
                    yield item

    def argument_maps(self) -> Iterator[Mapping]:
        """Mappings of Jina arguments: the Flow's `with` and `gateway`, and every entry."""
        if isinstance(self.root, Mapping) and self.kind == "flow":
            for key in ("with", "gateway"):
                value = self.root.get(key)
                if isinstance(value, Mapping):
                    yield value
        yield from self.entries()

    def tagged(self) -> Iterator[Mapping]:
        """Mappings whose local tag names a `jtype`: the document, `executors` items, `uses`."""
        root = self.root
        if isinstance(root, Mapping):
            yield root
            for key in ("executors", "deployments", "pods"):
                items = root.get(key)
                for item in items.items if isinstance(items, Sequence) else ():
                    if isinstance(item, Mapping):
                        yield item
        for entry in self.entries():
            for key in _USES_KEYS:
                value = entry.get(key)
                if isinstance(value, Mapping):
                    yield value

    def problem(self, code: str, message: str, span: Span, hint: str | None = None,
                related: tuple[Related, ...] = ()) -> None:
        self.diags.append(error(code, message, span, hint=hint, related=related))

    # --- rules ---------------------------------------------------------------------------------

    def tags(self) -> None:
        for node in self.tagged():
            name = _tag_name(node)
            if name is None or not _IDENTIFIER.fullmatch(name):
                continue
            jtype = node.get("jtype")
            if isinstance(jtype, Scalar) and jtype.value != name:
                continue  # `flowc validate` reports the disagreement (FC208)
            self._untag(node, name, keep_jtype=jtype is not None)

    def _untag(self, node: Mapping, name: str, keep_jtype: bool) -> None:
        text = self.text
        start = text.offset(node.span.line, node.span.col)
        body = _body_start(text, node)  # the first key, or the `{` of a flow mapping
        at = text.text.find("!" + name, start, body)  # a node's span may start at its tag
        if at < 0:
            at = text.text.rfind("!" + name, 0, start)
        if at < 0 or not _only_properties(text.text[at + len(name) + 1:body]):
            return
        start = body
        what = f"the tag `!{name}` became `jtype: {name}`"
        tag_end = at + len(name) + 1
        if keep_jtype:
            self.edits.append(_delete_tag(text, at, tag_end,
                                          f"the tag `!{name}` removed (`jtype` says it)"))
            return
        if text.is_flow(node):
            inside = start + 1
            empty = text.text[inside:].lstrip().startswith("}")
            self.edits.append(_delete_tag(text, at, tag_end, what))
            self.edits.append(Edit(inside, inside, f"jtype: {name}" + ("" if empty else ", "),
                                   what))
            return
        if not node.items:
            return
        first = node.items[0][0].span
        if text.before(first).strip(" -"):
            self.problem("FC806", f"`flowc migrate` cannot move the tag `!{name}` here: its "
                                  f"mapping starts on a line holding other text",
                         first, hint=f"write `jtype: {name}` as the mapping's first key")
            return
        tag_line, tag_col = text.position(at)
        rest = text.line_text(tag_line)[tag_col - 1 + len(name) + 1:]
        if tag_col == first.col and tag_line < first.line and (
                not rest.strip() or rest.strip().startswith("#")):
            self.edits.append(Edit(at, tag_end, f"jtype: {name}", what))
            return
        self.edits.append(_delete_tag(text, at, tag_end, what))
        self.edits.append(text.insert_line(first.line, first.col - 1, f"jtype: {name}", what))

    def pods(self) -> None:
        root = self.root
        if not isinstance(root, Mapping) or self.kind != "flow":
            return
        key = root.key_node("pods")
        if key is None:
            return
        value = root.get("pods")
        other = root.key_node("executors") or root.key_node("deployments")
        if other is not None:
            self.problem("FC806", "`pods` and `executors` are both given; Jina 3 ignores "
                                  "`pods`, and `flowc migrate` cannot tell which to keep", key.span,
                         hint="move the entries of `pods` into `executors` (or delete them)",
                         related=(Related(other.span, f"`{other.value}` is here"),))
            return
        if value is not None and (value.span.line, value.span.col) < (key.span.line,
                                                                      key.span.col):
            self.problem("FC806", "`flowc migrate` cannot rewrite `pods` given as an alias "
                                  "(`*name`)", key.span, hint="write the pods out, then migrate")
            return
        if isinstance(value, Mapping) and self.text.is_flow(value):
            self.problem("FC806", "`flowc migrate` cannot rewrite `pods` written in flow style "
                                  "(`{...}`)", value.span,
                         hint="write `pods` in block style (one name per line), then migrate")
            return
        what = "`pods` became `executors` (Jina 3 ignores `pods`)"
        edits = [self._replace(key.span, "executors", what)]
        if isinstance(value, Mapping):
            for name, spec in value.items:
                more = self._pod(name, spec, what)
                if more is None:
                    return
                edits += more
        self.edits += edits

    def _pod(self, name: Scalar, spec: Node, what: str) -> list[Edit] | None:
        """A `pods:` mapping item `name: spec` as an `executors` list item."""
        text = self.text
        if text.before(name.span).strip():
            self.problem("FC806", "`flowc migrate` cannot rewrite this `pods` item: it does not "
                                  "start its line", name.span, hint="put each pod on a line of "
                                                                    "its own")
            return None
        if (spec.span.line, spec.span.col) < (name.span.line, name.span.col):
            self.problem("FC806", f"`flowc migrate` cannot rewrite pod `{name.value}`: it is an "
                                  "alias (`*name`)", name.span,
                         hint="write the pod out, or as `{<<: *name}`, then migrate")
            return None
        key_text = text.source(name.span)
        colon = text.text.index(":", text.offset(name.span.end_line, name.span.end_col))
        start = text.offset(name.span.line, name.span.col)
        if isinstance(spec, Mapping) and "name" in spec:
            self.problem("FC806", f"pod `{name.value}` also sets `name`",
                         spec.key_node("name").span, hint="remove one of the two names")
            return None
        if isinstance(spec, Scalar) and spec.value is None:
            return [Edit(start, colon + 1, f"- name: {key_text}", what)]
        if not isinstance(spec, Mapping):
            self.problem("FC806", f"pod `{name.value}` is not a mapping of executor keys",
                         spec.span)
            return None
        if text.is_flow(spec):
            inside = text.offset(spec.span.line, spec.span.col) + 1
            empty = text.text[inside:].lstrip().startswith("}")
            return [Edit(start, inside, f"- {{name: {key_text}" + ("" if empty else ", "), what)]
        edits = [Edit(start, colon + 1, f"- name: {key_text}", what)]
        body = spec.items[0][0].span.col  # where the pod's keys start
        delta = name.span.col + 2 - body
        if delta:
            last = text.last_line(spec, spec.span.line)
            for number in range(spec.span.line, last + 1):
                line = text.line_text(number)
                indent = len(line) - len(line.lstrip(" "))
                if not line.strip() or indent < body - 1:
                    continue
                at = text.starts[number - 1]
                edits.append(Edit(at, at, " " * delta, what) if delta > 0
                             else Edit(at, at - delta, "", what))
        return edits

    def renames(self) -> None:
        for node in self.argument_maps():
            for key, _ in node.items:
                old = str(key.value)
                if old in AMBIGUOUS:
                    self.problem("FC805", f"`{old}` is deprecated and has no single "
                                          "replacement", key.span, hint=AMBIGUOUS[old])
                elif old in RENAMES:
                    self._rename(node, key, RENAMES[old])

    def _rename(self, node: Mapping, key: Scalar, new: str) -> None:
        old = str(key.value)
        clash = node.key_node(new) or self.renamed.get((id(node), new))
        if clash is not None:
            self.problem("FC804", f"`{old}` is the deprecated name of `{new}`, which is "
                                  "set too", key.span, hint="keep one of the two keys",
                         related=(Related(clash.span, f"`{clash.value}` is here"),))
            return
        self.renamed[(id(node), new)] = key  # two old names of one key: the second clashes
        self.edits.append(self._replace(key.span, new, f"`{old}` renamed `{new}` (its Jina 3 "
                                                       "name)"))

    def hub(self) -> None:
        for entry in self.entries():
            for key in _USES_KEYS:
                value = entry.get(key)
                if not isinstance(value, Scalar) or not isinstance(value.value, str):
                    continue
                found = HUB.fullmatch(value.value.strip())
                if found is None:
                    continue
                names, shown = hub_names(found.group(1), found.group(2))
                target = next((self.maps[n] for n in names if n in self.maps), None)
                if target is None:
                    self.problem(
                        "FC801", f"`{key}: {shown}` is a Jina Hub reference and no `--map` names "
                                 f"it", value.span,
                        hint=f"add `--map {names[-1]}=docker://REGISTRY/IMAGE:TAG` (the value "
                             "may also be an Executor YAML path or a class name)")
                    continue
                what = f"`{shown}` became `{target}`"
                line = self.text.line_text(value.span.line)
                indent = len(line) - len(line.lstrip(" "))
                self.edits.append(self.text.insert_line(value.span.line, indent,
                                                        f"# {PREFIX}was {shown}", what))
                self.edits.append(self._replace(
                    value.span, scalar_text(target, self.text.source(value.span)), what))

    def from_validate(self, diagnostics: list[Diagnostic]) -> None:
        """Rename every deprecated alias validate warned about (FC225), and comment out every
        key it reported as ignored (FC220, FC223); each diagnostic's span is the key's."""
        keys = {(d.span.line, d.span.col): d for d in diagnostics
                if d.code in VALIDATE_CODES and d.span is not None}
        emptied: dict[int, tuple[Mapping, Scalar | None]] = {}
        found_keys = [(mapping, key, value, parent, keys[(key.span.line, key.span.col)])
                      for mapping, key, value, parent in _pairs(self.root)
                      if (key.span.line, key.span.col) in keys]
        gone = [self._pair_region(key, value) for _, key, value, _, d in found_keys
                if d.code in IGNORED_CODES]
        for mapping, key, value, parent, found in found_keys:
            new = _TICKED.findall(found.message) if found.code == ALIAS_CODE else []
            if len(new) >= 2:
                self._rename(mapping, key, new[1])
            elif found.code in IGNORED_CODES:
                self._comment_out(mapping, key, value, found.message, gone)
                emptied.setdefault(id(mapping), (mapping, parent))
        for mapping, parent in emptied.values():
            every = all(any(e.what.startswith(f"`{k.value}` commented out") and
                            e.start <= self.text.offset(k.span.line, k.span.col) <= e.end
                            for e in self.edits) for k, _ in mapping.items)
            if every and not self.text.is_flow(mapping):
                self._keep_empty(mapping, parent)

    def _keep_empty(self, mapping: Mapping, parent: Scalar | None) -> None:
        """A block mapping whose every key is commented out stays a mapping: `key: {}`."""
        text = self.text
        what = "an emptied mapping kept as `{}`"
        if parent is not None:  # `gateway:` → `gateway: {}`
            colon = text.text.index(":", text.offset(parent.span.end_line, parent.span.end_col))
            self.edits.append(Edit(colon + 1, colon + 1, " {}", what))
            return
        first = mapping.items[0][0].span
        if text.before(first).strip() == "-":  # `- jcloud: ...` alone: the item is `- {}`
            at = text.offset(first.line, first.col)
            self.edits.insert(0, Edit(at, at, "{} ", what))  # before the note at that offset

    def _pair_region(self, key: Scalar, value: Node) -> tuple[int, int]:
        """Offsets of `key: value` in the text (an empty value ends at the colon)."""
        text = self.text
        start = text.offset(key.span.line, key.span.col)
        colon = text.text.index(":", text.offset(key.span.end_line, key.span.end_col)) + 1
        if isinstance(value, Scalar) and value.value is None:
            return start, colon
        if (value.span.line, value.span.col) < (key.span.line, key.span.col):  # `*alias`
            alias = re.compile(r"\s*\*[^\s\]},]+").match(text.text, colon)
            return start, alias.end() if alias else colon
        return start, text.offset(value.span.end_line, value.span.end_col)

    def _comment_out(self, mapping: Mapping, key: Scalar, value: Node, reason: str,
                     gone: list[tuple[int, int]]) -> None:
        """Comment `key: value` out; `gone`: every region this pass comments out (an anchor
        whose aliases are all in them goes with them)."""
        text = self.text
        what = f"`{key.value}` commented out: {reason}"
        note = f"# {PREFIX}{reason}"
        start, end = self._pair_region(key, value)
        used = _anchor_used_elsewhere(text.text, start, end, gone)
        if used:
            self.problem("FC806", f"`flowc migrate` cannot comment out `{key.value}`: the anchor "
                                  f"`&{used}` in it is used elsewhere", key.span,
                         hint=f"move the anchor `&{used}` out of `{key.value}`")
            return
        if text.is_flow(mapping):  # `{a: 1, jcloud: {...}}`: the pair goes, a note says so
            removed = " ".join(text.text[start:end].split())
            after = end + _spaces(text.text, end)
            if text.text[after:after + 1] == ",":
                end = after + 1 + _spaces(text.text, after + 1)
            else:
                start = _comma_before(text.text, start) or start
            line = text.line_text(key.span.line)
            indent = len(line) - len(line.lstrip(" "))
            self.edits.append(text.insert_line(key.span.line, indent,
                                               f"{note} (removed `{removed}`)", what))
            self.edits.append(Edit(start, end, "", what))
            return
        last = text.last_line(value, key.span.line)
        prefix = text.before(key.span)
        if prefix.strip() and prefix.strip() != "-":
            self.problem("FC806", f"`flowc migrate` cannot comment out `{key.value}` here: its "
                                  "line holds other keys", key.span,
                         hint="put the key on a line of its own")
            return
        col = key.span.col
        if prefix.strip() == "-":  # the first key of a list item: keep the dash, comment after it
            self.edits.append(Edit(start, start, note + text.newline + " " * (col - 1) + "# ",
                                   what))
            self.edits += text.comment_lines(key.span.line + 1, last, col, what)
            return
        self.edits.append(text.insert_line(key.span.line, col - 1, note, what))
        self.edits += text.comment_lines(key.span.line, last, col, what)

    def _replace(self, span: Span, new: str, what: str) -> Edit:
        return Edit(self.text.offset(span.line, span.col),
                    self.text.offset(span.end_line, span.end_col), new, what)


def _pairs(root: Node) -> Iterator[tuple[Mapping, Scalar, Node, Scalar | None]]:
    """Every (mapping, key, value, the key the mapping is the value of)."""
    stack: list[tuple[Node, Scalar | None]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items:
                yield node, key, value, parent
                stack.append((value, key))
        elif isinstance(node, Sequence):
            stack.extend((item, None) for item in node.items)


def _tag_name(node: Node) -> str | None:
    tag = node.tag
    if tag and tag.startswith("!") and not tag.startswith("!!") and len(tag) > 1:
        return tag[1:]
    return None


def _jtype(node: Mapping) -> str | None:
    value = node.get("jtype")
    if isinstance(value, Scalar) and isinstance(value.value, str):
        return value.value
    return _tag_name(node)


_PROPERTIES = re.compile(r"(?:\s|&\S+|#[^\n\r]*)*")


def _only_properties(text: str) -> bool:
    """Whether `text` (between a tag and its node) holds only space, comments and an anchor."""
    return _PROPERTIES.fullmatch(text) is not None


def _delete_tag(text: Text, at: int, end: int, what: str) -> Edit:
    """Remove the tag text[at:end]: its whole line when nothing else is on it, the spaces before
    it when only a comment follows it, else the spaces after it."""
    line = text.position(at)[0]
    line_start = text.starts[line - 1]
    rest = text.line_text(line)[end - line_start:]
    begin = at
    while begin > line_start and text.text[begin - 1] == " ":
        begin -= 1
    if begin == line_start and not rest.strip():
        next_line = text.starts[line] if line < len(text.starts) else len(text.text)
        return Edit(line_start, next_line, "", what)
    if not rest.strip() or rest.strip().startswith("#"):
        return Edit(begin, end, "", what)
    return Edit(at, end + _spaces(text.text, end), "", what)


def _body_start(text: Text, node: Mapping) -> int:
    """Offset where a mapping's content starts: its `{`, else its first key."""
    start = text.offset(node.span.line, node.span.col)
    if node.items:
        first = node.items[0][0].span
        key = text.offset(first.line, first.col)
        brace = text.text.find("{", start, key)
        return brace if brace >= 0 and _only_properties(
            re.sub(r"![A-Za-z_][A-Za-z0-9_]*", "", text.text[start:brace])) else key
    brace = text.text.find("{", start)
    return brace if brace >= 0 else start


_ANCHOR = re.compile(r"(?<![^\s\[{,:])&([^\s\[\]{},]+)")


def _anchor_used_elsewhere(text: str, start: int, end: int, gone: list[tuple[int, int]]
                           ) -> str | None:
    """An anchor defined in text[start:end] whose alias appears outside every region in `gone`
    (commenting the region out would leave that alias dangling)."""
    for found in _ANCHOR.finditer(text, start, end):
        alias = re.compile(r"\*" + re.escape(found.group(1)) + r"(?![^\s\]},])")
        for use in alias.finditer(text):
            if not any(a <= use.start() < b for a, b in gone):
                return found.group(1)
    return None


def _spaces(text: str, at: int) -> int:
    n = 0
    while at + n < len(text) and text[at + n] == " ":
        n += 1
    return n


def _comma_before(text: str, start: int) -> int | None:
    at = start
    while at > 0 and text[at - 1] in " \t\r\n":
        at -= 1
    return at - 1 if at > 0 and text[at - 1] == "," else None
