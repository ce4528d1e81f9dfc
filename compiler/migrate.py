"""`flowc migrate`: rewrite a Jina Flow (Deployment, Executor, Gateway) file into one flowc
accepts, keeping every comment, the key order and the formatting of what it does not change.

The rewrites are in `migrate_rules` (Hub references, deprecated keys, ignored keys, `pods:`,
old tags); the text edits in `migrate_text`. They run in rounds until one finds nothing to
change, each round on the text the previous one produced: converting `pods:` uncovers the Hub
references and ignored keys inside it, and a file migrate already migrated gives no edit at
all (byte-stable). A file with a problem migrate cannot settle (an unmapped Hub reference, a
deprecated key whose new name is also set...) is left unchanged: the diagnostics say what to do.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .check import detect_kind
from .diagnostics import CATALOGUE, Diagnostic, error, has_errors, normalise
from .driver import compile_tree
from .imageref import image_problem
from .loader import load_file, load_text
from .migrate_rules import VALIDATE_CODES, Rules
from .migrate_text import Edit, Text, apply, back
from .syntax import Mapping, Node, Scalar, Sequence, Span

MAX_ROUNDS = 8  # 4 at most: pods and tags, what pods held, validate's keys, nothing left
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # YAML's line breaks only
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_.\-]+)?(?::[A-Za-z0-9_.\-]+)?")
_CLASS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Migration:
    """One file's migration: its text before and after, what changed, and any problem."""

    path: str
    before: str
    after: str
    changes: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    bom: bool = False

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)

    @property
    def changed(self) -> bool:
        return self.after != self.before

    def diff(self) -> str:
        """A unified diff from the file to its migrated text ('' when nothing changes)."""
        lines = list(difflib.unified_diff(
            _LINES.findall(self.before), _LINES.findall(self.after),
            fromfile=f"a/{self.path}", tofile=f"b/{self.path}"))
        return "".join(line if line.endswith(("\n", "\r")) else
                       line + "\n\\ No newline at end of file\n" for line in lines)

    def write(self) -> None:
        """Replace the file with the migrated text (atomically, keeping its permissions)."""
        path = Path(self.path)
        temporary = path.with_name(f".{path.name}.flowc-migrate")
        data = ("\ufeff" if self.bom else "") + self.after
        try:
            with open(temporary, "w", encoding="utf-8", newline="") as handle:
                handle.write(data)
            os.chmod(temporary, path.stat().st_mode & 0o7777)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)


# --- maps -------------------------------------------------------------------------------------

def parse_maps(pairs: list[str], map_file: str | None) -> tuple[dict[str, str], list[Diagnostic]]:
    """`--map Name=target` arguments over a `--map-file` (a YAML mapping name → target)."""
    maps: dict[str, str] = {}
    diags: list[Diagnostic] = []
    if map_file is not None:
        root, more = load_file(map_file)
        diags += more
        if root is not None and not isinstance(root, Mapping):
            diags.append(error("FC803", f"--map-file {map_file} is not a mapping of Hub names to "
                                        "images, Executor YAML files or class names", root.span,
                               hint=CATALOGUE["FC803"].default_hint))
        elif root is not None:
            for key, value in root.items:
                target = value.value if isinstance(value, Scalar) else None
                problem = _target_problem(str(key.value), target) if isinstance(
                    value, Scalar) else f"`{key.value}` must map to one text value, not a " + (
                    "list" if isinstance(value, Sequence) else "mapping")
                if problem:
                    diags.append(error("FC803", problem, value.span,
                                       hint=CATALOGUE["FC803"].default_hint))
                else:
                    maps[str(key.value)] = str(target)
    for number, item in enumerate(pairs, 1):
        where = Span(f"<--map #{number}>", 1, 1, 1, len(item) + 1)
        name, equals, target = item.partition("=")
        problem = _target_problem(name.strip(), target.strip() if equals else None)
        if problem:
            diags.append(error("FC802", f"--map {item}: {problem}", where,
                               hint=CATALOGUE["FC802"].default_hint))
        else:
            maps[name.strip()] = target.strip()
    return maps, diags


