"""The schemas in a real editor engine: yaml-language-server (VS Code's YAML extension, and
most editors' YAML support) driven over LSP. Valid files get no diagnostic, broken ones get one
at the right place, hovering a key shows the schema's description. The examples use their own
`# yaml-language-server: $schema=...` lines; the broken files use what `flowc schema` prints,
written alone into a folder (the printed schema must stand alone)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flowc.schemas.editor import published_text

from tests.editor.lsp import LanguageServer

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "editor" / "node_modules" / "yaml-language-server" / "bin" / \
    "yaml-language-server"
EXAMPLES = sorted(p for p in ROOT.glob("examples/*/*.yml")
                  if p.read_text().startswith("# yaml-language-server:"))
# Tags name an Executor class (`!MyExecutor` instead of `jtype:`); an editor must be told which
# tags exist, as docs/editors.md says.
SETTINGS = {"yaml": {"validate": True, "hover": True, "completion": True,
                     "schemaStore": {"enable": False},
                     "customTags": ["!Greeter mapping", "!Flow mapping"]}}

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not SERVER.exists(),
    reason="yaml-language-server is not installed: `make tools` installs it (npm)")


@pytest.fixture(scope="module")
def server():
    with LanguageServer(["node", str(SERVER), "--stdio"], ROOT, SETTINGS) as ls:
        yield ls


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("printed-schemas")
    for name in ("flow", "executor", "deployment", "gateway"):
        (folder / f"{name}.json").write_text(published_text(name))
    return folder


def _write(folder: Path, name: str, schema: Path, body: str) -> Path:
    path = folder / name
    path.write_text(f"# yaml-language-server: $schema={schema.as_uri()}\n{body}")
    return path


def test_examples_have_modelines() -> None:
    assert len(EXAMPLES) >= 9


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_false_diagnostic_on_examples(server: LanguageServer, path: Path) -> None:
    assert server.open(path) == []


VALID = {
    "substitution.yml": ("flow", "jtype: Flow\nwith:\n  port: ${{ ENV.PORT }}\nexecutors:\n"
                         "  - name: a\n    uses: a.yml\n    replicas: ${{ ENV.R }}\n"
                         "    shards: ${SHARDS:-2}\n    stateful: ${{ ENV.STATEFUL }}\n"
                         "    timeout_ready: ${{ ENV.T }}\n"),
    "tagged-executor.yml": ("executor", "!Greeter\nwith:\n  greeting: hi\nmetas:\n"
                            "  py_modules: [greeter.py]\n"),
    "null-metas.yml": ("executor", "jtype: A\nmetas:\n  description:\n  py_modules: [a.py]\n"),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_no_false_diagnostic_on_forms_flowc_accepts(server: LanguageServer, schemas: Path,
                                                    tmp_path: Path, name: str) -> None:
    kind, body = VALID[name]
    assert server.open(_write(tmp_path, name, schemas / f"{kind}.json", body)) == []


BROKEN = {  # file: (kind, body, (line, character) of the diagnostic, words in its message)
    "unknown-key.yml": ("flow", "jtype: Flow\nexecutors:\n  - name: a\n    shardz: 2\n",
                        (4, 4), "shardz"),
    "wrong-type.yml": ("flow", "jtype: Flow\nexecutors:\n  - name: a\n    replicas: many\n",
                       (4, 14), "integer"),
    "bad-protocol.yml": ("flow", "jtype: Flow\nwith:\n  protocol: smoke-signals\n", (3, 12), ""),
    "executor-bad-modules.yml": ("executor", "jtype: A\nmetas:\n  py_modules: 3\n", (3, 14),
                                 ""),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_diagnostic_where_the_problem_is(server: LanguageServer, schemas: Path,
                                           tmp_path: Path, name: str) -> None:
    kind, body, (line, character), words = BROKEN[name]
    diagnostics = server.open(_write(tmp_path, name, schemas / f"{kind}.json", body))
    assert diagnostics, name
    starts = [(d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in diagnostics]
    assert (line, character) in starts, (starts, diagnostics)
    assert any(words in d["message"] for d in diagnostics), diagnostics


def test_hover_shows_the_schema_description(server: LanguageServer, schemas: Path,
                                            tmp_path: Path) -> None:
    path = _write(tmp_path, "hover.yml", schemas / "flow.json",
                  "jtype: Flow\nexecutors:\n  - name: a\n    replicas: 2\n")
    server.open(path)
    text = server.hover(path, 4, 6)
    assert "replica" in text.lower() and len(text) > 40, text
