"""Loading the jinja2 templates of `templates/`, precompiled where that is safe.

Compiling a template (jinja2's lexer, parser and code generator, then Python's `compile`) costs
2-3 ms each, about 10 ms of a 1-executor `flowc build --target k8s`. jinja2 can instead write
each template as a Python module (`Environment.compile_templates`) that `ModuleLoader` imports,
from bytecode once installed. Those modules are generated, committed in `templates/_compiled/`
beside an `index.json` recording the jinja2 version and each template source's CRC-32.

A precompiled module is used only when the installed jinja2 is the version that wrote it and
the template file still has the recorded hash; otherwise that template is compiled from its
source as before. So editing a template never serves stale text (only slower until regenerated),
and the output is the same either way (`tests/targets/test_templating.py`).

Regenerate after editing a template (a test fails until you do):

    .venv/bin/python -m flowc.targets.templating
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

__all__ = ["TEMPLATE_DIR", "COMPILED_DIR", "template", "template_names", "regenerate",
           "environment"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
COMPILED_DIR = TEMPLATE_DIR / "_compiled"
_INDEX = "index.json"

_STATE: dict[str, Any] = {}


def environment(loader: Any) -> Any:
    """The one Environment configuration, shared by rendering and precompiling.

    StrictUndefined so a missing value fails loudly; no autoescape (we write YAML and shell, not
    HTML); trailing newlines kept so files end the way the template does.
    """
    import jinja2

    return jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True, autoescape=False, trim_blocks=True,
                              lstrip_blocks=True)


def _digest(name: str) -> str:
    """CRC-32 of a template file: detects edits (the files are ours, not an attacker's)."""
    return f"{zlib.crc32((TEMPLATE_DIR / name).read_bytes()):08x}"


def _index() -> dict[str, Any]:
    try:
        return json.loads((COMPILED_DIR / _INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _environments() -> tuple[Any, Any | None, dict[str, str]]:
    """(source env, precompiled env or None, {template: recorded CRC-32}); built once."""
    if "source" not in _STATE:
        import jinja2

        _STATE["source"] = environment(jinja2.FileSystemLoader(str(TEMPLATE_DIR)))
        index = _index()
        usable = index.get("jinja2") == jinja2.__version__ and COMPILED_DIR.is_dir()
        _STATE["compiled"] = environment(jinja2.ModuleLoader(str(COMPILED_DIR))) if usable else None
        _STATE["hashes"] = index.get("templates", {}) if usable else {}
    return _STATE["source"], _STATE["compiled"], _STATE["hashes"]


def template(name: str) -> Any:
    """The jinja2 template `templates/<name>` (e.g. 'k8s/README.md.j2'), loaded once."""
    cache = _STATE.setdefault("templates", {})
    if name not in cache:
        source, compiled, hashes = _environments()
        chosen = None
        if compiled is not None and name in hashes and hashes[name] == _digest(name):
            chosen = compiled.get_template(name)
        cache[name] = chosen if chosen is not None else source.get_template(name)
    return cache[name]


def template_names() -> list[str]:
    """Every template under `templates/` (`*.j2`), as loader names, sorted."""
    return sorted(p.relative_to(TEMPLATE_DIR).as_posix() for p in TEMPLATE_DIR.rglob("*.j2")
                  if COMPILED_DIR not in p.parents)


def compiled_files() -> dict[str, str]:
    """{file name in `_compiled/`: text} for the current templates and jinja2 (deterministic)."""
    import jinja2

    env = environment(jinja2.FileSystemLoader(str(TEMPLATE_DIR)))
    files: dict[str, str] = {}
    hashes: dict[str, str] = {}
    for name in template_names():
        source = (TEMPLATE_DIR / name).read_text(encoding="utf-8")
        code = env.compile(source, name, f"templates/{name}", raw=True, defer_init=True)
        files[jinja2.ModuleLoader.get_template_key(name) + ".py"] = (
            f"# Generated from templates/{name} by `python -m flowc.targets.templating` "
            f"(jinja2 {jinja2.__version__}). Do not edit.\n" + code.rstrip("\n") + "\n")
        hashes[name] = _digest(name)
    files[_INDEX] = json.dumps({"jinja2": jinja2.__version__, "templates": hashes},
                               indent=2, sort_keys=True) + "\n"
    return files


def regenerate() -> list[str]:
    """Rewrite `templates/_compiled/` from the templates; returns the names that changed."""
    COMPILED_DIR.mkdir(exist_ok=True)
    wanted = compiled_files()
    changed = []
    for old in sorted(os.listdir(COMPILED_DIR)):
        if old not in wanted and (old.endswith(".py") or old == _INDEX):
            (COMPILED_DIR / old).unlink()
            changed.append(old)
    for name, text in sorted(wanted.items()):
        path = COMPILED_DIR / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    return changed


if __name__ == "__main__":
    for changed_name in regenerate():
        print(f"templates/_compiled/{changed_name}")