def _target_problem(name: str, target: object) -> str | None:
    """Why `name=target` cannot map a Hub reference (None when it can)."""
    if not _NAME.fullmatch(name):
        return f"`{name}` is not a Hub executor name"
    if not isinstance(target, str) or not target:
        return f"`{name}` is mapped to nothing"
    if target.startswith("docker://"):
        problem = image_problem(target.removeprefix("docker://"))
        return f"`{target}` is not a valid image reference: {problem}" if problem else None
    if target.lower().endswith((".yml", ".yaml")) or _CLASS.fullmatch(target):
        return None
    return (f"`{target}` is neither docker://image:tag, an Executor YAML file (.yml, .yaml) nor "
            "a class name")


# --- migrating ----------------------------------------------------------------------------------

def migrate_file(path: str, maps: dict[str, str]) -> Migration:
    """Migrate the file at `path` (read, never written here)."""
    root, diags = load_file(path)  # the loader's own words for a file it cannot read or parse
    if root is None or has_errors(diags):
        return Migration(path, "", "", diagnostics=normalise(diags))
    try:
        text = Path(path).read_bytes().decode("utf-8")  # the loader accepted it: UTF-8
    except (OSError, UnicodeDecodeError) as exc:  # changed since it was loaded
        return Migration(path, "", "", diagnostics=[error(
            "FC109", f"cannot read {path}: {exc}", Span(path, 1, 1, 1, 1))])
    bom = text.startswith("\ufeff")
    migration = migrate_text(text.removeprefix("\ufeff"), path, maps)
    migration.bom = bom
    return migration


def migrate_text(text: str, path: str, maps: dict[str, str]) -> Migration:
    """Migrate `text`, the content of the file `path` (spans name `path`; included files are
    found from its directory)."""
    current, changes = text, []
    history: list[tuple[Text, list[Edit]]] = []  # each round's text and the edits applied to it
    for _ in range(MAX_ROUNDS):
        root, diags = load_text(current, path)
        if root is None or has_errors(diags):
            if current == text:
                return Migration(path, text, text, diagnostics=normalise(diags))
            return Migration(path, text, text, diagnostics=[_broke(path)])
        rules = Rules(Text(current), root, detect_kind(root), maps)
        rules.tags()
        rules.pods()
        rules.renames()
        rules.hub()
        if not rules.edits and not has_errors(rules.diags):
            rules.from_validate(_from_validate(root, path))
        if has_errors(rules.diags):
            found = [_placed(d, path, current, history) for d in rules.diags]
            return Migration(path, text, text, changes, normalise(found))
        if not rules.edits:
            return Migration(path, text, current, changes)
        before = Text(current)
        current, applied = apply(current, rules.edits)
        history.append((before, applied))
        for edit in applied:
            if edit.what not in changes:
                changes.append(edit.what)
    return Migration(path, text, text, changes, [_broke(path)])


def _placed(diag: Diagnostic, path: str, current: str,
            history: list[tuple[Text, list[Edit]]]) -> Diagnostic:
    """A diagnostic found in a later round (spans in `current`), placed where its text is in
    the user's file."""
    def place(span: Span) -> Span:
        return span if span.file != path or not history else _back(span, current, history)

    return dataclasses.replace(diag, span=diag.span and place(diag.span), related=tuple(
        dataclasses.replace(r, span=place(r.span)) for r in diag.related))


def _back(span: Span, current: str, history: list[tuple[Text, list[Edit]]]) -> Span:
    text = Text(current)
    start = text.offset(span.line, span.col)
    end = text.offset(span.end_line, span.end_col)
    for before, applied in reversed(history):
        start, end = back(start, applied), back(end, applied)
        text = before
    end = max(start, end)
    (line, col), (end_line, end_col) = text.position(start), text.position(end)
    return Span(span.file, line, col, end_line, end_col)


def _from_validate(root: Node, path: str) -> list[Diagnostic]:
    """What `flowc validate` says it ignores in this file (FC220, FC223) or reads under a new
    name (FC225), at the keys' spans.
    Undefined variables do not matter to which keys are ignored: they stay unknown."""
    result = compile_tree(root, path=path, display=path, env={}, allow_undefined=True)
    return [d for d in result.diagnostics
            if d.code in VALIDATE_CODES and d.span is not None and d.span.file == path]


def _broke(path: str) -> Diagnostic:
    return error("FC999", "internal error: `flowc migrate` produced text that does not load, or "
                          "did not settle; the file is left unchanged",
                 Span(path, 1, 1, 1, 1), hint=CATALOGUE["FC999"].default_hint)
