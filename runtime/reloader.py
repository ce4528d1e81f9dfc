"""`reload: true` (development, SPEC §5): re-import an executor's code when it changes.

The worker watches the Python files of its executor: the modules flowc imported for it
(`py_modules`, the class's own file) and every `.py` file under their folders (helpers imported
by plain name), through `watchfiles` (inotify; see watch.py), imported only when a deployment
has `reload: true`. On a change the modules are forgotten, the executor is built again from the
plan, and new requests go to it; the old instance finishes its requests, then is closed. A
failed reload (a syntax error, an exception in `__init__`) keeps the old code serving and says
why.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import sysconfig
import traceback
from pathlib import Path
from typing import Any, Awaitable, Callable

from .host import wait_idle

MAX_WATCHED = 5000  # files; a bigger tree is cut here (and said so) rather than scanned forever


def watched_files(roots: list[Path]) -> list[Path]:
    """The Python files to watch: each root file plus the `.py` files under its folder."""
    files: dict[str, Path] = {}
    for root in roots:
        root = root.resolve()
        folder = root.parent if root.is_file() else root
        if root.is_file():
            files.setdefault(str(root), root)
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                                 and d not in ("__pycache__", "node_modules"))
            for filename in sorted(filenames):
                if filename.endswith(".py") and len(files) < MAX_WATCHED:
                    path = Path(dirpath, filename)
                    files.setdefault(str(path), path)
    return [files[key] for key in sorted(files)]


def forget_modules(files: list[Path]) -> list[str]:
    """Drop every loaded module defined in one of `files` (and its stale bytecode)."""
    wanted = {str(p) for p in files}
    dropped = []
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        if origin and str(Path(origin).resolve()) in wanted:
            del sys.modules[name]
            dropped.append(name)
    for path in files:
        try:  # an edit within the same second and size would otherwise reuse the old .pyc
            os.unlink(importlib.util.cache_from_source(str(path)))
        except (OSError, ValueError, NotImplementedError):
            pass
    importlib.invalidate_caches()
    return sorted(dropped)


async def watch(files: list[Path],
                on_change: Callable[[list[str]], Awaitable[list[Path] | None]],
                stop: asyncio.Event, log: Callable[[str], None]) -> None:
    """Call `on_change(changed paths)` whenever a `.py` file in the folders of `files` changes
    (a new one too), until `stop` is set.

    `on_change` may return a new list of files to watch (after a successful reload); when their
    folders differ, watching starts again on the new folders."""
    from .watch import python_changes, stamps  # 1 ms of every worker's start-up

    folders = _folders(files)
    baseline = stamps(files)  # what the running code was loaded from
    while not stop.is_set():
        moved = False
        async for changed in python_changes(folders, stop, log, baseline):
            new_files = await on_change(changed)
            if new_files is not None and _folders(new_files) != folders:
                folders, moved = _folders(new_files), True
                baseline = stamps(new_files)
                break
        if not moved:
            return


def _folders(files: list[Path]) -> list[Path]:
    """The folders holding `files`, each watched on its own (not recursively: `watched_files`
    already left out hidden folders, caches and `node_modules`, and bounds the count)."""
    return sorted({p.parent for p in files})


def module_roots(executor: Any) -> list[Path]:
    """The files an executor's code came from: its class's module (and those of its base
    classes, but not installed libraries or the standard library) and flowc-imported modules."""
    installed = _installed_folders()
    roots = []
    for klass in type(executor).__mro__:
        module = sys.modules.get(klass.__module__)
        origin = getattr(module, "__file__", None)
        if origin and not klass.__module__.startswith("flowc.runtime") \
                and not str(Path(origin).resolve()).startswith(installed):
            roots.append(Path(origin))
    for name, module in list(sys.modules.items()):
        if name.startswith("flowc_user_") and getattr(module, "__file__", None):
            roots.append(Path(module.__file__))
    return roots


def _installed_folders() -> tuple[str, ...]:
    """Where the standard library and installed packages live: code nobody edits while
    developing an executor, and whose folders are far too big to watch."""
    paths = sysconfig.get_paths()
    return tuple(str(Path(paths[key]).resolve()) + os.sep
                 for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths)


def describe_failure(exc: BaseException) -> str:
    """The last traceback line worth showing for a failed reload."""
    lines = traceback.format_exception_only(type(exc), exc)
    return "".join(lines).strip().replace("\n", " ")


async def hot_reload(servicer: Any, rebuild: Callable[[], Any], *, name: str,
                     stop: asyncio.Event, make_host: Callable[[Any], Any],
                     log: Callable[[str, str], None], grace: float = 10.0) -> None:
    """Watch `servicer.host`'s executor code; on a change build a new one and swap it in."""
    files = watched_files(module_roots(servicer.host.executor))
    cut = f" (at most {MAX_WATCHED} are watched)" if len(files) >= MAX_WATCHED else ""
    log(name, f"reload: watching {len(files)} Python file(s){cut}")

    async def on_change(changed: list[str]) -> list[Path] | None:
        nonlocal files
        log(name, "reload: changed " + ", ".join(Path(c).name for c in changed))
        forget_modules(sorted(set(files) | {Path(c) for c in changed}))
        try:
            executor = await asyncio.to_thread(rebuild)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # keep serving the old code; the next edit retries
            log(name, f"reload failed, the previous code keeps serving: {describe_failure(exc)}")
            return None
        old = servicer.host
        servicer.host = make_host(executor)
        endpoints = ", ".join(sorted(executor.requests)) or "none"
        log(name, f"reloaded {type(executor).__name__}; endpoints: {endpoints}")
        asyncio.create_task(_retire(old, grace))
        files = watched_files(module_roots(executor))
        return files

    await watch(files, on_change, stop, lambda message: log(name, message))


async def _retire(host: Any, grace: float) -> None:
    """Close a replaced executor once its requests are done, endpoint threads included (at
    most `grace` seconds)."""
    host.flush_batches()  # its requests waiting for a batch run now, not after their timeout
    await wait_idle(host, grace)
    await asyncio.to_thread(host.close)
