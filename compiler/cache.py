"""The per-user folder where flowc keeps what it derives from its own files: the substitution
grammar's parse tables (lark), the schema gate's validators (`fastcheck`) and the templates'
bytecode (jinja2). Each saves tens of milliseconds per process and is rebuilt when missing.

What is read back from here is unpickled, unmarshalled or run, so the folder is used only when the
current user owns it and nobody else can write to it; otherwise, or when it cannot be created, or
with `FLOWC_NO_CACHE=1`, `cache_dir()` says None and callers build what they need in memory.
Writes are atomic (a temporary file renamed over the target), so a reader never sees half a
file, and a write that fails (read-only or vanished folder) is skipped, not an error.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "write_atomic"]


def cache_dir() -> Path | None:
    """`$XDG_CACHE_HOME/flowc` (default `~/.cache/flowc`), created private; None when unsafe,
    impossible, or turned off with `FLOWC_NO_CACHE`."""
    if os.environ.get("FLOWC_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "flowc")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return None
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
        return None
    return Path(folder)


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` all at once (readers see the old file or the new one, never a
    part); False, leaving nothing behind, when the folder is not writable."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True
