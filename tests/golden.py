"""Golden files: compare rendered text with a file kept in the repository, or rewrite it.

The one convention for the whole project: run the tests with `FLOWC_UPDATE_GOLDEN=1` to write
every golden file a test compares (new or changed); without it a missing or different file fails
the test with a unified diff. Files are compared and written byte for byte (UTF-8, newlines as
given), so a golden file shows exactly what a user would see.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

UPDATE_ENV = "FLOWC_UPDATE_GOLDEN"
_MAX_DIFF_LINES = 80


def updating() -> bool:
    """Whether this run rewrites golden files instead of comparing them."""
    return os.environ.get(UPDATE_ENV, "") not in ("", "0", "false", "no")


def assert_golden(path: str | os.PathLike[str], text: str) -> None:
    """Fail unless `text` equals the golden file at `path` (or write it when updating)."""
    path = Path(path)
    if updating():
        if not path.exists() or path.read_bytes() != text.encode("utf-8"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
        return
    if not path.exists():
        pytest.fail(f"golden file {path} is missing; run the tests with {UPDATE_ENV}=1 to "
                    "create it, then review it", pytrace=False)
    expected = path.read_bytes().decode("utf-8")
    if expected == text:
        return
    diff = list(difflib.unified_diff(expected.splitlines(keepends=True),
                                     text.splitlines(keepends=True),
                                     fromfile=f"{path} (golden)", tofile="actual"))
    shown = "".join(diff[:_MAX_DIFF_LINES])
    more = f"\n... {len(diff) - _MAX_DIFF_LINES} more diff lines" if len(diff) > _MAX_DIFF_LINES else ""
    pytest.fail(f"{path} differs from the output (rerun with {UPDATE_ENV}=1 to accept):\n"
                f"{shown}{more}", pytrace=False)
