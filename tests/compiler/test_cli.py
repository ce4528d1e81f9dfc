"""The `flowc` command line, called in-process: exit codes, formats, commands, build output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flowc.compiler import cli
from tests.flowc_cli import flowc
from flowc.compiler.diagnostics import error

ROOT = Path(__file__).resolve().parents[2]
CHAIN = str(ROOT / "examples" / "chain" / "flow.yml")




@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("jtype: Flow\nexecutors:\n  - name: a\n    needs: nope\n")
    return str(path)


@pytest.fixture
def warned(tmp_path):
    path = tmp_path / "warned.yml"
    path.write_text("jtype: Flow\nexecutors:\n  - name: a\n  - name: b\n    needs: gateway\n")
    return str(path)


def test_validate_exit_codes(broken, warned):
    assert flowc("validate", CHAIN)[0] == 0
    code, out, _ = flowc("validate", CHAIN, broken)
    assert code == 1 and "error[FC501]" in out and "flow.yml: ok" in out
    assert flowc("validate", warned)[0] == 0
    assert flowc("validate", warned, "--strict")[0] == 1
    assert flowc("validate")[0] == 2
    assert flowc("validate", CHAIN, "--format", "nope")[0] == 2
    assert flowc("frobnicate")[0] == 2


def test_validate_json_and_timings(broken):
    code, out, err = flowc("validate", broken, "--format", "json", "--timings")
    assert code == 1
    [diag] = json.loads(out)
    assert diag["code"] == "FC501" and diag["line"] == 4
    assert "resolve" in err and "total" in err


def test_validate_env_options(tmp_path):
    path = tmp_path / "f.yml"
    path.write_text("jtype: Flow\nexecutors:\n  - name: a\n"
                    "    uses_with: {r: '${{ ENV.FLOWC_T_R }}', m: '${{ CONTEXT.M }}'}\n")
    assert flowc("validate", str(path))[0] == 1
    assert flowc("validate", str(path), "--allow-undefined")[0] == 0
    (tmp_path / ".env").write_text("FLOWC_T_R=2\n")
    (tmp_path / "ctx.yml").write_text("M: x\n")
    assert flowc("validate", str(path), "--env-file", str(tmp_path / ".env"),
                 "--context-file", str(tmp_path / "ctx.yml"))[0] == 0
    assert flowc("validate", str(path), "--env-file", str(tmp_path / ".env"),
                 "--context", "M=y")[0] == 0


def test_explain_graph_schema():
    code, out, _ = flowc("explain", CHAIN)
    assert code == 0 and "deployment upper" in out
    code, out, _ = flowc("explain", CHAIN, "--format", "json")
    assert code == 0 and json.loads(out)["flow"] == "chain"
    code, out, _ = flowc("graph", CHAIN, "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart LR") and "n_upper --> n_tag" in out
    code, out, _ = flowc("graph", CHAIN, "--format", "dot")
    assert code == 0 and '"upper" -> "tag";' in out
    for name in ("flow", "executor", "deployment", "plan"):
        code, out, _ = flowc("schema", name)
        assert code == 0 and json.loads(out)["$schema"].endswith("2020-12/schema")


def test_explain_of_a_broken_flow_fails(broken):
    code, out, err = flowc("explain", broken)
    assert code == 1 and out == "" and "FC501" in err


def test_help_shows_an_example():
    for command in cli.COMMANDS:
        code, out, _ = flowc(command, "--help")
        assert code == 0 and "example:" in out, command


def test_internal_error_is_fc999_not_a_traceback(monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("kaput")
    monkeypatch.setitem(cli.COMMANDS, "validate", boom)
    code, out, err = flowc("validate", CHAIN)
    assert code == 1 and "FC999" in err and "kaput" in err and "Traceback" not in err


def test_build_writes_prunes_and_checks(tmp_path, monkeypatch):
    import flowc.targets as targets

    outputs = {"a.txt": "A\n", "sub/b.txt": "B\n"}
    seen = {}

    def fake_render(target, plan, options):
        seen.update(target=target, options=options, plan=plan)
        if target == "bad":
            return {}, [error("FC701", "unknown target `bad`", None)]
        return dict(outputs), []
    monkeypatch.setattr(targets, "render", fake_render)
    out_dir = tmp_path / "out"
    code, _, err = flowc("build", CHAIN, "--target", "k8s", "-o", str(out_dir), "--image",
                         "img:1", "--namespace", "ns", "--create-namespace")
    assert code == 0, err
    assert seen["options"]["image"] == "img:1" and seen["options"]["namespace"] == "ns"
    assert seen["options"]["create_namespace"] is True
    assert (out_dir / seen["options"]["context"]).resolve() == (ROOT / "examples" / "chain")
    assert seen["plan"].flow.name == "chain"
    assert (out_dir / "sub" / "b.txt").read_text() == "B\n"
    assert (out_dir / ".flowc-manifest").read_text() == "a.txt\nsub/b.txt\n"
    assert flowc("build", CHAIN, "--target", "k8s", "-o", str(out_dir), "--check")[0] == 0
    # drift: --check shows a diff and changes nothing
    (out_dir / "a.txt").write_text("edited\n")
    code, out, err = flowc("build", CHAIN, "--target", "k8s", "-o", str(out_dir), "--check")
    assert code == 1 and "-edited" in out and "+A" in out and "FC903" in err
    assert (out_dir / "a.txt").read_text() == "edited\n"
    # a rebuild that no longer generates sub/b.txt removes it, and keeps files it never wrote
    (out_dir / "mine.txt").write_text("user file\n")
    del outputs["sub/b.txt"]
    assert flowc("build", CHAIN, "--target", "k8s", "-o", str(out_dir))[0] == 0
    assert not (out_dir / "sub").exists() and (out_dir / "mine.txt").exists()
    assert (out_dir / "a.txt").read_text() == "A\n"
    assert flowc("build", CHAIN, "--target", "bad", "-o", str(out_dir))[0] == 1


def test_build_never_overwrites_a_file_it_did_not_write(tmp_path, monkeypatch):
    """Issue 10 §3: a user's README.md in a folder flowc never built into was overwritten."""
    import flowc.targets as targets

    outputs = {"README.md": "generated\n", "sub/b.txt": "B\n"}
    monkeypatch.setattr(targets, "render", lambda target, plan, options: (dict(outputs), []))
    out_dir = tmp_path / "out"
    (out_dir / "sub").mkdir(parents=True)
    (out_dir / "README.md").write_text("the user's notes\n")
    (out_dir / "sub" / "b.txt").symlink_to(tmp_path / "elsewhere.txt")
    for extra in ((), ("--check",)):
        code, out, err = flowc("build", CHAIN, "--target", "k8s", "-o", str(out_dir), *extra)
        assert code == 1 and out == "" and "Traceback" not in err
        assert err.count("error[FC906]") == 2 and f"{out_dir}/README.md:1:1:" in err
        assert "sub/b.txt" in err and "give `-o` another directory" in err
    # nothing was written: not the other file, not the manifest, not through the symlink
    assert (out_dir / "README.md").read_text() == "the user's notes\n"
    assert not (out_dir / ".flowc-manifest").exists() and not (tmp_path / "elsewhere.txt").exists()
    # once the files are out of the way, the build writes them and rebuilds overwrite them
    (out_dir / "README.md").unlink()
    (out_dir / "sub" / "b.txt").unlink()
    assert flowc("build", CHAIN, "--target", "k8s", "-o", str(out_dir))[0] == 0
    outputs["README.md"] = "generated again\n"
    assert flowc("build", CHAIN, "--target", "k8s", "-o", str(out_dir))[0] == 0
    assert (out_dir / "README.md").read_text() == "generated again\n"
    # a file the manifest does not list is refused even in a folder flowc built into before
    outputs["new.txt"] = "N\n"
    (out_dir / "new.txt").write_text("mine\n")
    code, _, err = flowc("build", CHAIN, "--target", "k8s", "-o", str(out_dir))
    assert code == 1 and "`new.txt`" in err and (out_dir / "new.txt").read_text() == "mine\n"


