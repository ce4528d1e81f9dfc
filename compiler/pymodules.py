"""`py_modules` entries given as module names (`clip_server.executors.clip_torch`), as Jina allows.

Jina imports an entry as a module when it is not a file, then tries it as a path
(`jina/importer.py`, `PathImporter.add_modules`). flowc checks the same at validate time without
running user code: each dotted part is looked up with `importlib.machinery.PathFinder` in the
folders of the part before it, starting from the folders the worker puts on `sys.path` (the
Flow's directory; for an Executor file also its own), then the installed packages
(`importlib.util.find_spec` on the top name alone, which imports nothing). As in Jina,
`extra_search_paths` is for files, not modules. A module found nowhere is FC406 at the entry.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
from pathlib import Path
from typing import Iterable

# A dotted Python module name: what Jina would hand to `importlib.import_module`.
MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def is_module_name(text: str) -> bool:
    """True for `a`, `a.b.c`; false for paths (`a/b.py`) and file names that end in `.py`.

    `executor.py` reads as a file: a module `py` inside a package `executor` is no one's intent,
    and a missing file is reported as a file."""
    return bool(MODULE_NAME.fullmatch(text)) and not text.endswith((".py", ".yml", ".yaml"))


def find_module(name: str, folders: Iterable[Path]) -> str | None:
    """Where module `name` would be imported from (a file or folder path, or `installed`), or
    None when it is found nowhere. Imports nothing: a parent package is looked into, not run."""
    first, *rest = name.split(".")
    paths = [str(f) for f in dict.fromkeys(folders)]
    try:
        spec = importlib.machinery.PathFinder.find_spec(first, paths)
        local = spec is not None
        if spec is None:
            spec = importlib.util.find_spec(first)  # a top-level name: no code runs
    except (ImportError, ValueError, OSError):
        return None
    for part in rest:
        if spec is None:
            return None
        locations = spec.submodule_search_locations
        if locations is None:
            return None  # a plain module has no submodules
        try:
            spec = importlib.machinery.PathFinder.find_spec(part, list(locations))
        except (ImportError, ValueError, OSError):
            return None
    if spec is None:
        return None
    if not local:
        return "installed"
    if spec.origin and spec.origin not in ("namespace", "built-in", "frozen"):
        return spec.origin
    return next(iter(spec.submodule_search_locations or ()), "installed")
