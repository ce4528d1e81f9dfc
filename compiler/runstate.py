"""Where `flowc run` serves each Flow, so `flowc post flow.yml` finds it without being told.

`flowc run FILE` records the gateway's address in a small file named after the Flow file's
absolute path, and removes it when it stops; `flowc post FILE` reads it. A record whose process
is gone (killed with SIGKILL) is ignored and removed. The folder is private to the user
(`$XDG_RUNTIME_DIR/flowc` when set, else the per-user cache folder's `runs/`).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .cache import cache_dir, write_atomic

__all__ = ["forget", "lookup", "record"]


def _folder() -> Path | None:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        folder = Path(runtime) / "flowc"
    else:
        base = cache_dir()
        if base is None:
            return None
        folder = base / "runs"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def _record_path(flow_file: str | os.PathLike) -> Path | None:
    folder = _folder()
    if folder is None:
        return None
    key = hashlib.sha256(str(Path(flow_file).resolve()).encode()).hexdigest()[:24]
    return folder / f"{key}.json"


def record(flow_file: str | os.PathLike, address: str, pid: int | None = None) -> Path | None:
    """Say that the Flow in `flow_file` serves at `address` (None when nowhere can hold it)."""
    path = _record_path(flow_file)
    if path is None:
        return None
    data = {"address": address, "flow_file": str(Path(flow_file).resolve()),
            "pid": pid or os.getpid()}
    return path if write_atomic(path, json.dumps(data, sort_keys=True).encode()) else None


def lookup(flow_file: str | os.PathLike) -> str | None:
    """The address `flowc run` serves `flow_file` at, or None when it is not running."""
    path = _record_path(flow_file)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pid, address = int(data["pid"]), str(data["address"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        forget(path)
        return None
    return address


def forget(path: Path | None) -> None:
    """Remove a record (nothing when it is already gone)."""
    if path is not None:
        try:
            path.unlink()
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
