"""Did-you-mean: the nearest valid word for a misspelt key or name.

Used wherever a name the user wrote must be one of a known set (schema keys, `needs` targets),
so every "unknown X" diagnostic suggests the same way. Standard library only (difflib).
"""

from __future__ import annotations

from typing import Iterable


def _normal(word: str) -> str:
    """Spelling that ignores case and `-`/`_` (Jina's CLI flags are `--uses-with`)."""
    return word.lower().replace("-", "_")


def closest(word: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The candidate the user most likely meant, or None when nothing is close enough.

    An exact match after normalising case and dashes wins (`Replicas`, `uses-with`); otherwise
    difflib's ratio picks the nearest, ties broken by the candidates' sorted order so the answer
    is deterministic.
    """
    pool = sorted(set(candidates))
    if not pool:
        return None
    wanted = _normal(word)
    for candidate in pool:
        if _normal(candidate) == wanted:
            return candidate
    by_normal: dict[str, str] = {}
    for candidate in pool:
        by_normal.setdefault(_normal(candidate), candidate)
    import difflib  # 1 ms, only when a diagnostic needs a suggestion

    matches = difflib.get_close_matches(wanted, list(by_normal), n=1, cutoff=cutoff)
    return by_normal[matches[0]] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint sentence ("did you mean `replicas`?") or None."""
    best = closest(word, candidates)
    return f"did you mean `{best}`?" if best is not None else None


def listing(candidates: Iterable[str], *, limit: int = 12) -> str | None:
    """The candidates as "`a`, `b`, `c`" when there are at most `limit` of them, else None."""
    pool = sorted(set(candidates))
    if not pool or len(pool) > limit:
        return None
    return ", ".join(f"`{c}`" for c in pool)
