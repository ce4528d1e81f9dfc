"""Writing `flowc build` output: files, a manifest of what was generated, pruning, drift diffs.

`.flowc-manifest` in the output directory lists (sorted) every file the last build wrote, so a
rebuild removes files it generated before and no longer generates, and never touches files it
did not write. `--check` compares without writing and returns a unified diff.
"""

from __future__ import annotations

from pathlib import Path

MANIFEST = ".flowc-manifest"


def _manifest_text(files: dict[str, str]) -> str:
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


def apply_files(outdir: Path, files: dict[str, str]) -> tuple[int, int]:
    """Write `files` under `outdir`, prune stale generated files; (written, removed)."""
    outdir.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(files.items()):
        path = _safe(outdir, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
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
    return len(files), removed


def diff_files(outdir: Path, files: dict[str, str]) -> str:
    """A unified diff from what is in `outdir` to what would be written ('' when equal)."""
    wanted = dict(files)
    wanted[MANIFEST] = _manifest_text(files)
    names = sorted(set(wanted) | {n for n in _previous(outdir) if n not in wanted})
    import difflib  # only `build --check` diffs

    chunks: list[str] = []
    for name in names:
        path = outdir / name
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        new = wanted.get(name)
        if old == new:
            continue
        chunks.extend(difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            fromfile=f"a/{name}" if old is not None else "/dev/null",
            tofile=f"b/{name}" if new is not None else "/dev/null"))
        if chunks and not chunks[-1].endswith("\n"):
            chunks[-1] += "\n\\ No newline at end of file\n"
    return "".join(chunks)
