"""Source text by file, for renderers that show the offending line.

Each file is read once. Bytes become text the way the loader sees them (a leading UTF-8 BOM is
dropped, `\\r\\n`, `\\r` and `\\n` end lines) except that bad bytes are replaced with U+FFFD
instead of failing, so a file the loader refused (FC102) can still be shown. Text already in
memory (standard input, a test, the Python API) is registered with `add` under the name its
spans carry. Nothing here raises: an unreadable file simply has no lines.
"""

from __future__ import annotations

import os
import re

__all__ = ["SourceCache"]

_BREAK = re.compile(r"\r\n|\r|\n")
_READ_LIMIT = 16 * 1024 * 1024  # never read more than this for display


class SourceCache:
    """Lines of source files, read lazily and once; keyed by the file name spans carry."""

    def __init__(self, texts: dict[str, str | bytes] | None = None) -> None:
        self._lines: dict[str, list[str] | None] = {}
        for name, text in (texts or {}).items():
            self.add(name, text)

    def add(self, file: str, text: str | bytes) -> None:
        """Register text for `file` (e.g. what was given to `load_text`)."""
        if isinstance(text, bytes):
            text = _decode(text)
        elif text.startswith("\ufeff"):
            text = text[1:]
        self._lines[file] = _BREAK.split(text)

    def lines(self, file: str) -> list[str] | None:
        """All lines of `file` (without line ends), or None when it cannot be read."""
        if file not in self._lines:
            self._lines[file] = self._read(file)
        return self._lines[file]

    def line(self, file: str, number: int) -> str | None:
        """Line `number` (1-based) of `file`, or None when there is no such line."""
        lines = self.lines(file)
        if lines is None or number < 1 or number > len(lines):
            return None
        return lines[number - 1]

    @staticmethod
    def _read(file: str) -> list[str] | None:
        if not file or file.startswith("<"):  # "<stdin>", "<string>": only known via add()
            return None
        try:
            if not os.path.isfile(file):
                return None
            with open(file, "rb") as handle:
                data = handle.read(_READ_LIMIT)
        except OSError:
            return None
        return _BREAK.split(_decode(data))


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", "replace")
