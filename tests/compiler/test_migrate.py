"""`flowc migrate`: each rewrite on a small file (exact output), the problems it cannot settle
(located), byte stability, and the command line (diff, --write, --check, exit codes)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from flowc.compiler import cli
from flowc.compiler.driver import compile_flow
from flowc.compiler.migrate import migrate_file, migrate_text, parse_maps

MAPS = {"Enc": "docker://registry.example.com/enc:1.0", "Idx/v2": "indexer.yml",
        "Idx": "docker://registry.example.com/idx:1", "jina-ai/Ranker": "Ranker"}


def migrated(text: str, tmp_path: Path, maps: dict[str, str] = MAPS) -> str:
    """The migrated text; it must also be stable (a second run changes nothing)."""
    result = migrate_text(text, str(tmp_path / "flow.yml"), maps)
    assert result.ok, result.diagnostics
    again = migrate_text(result.after, str(tmp_path / "flow.yml"), maps)
    assert again.ok and again.after == result.after and again.changes == []
    return result.after


def problems(text: str, tmp_path: Path, maps: dict[str, str] = MAPS) -> list[tuple]:
    result = migrate_text(text, str(tmp_path / "flow.yml"), maps)
    assert result.after == text  # nothing half-done
    return [(d.code, d.span.line, d.span.col) for d in result.diagnostics]


# --- rewrites ----------------------------------------------------------------------------------

def test_a_file_needing_nothing_is_left_byte_for_byte(tmp_path):
    text = "# mine\njtype: Flow\nexecutors:\n  - name: a   # odd  spacing kept\n    uses: A\n"
    result = migrate_text(text, str(tmp_path / "flow.yml"), {})
    assert result.ok and not result.changed and result.changes == []


def test_hub_references_become_the_mapped_targets_keeping_quotes_and_comments(tmp_path):
    text = ("jtype: Flow\n"
            "executors:\n"
            "  - name: enc\n"
            "    uses: jinahub+docker://Enc   # on GPU\n"
            "  - name: idx\n"
            "    uses: 'jinahub://Idx:s3cr3t/v2'\n"
            "    uses_after: \"jinahub+sandbox://Idx\"\n"
            "  - name: rank\n"
            "    uses: jinaai+docker://jina-ai/Ranker:0.3\n")
    assert migrated(text, tmp_path) == (
        "jtype: Flow\n"
        "executors:\n"
        "  - name: enc\n"
        "    # flowc migrate: was jinahub+docker://Enc\n"
        "    uses: docker://registry.example.com/enc:1.0   # on GPU\n"
        "  - name: idx\n"
        "    # flowc migrate: was jinahub://Idx:<secret>/v2\n"
        "    uses: 'indexer.yml'\n"
        "    # flowc migrate: was jinahub+sandbox://Idx\n"
        "    uses_after: \"docker://registry.example.com/idx:1\"\n"
        "  - name: rank\n"
        "    # flowc migrate: was jinaai+docker://jina-ai/Ranker:0.3\n"
        "    uses: Ranker\n")


def test_an_unmapped_hub_reference_names_the_map_to_add(tmp_path):
    text = "jtype: Flow\nexecutors:\n  - uses: jinahub://Other/v1\n  - uses: jinahub://Enc\n"
    result = migrate_text(text, str(tmp_path / "flow.yml"), {})
    assert [(d.code, d.span.line, d.span.col) for d in result.diagnostics] == [
        ("FC801", 3, 11), ("FC801", 4, 11)]
    assert "--map Other=docker://REGISTRY/IMAGE:TAG" in result.diagnostics[0].hint
    assert result.after == text


def test_deprecated_keys_take_their_jina3_names(tmp_path):
    text = ("jtype: Flow\nwith:\n  port_expose: 8080  # public\n"
            "executors:\n  - name: a\n    host_in: 0.0.0.0\n    override_with: {x: 1}\n"
            "    override_metas:\n      name: a\n")
    assert migrated(text, tmp_path) == (
        "jtype: Flow\nwith:\n  port: 8080  # public\n"
        "executors:\n  - name: a\n    host: 0.0.0.0\n    uses_with: {x: 1}\n"
        "    uses_metas:\n      name: a\n")


def test_a_deprecated_key_beside_its_new_name_or_ambiguous_is_refused(tmp_path):
    assert problems("jtype: Flow\nwith:\n  port: 1\n  port_expose: 2\n", tmp_path) == [
        ("FC804", 4, 3)]
    assert problems("jtype: Flow\nwith:\n  port_expose: 1\n  port_in: 2\n", tmp_path) == [
        ("FC804", 4, 3)]
    assert problems("jtype: Flow\nexecutors:\n  - uses_with: {}\n    override_with: {}\n",
                    tmp_path) == [("FC804", 4, 5)]
    assert problems("executors:\n  - name: a\n    parallel: 2\n", tmp_path) == [
        ("FC805", 3, 5)]


def test_old_tags_become_jtype(tmp_path):
    text = ("# header comment stays first\n"
            "!Flow\n"
            "executors:\n"
            "  - !Deployment\n"
            "    with:\n"
            "      uses: !MyExec\n"
            "        with: {a: 1}\n"
            "  - name: b\n"
            "    uses: !Other {with: {b: 2}}\n"
            "  - name: c\n"
            "    uses: !Same  # kept comment\n"
            "      jtype: Same\n")
    assert migrated(text, tmp_path) == (
        "# header comment stays first\n"
        "jtype: Flow\n"
        "executors:\n"
        "  - jtype: Deployment\n"
        "    with:\n"
        "      uses:\n"
        "        jtype: MyExec\n"
        "        with: {a: 1}\n"
        "  - name: b\n"
        "    uses: {jtype: Other, with: {b: 2}}\n"
        "  - name: c\n"
        "    uses:  # kept comment\n"
        "      jtype: Same\n")


def test_a_document_start_tag_moves_below_the_marker(tmp_path):
    assert migrated("--- !Flow\nwith:\n  port: 1\n", tmp_path) == (
        "---\njtype: Flow\nwith:\n  port: 1\n")


def test_pods_mapping_becomes_an_executors_list(tmp_path):
    text = ("!Flow\n"
            "pods:\n"
            "  encode:   # the encoder\n"
            "      uses: enc.yml\n"
            "      env:\n"
            "        A: |\n"
            "          text\n"
            "  # between\n"
            "  'index':\n"
            "    uses: jinahub://Idx\n"
            "  pass: {uses: Pass}\n"
            "  empty:\n"
            "  last: {}\n")
    assert migrated(text, tmp_path) == (
        "jtype: Flow\n"
        "executors:\n"
        "  - name: encode   # the encoder\n"
        "    uses: enc.yml\n"
        "    env:\n"
        "      A: |\n"
        "        text\n"
        "  # between\n"
        "  - name: 'index'\n"
        "    # flowc migrate: was jinahub://Idx\n"
        "    uses: docker://registry.example.com/idx:1\n"
        "  - {name: pass, uses: Pass}\n"
        "  - name: empty\n"
        "  - {name: last}\n")


def test_pods_list_is_renamed_and_pods_beside_executors_refused(tmp_path):
    assert migrated("pods:\n  - name: a\n", tmp_path) == "executors:\n  - name: a\n"
    assert problems("pods:\n  - name: a\nexecutors: []\n", tmp_path) == [("FC806", 1, 1)]


def test_ignored_keys_are_commented_out_with_validates_reason(tmp_path):
    text = ("jtype: Flow\n"
            "jcloud:\n"
            "  version: 3.4.11\n"
            "\n"
            "executors:\n"
            "  - jcloud:\n"
            "      expose: true\n"
            "    name: a\n"
            "  - {name: b, jcloud: {x: 1}, uses: B}\n"
            "  - name: c\n"
            "    jcloud:\n"
            "      note: >\n"
            "        folded\n"
            "        # inside the text\n"
            "gateway:\n"
            "  uses: custom.yml\n")
    reason = "# flowc migrate: `jcloud` is not supported by flowc yet; it is ignored"
    out = migrated(text, tmp_path)
    assert out == (
        "jtype: Flow\n"
        f"{reason}\n"
        "# jcloud:\n"
        "#   version: 3.4.11\n"
        "\n"
        "executors:\n"
        f"  - {reason}\n"
        "    # jcloud:\n"
        "    #   expose: true\n"
        "    name: a\n"
        f"  {reason} (removed `jcloud: {{x: 1}}`)\n"
        "  - {name: b, uses: B}\n"
        "  - name: c\n"
        f"    {reason}\n"
        "    # jcloud:\n"
        "    #   note: >\n"
        "    #     folded\n"
        "    #     # inside the text\n"
        "gateway: {}\n"
        "  # flowc migrate: `uses` is not supported by flowc yet; it is ignored\n"
        "  # uses: custom.yml\n")
    (tmp_path / "flow.yml").write_text(out, encoding="utf-8")
    assert not [d for d in compile_flow(tmp_path / "flow.yml").diagnostics
                if d.code in ("FC220", "FC223")]


def test_line_ends_a_missing_final_newline_and_a_bom_are_kept(tmp_path):
    path = tmp_path / "flow.yml"
    path.write_bytes(b"\xef\xbb\xbfjtype: Flow\r\nwith:\r\n  port_expose: 1")
    migration = migrate_file(str(path), {})
    migration.write()
    assert path.read_bytes() == b"\xef\xbb\xbfjtype: Flow\r\nwith:\r\n  port: 1"


def test_a_problem_found_after_a_first_rewrite_points_into_the_users_file(tmp_path):
    text = "!Flow\npods:\n  encode:\n      uses: jinahub://Nope\n"
    assert problems(text, tmp_path) == [("FC801", 4, 13)]


def test_what_the_loader_refuses_is_reported_as_the_loader_words_it(tmp_path):
    assert problems("jtype: Flow\nwith: [\n", tmp_path)[0][0] == "FC101"


# --- maps ----------------------------------------------------------------------------------------

def test_maps_from_arguments_win_over_the_map_file(tmp_path):
    (tmp_path / "hub.yml").write_text("Enc: docker://a/enc:1\nIdx: idx.yml\n", encoding="utf-8")
    maps, diags = parse_maps(["Enc=EncClass"], str(tmp_path / "hub.yml"))
    assert diags == [] and maps == {"Enc": "EncClass", "Idx": "idx.yml"}


@pytest.mark.parametrize("item", ["Enc", "Enc=", "Enc=docker://Bad/Image", "Enc=a b",
                                  "=docker://a:1"])
def test_bad_map_arguments_are_fc802(item):
    _, diags = parse_maps([item], None)
    assert [(d.code, d.span.file) for d in diags] == [("FC802", "<--map #1>")]


def test_bad_map_file_entries_are_located(tmp_path):
    (tmp_path / "hub.yml").write_text("Enc: docker://a/enc:1\nIdx: [a]\n", encoding="utf-8")
    _, diags = parse_maps([], str(tmp_path / "hub.yml"))
    assert [(d.code, d.span.line) for d in diags] == [("FC803", 2)]


# --- command line --------------------------------------------------------------------------------

def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    assert "Traceback" not in err.getvalue() and "FC999" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def test_cli_diff_write_and_check(tmp_path):
    path = tmp_path / "flow.yml"
    text = "jtype: Flow\nexecutors:\n  - name: enc\n    uses: jinahub://Enc\n"
    path.write_text(text, encoding="utf-8")
    code, out, _ = run(["migrate", str(path), "--map", "Enc=docker://r.example/enc:1"])
    assert code == 0 and out.startswith(f"--- a/{path}\n+++ b/{path}\n")
    assert "+    uses: docker://r.example/enc:1\n" in out
    assert path.read_text(encoding="utf-8") == text  # a diff writes nothing
    assert run(["migrate", str(path), "--check", "--map", "Enc=docker://r.example/enc:1"])[0] == 1
    code, _, err = run(["migrate", str(path), "--write", "--map", "Enc=docker://r.example/enc:1"])
    assert code == 0 and "migrated" in err
    assert run(["validate", str(path)])[0] == 0
    code, out, err = run(["migrate", str(path), "--check"])
    assert (code, out) == (0, "") and "nothing to migrate" in err


def test_cli_problems_exit_1_and_write_nothing(tmp_path):
    path = tmp_path / "flow.yml"
    path.write_text("jtype: Flow\nexecutors:\n  - uses: jinahub://Enc\n", encoding="utf-8")
    code, out, err = run(["migrate", str(path), "--write"])
    assert (code, out) == (1, "") and "error[FC801]" in err
    assert "jinahub://Enc" in path.read_text(encoding="utf-8")
    assert run(["migrate", str(path), "--map", "Enc"])[0] == 2  # a usage error
    assert run(["migrate", str(path), "--write", "--check"])[0] == 2
    assert run(["migrate", str(tmp_path / "missing.yml")])[0] == 1


def test_validate_points_hub_references_to_migrate(tmp_path):
    path = tmp_path / "flow.yml"
    path.write_text("jtype: Flow\nexecutors:\n  - uses: jinahub+docker://Enc/v2\n",
                    encoding="utf-8")
    found = [d for d in compile_flow(path).diagnostics if d.code == "FC405"]
    assert len(found) == 1
    assert f"flowc migrate {path} --map Enc=docker://REGISTRY/IMAGE:TAG" in found[0].hint


# --- anchors and aliases -------------------------------------------------------------------------

def test_an_anchor_goes_with_its_key_only_when_every_alias_goes_too(tmp_path):
    text = ("jtype: Flow\njcloud: &jc\n  version: 1\n"
            "executors:\n  - name: a\n    jcloud: *jc\n")
    out = migrated(text, tmp_path)
    assert "# jcloud: &jc\n" in out and "    # jcloud: *jc\n" in out
    text = "jtype: Flow\njcloud: &jc\n  version: 1\nwith:\n  env: *jc\n"
    assert problems(text, tmp_path) == [("FC806", 2, 1)]


def test_a_hub_reference_reached_through_an_alias_is_rewritten_once(tmp_path):
    text = ("jtype: Flow\nx-hub: &enc jinahub://Enc\n"
            "executors:\n  - name: a\n    uses: *enc\n  - name: b\n    uses: *enc\n")
    assert migrated(text, tmp_path) == (
        "jtype: Flow\n# flowc migrate: was jinahub://Enc\n"
        "x-hub: &enc docker://registry.example.com/enc:1.0\n"
        "executors:\n  - name: a\n    uses: *enc\n  - name: b\n    uses: *enc\n")


def test_pods_given_as_aliases_are_refused(tmp_path):
    assert problems("base: &p\n  uses: A\npods:\n  a: *p\n", tmp_path) == [("FC806", 4, 3)]
