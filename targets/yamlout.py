"""YAML emission for generated files: block style, safe for YAML 1.1 and 1.2 readers.

kubectl and docker compose read YAML 1.1, where `on`, `0755` or `1:30` are not strings; every
scalar is written so that both versions read it back as what it is (`yaml_scalar`), keys sorted
where order is free by the callers, so output is byte-stable.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable


# Plain scalars a YAML 1.1 or 1.2 reader resolves to something other than a string.
_IMPLICIT = re.compile(
    r"""^(?:
      [yYnN~=]|<<
    | (?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)
    | (?:null|Null|NULL)
    | [-+]?0b[0-1_]+                                   # 1.1 binary
    | [-+]?0o?[0-7_]+                                  # 1.1 / 1.2 octal
    | [-+]?(?:0|[1-9][0-9_]*)                          # decimal
    | [-+]?0x[0-9a-fA-F_]+                             # hex
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)? # 1.1 sexagesimal int and float
    | [-+]?(?:[0-9][0-9_]*)?\.[0-9._]*(?:[eE][-+]?[0-9]+)?  # float with a dot
    | [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+                 # 1.2 float without a dot (1e3)
    | [-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt\ ].*)?      # 1.1 timestamp
    )$""",
    re.VERBOSE,
)
# Characters a plain scalar may consist of here (deliberately narrower than YAML allows).
_PLAIN = re.compile(r"^-*[A-Za-z0-9_./][A-Za-z0-9_./:@+=,()-]*$")


def _plain_ok(text: str) -> bool:
    return (bool(_PLAIN.fullmatch(text)) and not _IMPLICIT.fullmatch(text)
            and not text.endswith(":") and not text.startswith("---"))


# Characters a scalar must not hold unescaped: outside YAML's c-printable set, plus NEL, the
# line/paragraph separators and the BOM, which readers fold or drop. A small (fast to compile)
# class, so long texts are checked in C rather than character by character.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_UNPRINTABLE_BLOCK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def _printable(ch: str) -> bool:
    return _UNPRINTABLE.match(ch) is None


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _double_quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _printable(ch):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def yaml_scalar(value: Any) -> str:
    """One scalar, written so YAML 1.1 and 1.2 readers both get back exactly `value`.

    Strings are plain only when no reader could take them for anything else (`yes`, `on`, `y`,
    `1:20`, `0777`, `1e3`, `~`, `2024-01-01` are quoted); everything else is double-quoted with
    YAML escapes. Floats always carry a dot so YAML 1.1 does not read `1e+20` as a string.
    """
    if type(value) is str:
        cached = _SCALARS.get(value)
        return cached if cached is not None else _remember(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text:
            mantissa, exp = text.split("e")
            if "." not in mantissa:
                mantissa += ".0"
            text = f"{mantissa}e{exp if exp[0] in '+-' else '+' + exp}"
        return text
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")
    return _remember(value)


_SCALARS: dict[str, str] = {}  # labels, flags and names repeat across thousands of objects


def _remember(value: str) -> str:
    text = _string(value)
    if len(_SCALARS) < 100_000 and len(value) < 200:
        _SCALARS[value] = text
    return text


def _string(value: str) -> str:
    if _plain_ok(value):
        return value
    if ('"' in value or "\\" in value) and not _UNPRINTABLE.search(value):
        return "'" + value.replace("'", "''") + "'"  # JSON arguments read better this way
    return _double_quoted(value)


def _literal_ok(text: str) -> bool:
    return ("\n" in text and not _UNPRINTABLE_BLOCK.search(text)
            and not text.startswith((" ", "\t", "\n"))
            and not _TRAILING_BLANK.search(text))


_TRAILING_BLANK = re.compile(r"[ \t]$", re.MULTILINE)


def _literal(text: str, indent: str) -> str:
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = [(indent + line) if line else "" for line in body.split("\n")]
    lines.extend("" for _ in range(trailing - 1))
    return f"|{chomp}\n" + "\n".join(lines)


_CONTAINERS = (dict, list, tuple)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, _CONTAINERS) or len(value) == 0


def _inline(value: Any, indent: str) -> str:
    if type(value) is str:
        if len(value) > 40 and "\n" in value and _literal_ok(value):
            return _literal(value, indent + "  ")
        return yaml_scalar(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    return yaml_scalar(value)


def _emit(value: Any, indent: str, out: list[str], lead: str) -> None:
    """Append `value`'s lines; `lead` starts the first line (the indent or a parent's `- `)."""
    if isinstance(value, dict):
        for key, item in value.items():
            k = yaml_scalar(key if type(key) is str else str(key))
            if isinstance(item, _CONTAINERS) and item:
                out.append(f"{lead}{k}:")
                inner = indent + "  " if isinstance(item, dict) else indent
                _emit(item, inner, out, inner)
            else:
                out.append(f"{lead}{k}: {_inline(item, indent)}")
            lead = indent
    else:
        for item in value:
            if isinstance(item, _CONTAINERS) and item:
                _emit(item, indent + "  ", out, lead + "- ")
            else:
                out.append(f"{lead}- {_inline(item, indent)}")
            lead = indent


def to_yaml(value: Any) -> str:
    """A block-style YAML document for plain data (dict/list/str/int/float/bool/None).

    Mapping keys keep the caller's order (callers sort where order is free); multi-line strings
    become literal blocks when that round-trips exactly, otherwise double-quoted scalars.
    """
    if _is_scalar(value):
        return _inline(value, "") + "\n"
    out: list[str] = []
    _emit(value, "", out, "")
    return "\n".join(out) + "\n"


def to_yaml_documents(docs: Iterable[Any]) -> str:
    """Several documents in one stream, separated by `---`."""
    return "---\n".join(to_yaml(d) for d in docs)
