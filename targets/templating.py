"""Loading the jinja2 templates of `templates/`, with jinja2's bytecode kept in the user's cache.

Compiling a template (jinja2's lexer, parser and code generator, then Python's `compile`) costs
2-3 ms each, about 10 ms of a 1-executor `flowc build --target k8s`. jinja2's own
`FileSystemBytecodeCache`, in the per-user cache folder (`flowc.compiler.cache`), brings that down
to 0.6-1.7 ms for every template together: each entry is keyed by the template's name and checked
against its source's checksum, and our file names carry jinja2's version, so an edited template
or another jinja2 is compiled again, never served stale. jinja2 reads the entries back with
pickle and marshal, hence only from a folder nobody else can write (`cache_dir()`); without one,
or when the folder refuses a write, templates are compiled in memory and the output is the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from flowc.compiler.cache import cache_dir

__all__ = ["TEMPLATE_DIR", "template", "template_names", "environment", "bytecode_cache"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

_STATE: dict[str, Any] = {}


class _BestEffortBytecodeCache(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache, except that a folder refusing the write (read-only, removed) only
    means the bytecode is not kept: jinja2 would raise from `get_template`."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """The bytecode cache in the per-user folder, or None when there is no safe folder."""
    folder = cache_dir()
    if folder is None:
        return None
    return _BestEffortBytecodeCache(str(folder), f"jinja2-{jinja2.__version__}-%s.cache")


def environment(loader: jinja2.BaseLoader,
                bytecode: jinja2.BytecodeCache | None = None) -> jinja2.Environment:
    """The one Environment configuration.

    StrictUndefined so a missing value fails loudly; no autoescape (we write YAML and shell, not
    HTML); trailing newlines kept so files end the way the template does.
    """
    return jinja2.Environment(loader=loader, bytecode_cache=bytecode,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              autoescape=False, trim_blocks=True, lstrip_blocks=True)


def template(name: str) -> jinja2.Template:
    """The jinja2 template `templates/<name>` (e.g. 'k8s/README.md.j2'), loaded once."""
    if "environment" not in _STATE:
        _STATE["environment"] = environment(jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
                                            bytecode_cache())
    templates = _STATE.setdefault("templates", {})
    if name not in templates:
        templates[name] = _STATE["environment"].get_template(name)
    return templates[name]


def template_names() -> list[str]:
    """Every template under `templates/` (`*.j2`), as loader names, sorted."""
    return sorted(p.relative_to(TEMPLATE_DIR).as_posix() for p in TEMPLATE_DIR.rglob("*.j2"))