def test_run_needs_a_file_or_a_plan():
    assert flowc("run")[0] == 2


def test_console_script_in_a_fresh_process(broken):
    exe = Path(sys.executable).with_name("flowc")
    proc = subprocess.run([str(exe), "validate", broken], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and "FC501" in proc.stdout and "Traceback" not in proc.stderr


def test_build_base_port_numbers_local_and_systemd_servers(tmp_path):
    code, _, err = flowc("build", CHAIN, "--target", "local", "-o", str(tmp_path / "local"),
                         "--base-port", "47000")
    assert code == 0, err
    launch = json.loads((tmp_path / "local" / "launch.json").read_text())
    ports = {p["name"]: p["port"] for p in launch["processes"]}
    assert ports == {"upper/rep-0": 47001, "tag/rep-0": 47002, "gateway": 54321}
    code, _, err = flowc("build", CHAIN, "--target", "systemd", "-o", str(tmp_path / "sd"),
                         "--base-port", "47000")
    assert code == 0, err
    assert 'FLOWC_PORT="47000"' in (tmp_path / "sd" / "env" / "upper@0.env").read_text()


def test_build_output_does_not_depend_on_how_the_flow_file_is_named(tmp_path, monkeypatch):
    # the plan (written into every artifact, hashed into k8s annotations) used to carry the
    # path as typed: `flows/f.yml` and `/home/me/flows/f.yml` gave different files
    flows = tmp_path / "flows"
    (flows / "deploy").mkdir(parents=True)
    (flows / "f.yml").write_text("jtype: Flow\nexecutors:\n  - name: a\n    uses: docker://t/a:1\n"
                                 "  - deploy/b.yml\n")
    (flows / "deploy" / "b.yml").write_text("jtype: Deployment\nwith:\n  name: b\n"
                                            "  uses: docker://t/b:1\n  env: {X: '1'}\n")
    monkeypatch.chdir(tmp_path)
    trees = []
    for name, out in (("flows/f.yml", "o1/k8s"), (str(flows / "f.yml"), "o2/k8s"),
                      ("./flows/../flows/f.yml", "o3/k8s")):
        code, _, err = flowc("build", name, "--target", "k8s", "-o", out, "--image", "t/gw:1")
        assert code == 0, err
        trees.append({p.relative_to(out).as_posix(): p.read_bytes()
                      for p in Path(out).rglob("*") if p.is_file()})
    assert trees[0] == trees[1] == trees[2]
    plan = trees[0]["plan.yaml"].decode()
    assert str(tmp_path) not in plan and "flows/" not in plan
    assert '"source": "f.yml:3:5"' in plan and '"/env": "deploy/b.yml:5:8"' in plan


def test_target_diagnostics_name_the_flow_file_as_it_was_given(tmp_path, monkeypatch):
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "f.yml").write_text("jtype: Flow\nexecutors:\n  - name: a\n"
                                              "    uses: docker://t/a\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = flowc("build", "flows/f.yml", "--target", "k8s", "-o", "out")
    assert code == 1
    assert "flows/f.yml:4:11: error[FC704]" in err and "4 |     uses: docker://t/a" in err
