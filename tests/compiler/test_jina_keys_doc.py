"""docs/jina-keys.md says what flowc does with every Jina key and form (issue 11 "Done when");
these tests hold its lists to the schemas and the code, so the page cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flowc.compiler.check import RENAMED
from flowc.compiler.diagnostics import CATALOGUE
from flowc.schemas import load_schema, resolve_ref

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "jina-keys.md").read_text("utf-8")
TICKED = re.compile(r"`([a-z0-9_]+)`")


def _bullet(start: str) -> set[str]:
    """The ticked keys of the FC220 bullet starting with `start` (after its `: `), before any
    `;`."""
    section = PAGE.split("Keys flowc ignores (FC220)", 1)[1].split("\n## ", 1)[0]
    bullets = re.split(r"\n- ", section)
    (bullet,) = [b for b in bullets if b.startswith(start)]
    return set(TICKED.findall(bullet.split(": ", 1)[1].split(";")[0]))


def _unsupported(properties: dict, base: str) -> set[str]:
    """The keys marked unsupported, looking through one `$ref` (relative to file `base`)."""
    out = set()
    for key, sub in properties.items():
        if "$ref" in sub and "x-flowc-support" not in sub:
            sub = resolve_ref(sub["$ref"], base)[0]
        if sub.get("x-flowc-support") == "unsupported":
            out.add(key)
    return out


def test_entry_keys_flowc_ignores():
    assert _bullet("executor entries") == _unsupported(
        load_schema("entry")["$defs"]["entry"]["properties"], "entry.schema.json")


def _own(properties: dict) -> dict:
    """The keys a section defines itself, not by reference to an entry key, a gateway key (the
    Flow's `with:` takes those too) or `jcloud`."""
    return {k: v for k, v in properties.items() if not v.get("$ref", "").startswith(
        ("entry.schema.json#/$defs/entry/", "entry.schema.json#/$defs/jcloud",
         "#/$defs/gateway/"))}


def test_flow_with_only_keys():
    props = load_schema("flow")["$defs"]["flow_with"]["properties"]
    assert _bullet("the Flow's `with:` only") == _unsupported(_own(props), "flow.schema.json")


def test_gateway_only_keys():
    props = load_schema("flow")["$defs"]["gateway"]["properties"]
    assert _bullet("`gateway:` only") == _unsupported(_own(props), "flow.schema.json")


def _deprecated(properties: dict) -> dict[str, str]:
    return {k: v["x-flowc-deprecated"] for k, v in properties.items()
            if "x-flowc-deprecated" in v}


def test_deprecated_aliases_table_matches_the_schemas():
    flow = load_schema("flow")["$defs"]
    schema = (_deprecated(load_schema("entry")["$defs"]["entry"]["properties"])
              | _deprecated(flow["flow_with"]["properties"])
              | _deprecated(flow["gateway"]["properties"]))
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| an alias of (?:the gateway's )?`(\w+)` \| "
                      r"accepted as `(\w+)`, warning FC225 \|$", PAGE, re.M)
    assert {old: new for old, new, _ in rows} == schema
    assert all(new == again for _, new, again in rows)


@pytest.mark.parametrize("key", sorted(RENAMED))
def test_every_name_jina_no_longer_reads_is_in_the_table(key):
    assert re.search(rf"^\| `{key}`.*refused, FC201", PAGE, re.M), key


def test_every_code_the_page_names_exists():
    codes = set(re.findall(r"FC\d{3}", PAGE))
    assert codes and codes <= set(CATALOGUE)
    assert {"FC220", "FC225", "FC226", "FC227", "FC405", "FC406", "FC417"} <= codes
