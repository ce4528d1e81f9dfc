"""The Jina corpus (`jina_corpus/`): Flow, Deployment, Executor and Gateway files written the
way Jina 2 and 3 projects write them (Hub references, `jcloud:` blocks, `port_expose`, `pods:`,
old tags, module-name `py_modules`, env substitution, null metas, gateway YAML...).

Every file, migrated with the corpus's Hub map (`flowc migrate --map-file _hub_map.yml
--write`), is one `flowc validate --allow-undefined` accepts, carries no warning migrate could
have settled, and migrating it again changes nothing (byte-stable). Files whose names start with
`_` are not corpus files (the map). `benchmarks/jina_corpus_counts.py` counts the same corpus in
Jina 3.34 and flowc, before and after migrating.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.flowc_cli import flowc as run_flowc

CORPUS = Path(__file__).parent / "jina_corpus"
MAP_FILE = "_hub_map.yml"
FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.y*ml")
               if not p.name.startswith("_"))
# Warnings a migrated file must not carry: keys migrate comments out or renames, Hub references.
SETTLED = {"FC220", "FC223", "FC225", "FC405"}


def flowc(*argv: str) -> tuple[int, str, str]:
    """`tests.flowc_cli.flowc`, never a traceback or an internal error."""
    code, out, err = run_flowc(*argv)
    for text in (out, err):
        assert "Traceback" not in text and "FC999" not in text, text
    return code, out, err


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus after `flowc migrate --write` on every file."""
    root = tmp_path_factory.mktemp("jina_corpus") / "corpus"
    shutil.copytree(CORPUS, root)
    code, _, err = flowc("migrate", "--write", "--map-file", str(root / MAP_FILE),
                         *[str(root / f) for f in FILES])
    assert code == 0, err
    return root


def test_the_corpus_has_forty_files_of_every_kind():
    assert len(FILES) >= 40
    jtypes = {m.group(1) for f in FILES for m in re.finditer(
        r"^(?:jtype: |!)(\w+)", (CORPUS / f).read_text(encoding="utf-8"), re.M)}
    assert {"Flow", "Deployment", "Gateway"} <= jtypes and len(jtypes) > 10


@pytest.mark.parametrize("name", FILES)
def test_a_migrated_file_validates(migrated, name):
    code, out, _ = flowc("validate", "--allow-undefined", "--format", "json",
                         str(migrated / name))
    found = json.loads(out)
    errors = [f"{d['line']}:{d['col']} {d['code']} {d['message']}" for d in found
              if d["severity"] == "error"]
    assert (code, errors) == (0, [])
    assert sorted({d["code"] for d in found} & SETTLED) == []


def test_migrating_again_changes_nothing(migrated):
    code, out, _ = flowc("migrate", "--check", "--map-file", str(migrated / MAP_FILE),
                         *[str(migrated / f) for f in FILES])
    assert (code, out) == (0, "")


def test_migrate_changed_the_files_that_needed_it_and_kept_every_comment(migrated):
    changed = [f for f in FILES if (CORPUS / f).read_bytes() != (migrated / f).read_bytes()]
    assert len(changed) >= 25 and "hello/flow.yml" not in changed
    for name in changed:
        after = (migrated / name).read_text(encoding="utf-8")
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            if " #" in line or line.lstrip().startswith("#"):
                comment = line[line.index("#"):]
                assert comment in after, (name, comment)
