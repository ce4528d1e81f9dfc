"""Watching files for development reloads (SPEC §5), on `watchfiles` (inotify on Linux).

`watchfiles` is imported only when something is watched, so `flowc validate` and a Flow without
`reload`/`restart` never pay for it. Folders are watched rather than the files themselves: an
editor that saves by writing a new file and renaming it over the old one would end a watch on the
file. Where inotify cannot be used (its watch limit reached, a file system without it), the
watcher says so and falls back to `watchfiles`' polling.

`FileWatcher` serves the launcher (`restart: true`, Flow `reload`): a thread that hands the
changed paths to a callback. The worker's code reload (`reloader.py`) uses `python_changes`, the
asynchronous form for its event loop.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterable

if TYPE_CHECKING:
    import asyncio

STEP_MS = 50  # a burst of writes (truncate, write, rename) is one change once quiet this long
TIMEOUT_MS = 500  # the watcher also wakes up this often: the first wake-up says it is watching


def real(path: str | os.PathLike) -> str:
    """The absolute path with symlinks resolved: how watched and reported paths are compared."""
    return os.path.realpath(os.fspath(path))


def folders_of(files: Iterable[str]) -> list[str]:
    """The existing folders holding `files`, sorted (what is handed to the watcher)."""
    return sorted({os.path.dirname(f) for f in files if os.path.isdir(os.path.dirname(f))})


class FileWatcher:
    """Calls `on_change(sorted changed paths)` from its own thread when one of `files` changes
    (created, modified, replaced or deleted), until `stop()`.

    Once the watch is in place it also calls `on_change(every file)`: a change made while it was
    being set up would be missed otherwise, so the receiver compares contents itself."""

    def __init__(self, files: Iterable[str | os.PathLike],
                 on_change: Callable[[list[str]], None], log: Callable[[str], None]):
        self.files = frozenset(real(f) for f in files)
        self._on_change = on_change
        self._log = log
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="flowc-watch", daemon=True)

    def start(self) -> "FileWatcher":
        if self.files:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _wanted(self, _change: Any, path: str) -> bool:
        return real(path) in self.files

    def _run(self) -> None:
        from watchfiles import watch  # 13 ms of every `flowc run` (the launcher imports this module)

        folders = folders_of(self.files)
        polling = False
        synced = False
        while not self._stop.is_set():
            try:
                for changes in watch(*folders, watch_filter=self._wanted, step=STEP_MS,
                                     stop_event=self._stop, recursive=False,
                                     rust_timeout=TIMEOUT_MS, yield_on_timeout=True,
                                     raise_interrupt=False, force_polling=polling or None):
                    paths = {real(path) for _, path in changes}
                    if not synced:
                        synced = True
                        paths |= self.files
                    if paths:
                        self._on_change(sorted(paths))
                return
            except Exception as exc:  # e.g. the inotify watch limit: poll instead, say so once
                if polling:
                    self._log(f"watching files stopped: {exc}")
                    return
                self._log(f"cannot watch files with inotify ({exc}); polling them instead")
                polling = True


def stamps(files: Iterable[str | os.PathLike]) -> dict[str, tuple[int, int]]:
    """(modification time, size) of each file, (-1, -1) when missing: a baseline to compare."""
    found = {}
    for path in files:
        try:
            stat = os.stat(path)
            found[real(path)] = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            found[real(path)] = (-1, -1)
    return found


async def python_changes(folders: list[Path], stop: asyncio.Event, log: Callable[[str], None],
                         baseline: dict[str, tuple[int, int]] | None = None
                         ) -> AsyncIterator[list[str]]:
    """Sorted lists of `.py` files changed in `folders` (each folder itself, not its
    subfolders), until `stop` is set. A new `.py` file counts as a change too. Once the watch
    is in place, files whose `stamps` differ from `baseline` are reported as changed: edits made
    while it was being set up."""
    from watchfiles import PythonFilter, awatch  # 13 ms, as in FileWatcher._run

    polling = False
    while not stop.is_set():
        try:
            async for changes in awatch(*[str(f) for f in folders], watch_filter=PythonFilter(),
                                        step=STEP_MS, stop_event=stop, recursive=False,
                                        rust_timeout=TIMEOUT_MS, yield_on_timeout=True,
                                        force_polling=polling or None):
                paths = {real(path) for _, path in changes}
                if baseline is not None:
                    now = stamps(baseline)
                    paths |= {p for p in baseline if now[p] != baseline[p]}
                    baseline = None
                if paths:
                    yield sorted(paths)
            return
        except (OSError, RuntimeError) as exc:
            if polling:
                log(f"reload: watching stopped: {exc}")
                return
            log(f"reload: cannot watch with inotify ({exc}); polling instead")
            polling = True
