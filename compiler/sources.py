"""Source text by file, for renderers that show the offending line.

Each file is read once. Bytes become text the way the loader sees them (a leading UTF-8 BOM is
dropped, `\\r\\n`, `\\r` and `\\n` end lines) except that bad bytes are replaced with U+FFFD
instead of failing, so a file the loader refused (FC102) can still be shown; a UTF-16 or UTF-32
file (which the loader refuses, naming the encoding) is shown decoded as what it is, not as
mojibake (`text_encoding` is the one place that recognises those encodings). Text already in
memory (standard input, a test, the Python API) is registered with `add` under the name its
spans carry. Nothing here raises: an unreadable file simply has no lines.
"""

from __future__ import annotations

import os
import re

__all__ = ["SourceCache", "text_encoding"]

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


# Byte-order marks of the encodings flowc recognises but does not read (UTF-32 first: the
# UTF-32-LE mark starts with the UTF-16-LE one).
_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32-LE"), (b"\x00\x00\xfe\xff", "UTF-32-BE"),
         (b"\xff\xfe", "UTF-16-LE"), (b"\xfe\xff", "UTF-16-BE"))
# Without a mark: where the zero bytes of ASCII text sit in each code unit.
_ZERO_BYTES = (("UTF-32-LE", 4, 0), ("UTF-32-BE", 4, 3), ("UTF-16-LE", 2, 0), ("UTF-16-BE", 2, 1))


def text_encoding(data: bytes) -> str | None:
    """'UTF-16-LE', 'UTF-16-BE', 'UTF-32-LE' or 'UTF-32-BE' when `data` is text in one of those
    (a byte-order mark, or mostly ASCII code units padded with zero bytes); None otherwise."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    head = data[:512]
    if b"\x00" not in head:
        return None
    for name, width, ascii_at in _ZERO_BYTES:
        units = [head[i:i + width] for i in range(0, len(head) - width + 1, width)]
        if len(units) < 4:
            continue
        padded = sum(1 for u in units if u[ascii_at] != 0
                     and not any(b for j, b in enumerate(u) if j != ascii_at))
        if padded * 4 >= len(units) * 3:
            return name
    return None


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    encoding = text_encoding(data)
    if encoding is not None:
        text = data.decode(encoding.lower(), "replace")
        return text[1:] if text.startswith("\ufeff") else text
    return data.decode("utf-8", "replace")
