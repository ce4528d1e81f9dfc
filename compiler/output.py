"""Writing `flowc build` output: files, a manifest of what was generated, pruning, drift diffs.

`.flowc-manifest` in the output directory lists (sorted) every file the last build wrote, so a
rebuild removes files it generated before and no longer generates, and never touches files it
did not write: a file it would write that exists but is not in the manifest (a user's README.md
in a folder flowc never built into) stops the build before anything is written (`NotOurs`).
`--check` compares without writing and returns a unified diff. A file's value is text (written
as UTF-8) or bytes (written as is: a wheel, the executors' files of an image build context); a
file starting with `#!` is made executable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

MANIFEST = ".flowc-manifest"


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def _manifest_text(files: dict[str, str | bytes]) -> str:
    return "".join(f"{name}\n" for name in sorted(files))


def _previous(outdir: Path) -> list[str]:
    path = outdir / MANIFEST
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _safe(outdir: Path, name: str) -> Path:
    path = (outdir / name).resolve()
    path.relative_to(outdir.resolve())  # ValueError: a target produced a path outside DIR
    return path


class NotOurs(Exception):
    """Files a build would overwrite that no earlier build into that directory wrote."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


def foreign_files(outdir: Path, names: Iterable[str]) -> list[str]:
    """Those of `names` present in `outdir` (a symlink or folder too) that the manifest lacks."""
    ours = set(_previous(outdir)) if outdir.is_dir() else set()
    return sorted(n for n in names if n not in ours
                  and ((outdir / n).is_symlink() or (outdir / n).exists()))


def apply_files(outdir: Path, files: dict[str, str | bytes]) -> tuple[int, int]:
    """Write `files` under `outdir`, prune stale generated files; (written, removed): a file
    that already holds its bytes is left alone and not counted.
    Raises `NotOurs`, writing nothing, when a file to write is not flowc's to overwrite."""
    clash = foreign_files(outdir, files)
    if clash:
        raise NotOurs(clash)
    outdir.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, text in sorted(files.items()):
        path = _safe(outdir, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _bytes(text)
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
            written += 1
        if data.startswith(b"#!"):  # a script (build-images.sh, install.sh): `./script` runs it
            path.chmod(0o755)
    removed = 0
    for name in _previous(outdir):
        if name in files:
            continue
        try:
            path = _safe(outdir, name)
        except ValueError:
            continue
        if path.is_file():
            path.unlink()
            removed += 1
            parent = path.parent
            while parent != outdir.resolve() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    (outdir / MANIFEST).write_text(_manifest_text(files), encoding="utf-8")
    return written, removed


def _wanted(files: dict[str, str | bytes]) -> dict[str, str | bytes]:
    return {**files, MANIFEST: _manifest_text(files)}


def differing_files(outdir: Path, files: dict[str, str | bytes]) -> list[str]:
    """The names (sorted) a build would write, change or remove in `outdir`."""
    wanted = _wanted(files)
    names = sorted(set(wanted) | {n for n in _previous(outdir) if n not in wanted})
    return [name for name in names if _current(outdir / name) != (
        None if wanted.get(name) is None else _bytes(wanted[name]))]


def _current(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def diff_files(outdir: Path, files: dict[str, str | bytes]) -> str:
    """A unified diff from what is in `outdir` to what would be written ('' when equal)."""
    wanted = _wanted(files)
    import difflib  # only `build --check` diffs

    chunks: list[str] = []
    for name in differing_files(outdir, files):
        old_bytes = _current(outdir / name)
        value = wanted.get(name)
        if isinstance(value, bytes) or not _is_text(old_bytes):
            chunks.append(f"Binary files {'a/' + name if old_bytes is not None else '/dev/null'}"
                          f" and {'b/' + name if value is not None else '/dev/null'} differ\n")
            continue
        old = old_bytes.decode("utf-8") if old_bytes is not None else None
        new = value
        chunks.extend(difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            fromfile=f"a/{name}" if old is not None else "/dev/null",
            tofile=f"b/{name}" if new is not None else "/dev/null"))
        if chunks and not chunks[-1].endswith("\n"):
            chunks[-1] += "\n\\ No newline at end of file\n"
    return "".join(chunks)


def _is_text(data: bytes | None) -> bool:
    try:
        (data or b"").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
