"""The non-text inputs of `flowc build` output, read by the CLI layer before `render`.

`render` does no I/O, yet the image build context must hold flowc's wheel and the executors'
files. This module reads them (the running flowc's packages, the Flow directory) and returns
plain values that `render` receives as options (`wheel`, `sources`) and turns into files.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any

from flowc.compiler.output import MANIFEST  # a folder holding it is some `flowc build` output
from flowc.compiler.plan import Plan
from flowc.targets.images import image_folders

# Never copied into an image: history, local environments, caches, secrets (at any depth).
EXCLUDED_DIRS = (".git", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache")
EXCLUDED_FILES = ("*.pyc", ".env", ".env.*", "*.env", "*.pem", "*.key", MANIFEST)


def excluded_file(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in EXCLUDED_FILES)


def read_sources(plan: Plan, flow_dir: Path, outdir: Path | None = None) -> dict[str, bytes]:
    """{Flow-relative path: bytes} of every file in the folders the images need (the outermost
    folders of every local-code executor), without excluded names, `outdir`, or any earlier
    `flowc build` output; sorted, so the context is the same for the same files."""
    folders, _ = image_folders([d for d in plan.deployments if not d.is_external])
    root = flow_dir.resolve()
    skip = outdir.resolve() if outdir is not None else None
    found: dict[str, bytes] = {}
    for folder in folders:
        top = (root / folder).resolve()
        if not top.is_dir() or (top != root and root not in top.parents):
            continue  # a missing folder is reported by the front end; outside: FC706
        for current, dirs, names in os.walk(top):
            here = Path(current)
            dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIRS
                             and (here / d).resolve() != skip
                             and not (here / d / MANIFEST).is_file())
            for name in sorted(names):
                path = here / name
                if excluded_file(name) or not path.is_file():
                    continue
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return dict(sorted(found.items()))


def gather(ships: tuple[str, ...], plan: Plan, flow_dir: Path,
           outdir: Path | None = None) -> dict[str, Any]:
    """The options a target's row in `TARGETS` says it ships ('wheel', 'sources')."""
    options: dict[str, Any] = {}
    if "wheel" in ships:
        from flowc.targets.wheel import build_wheel  # 2 ms (zipfile), only targets that ship it

        options["wheel"] = build_wheel()
    if "sources" in ships:
        options["sources"] = read_sources(plan, flow_dir, outdir)
    return options
