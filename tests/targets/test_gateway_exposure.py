"""Where compose and systemd expose the gateway: loopback unless asked (`--gateway-host`, or the
Flow's `gateway: host:`), and the generated READMEs say exactly what is reachable."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from flowc.compiler import cli
from flowc.compiler.driver import compile_flow
from flowc.targets import render

from . import tools

FLOW = """\
jtype: Flow
with:
  name: expo
  port: 54321
{gateway}executors:
  - name: enc
    uses: Enc
    py_modules: [enc.py]
"""


def _plan(tmp_path: Path, gateway: str = ""):
    (tmp_path / "enc.py").write_text("from flowc.runtime import Executor\n\n\n"
                                     "class Enc(Executor):\n    pass\n")
    path = tmp_path / "flow.yml"
    path.write_text(FLOW.format(gateway=gateway))
    result = compile_flow(path, env={})
    assert result.ok, result.diagnostics
    return result.plan


def _compose(plan, **options) -> tuple[dict, dict[str, str]]:
    files, diags = render("compose", plan, {"image": "team/expo:1", **options})
    assert [d for d in diags if d.severity.name == "ERROR"] == []
    import yaml

    return yaml.safe_load(files["compose.yaml"]), files


def _gateway_exec(plan, **options) -> str:
    files, diags = render("systemd", plan, options)
    assert [d for d in diags if d.severity.name == "ERROR"] == []
    return files["units/expo-gateway@.service"], files["README.md"]


def test_compose_publishes_the_gateway_on_loopback_by_default(tmp_path):
    doc, files = _compose(_plan(tmp_path))
    assert doc["services"]["gateway"]["ports"] == ["127.0.0.1:54321:54321"]
    published = [name for name, svc in doc["services"].items() if "ports" in svc]
    assert published == ["gateway"]  # nothing else is published
    readme = files["README.md"]
    assert '`"127.0.0.1:54321:54321"`' in readme and "this machine only" in readme
    assert "ports: !override" in readme and "v2.24.4" in readme


@pytest.mark.parametrize("host, published, words", [
    ("0.0.0.0", "0.0.0.0:54321:54321", "every IPv4 interface"),
    ("::", "[::]:54321:54321", "every interface"),
    ("10.1.2.3", "10.1.2.3:54321:54321", "on the host address 10.1.2.3 only"),
])
def test_compose_publishes_where_asked(tmp_path, host, published, words):
    plan = _plan(tmp_path)
    doc, files = _compose(plan, gateway_host=host)
    assert doc["services"]["gateway"]["ports"] == [published]
    assert words in files["README.md"]


def test_the_flows_gateway_host_is_honoured_and_the_option_wins(tmp_path):
    plan = _plan(tmp_path, "gateway:\n  host: 0.0.0.0\n")
    doc, _ = _compose(plan)
    assert doc["services"]["gateway"]["ports"] == ["0.0.0.0:54321:54321"]
    unit, _ = _gateway_exec(plan)
    assert " --host 0.0.0.0 " in unit
    doc, _ = _compose(plan, gateway_host="127.0.0.1")
    assert doc["services"]["gateway"]["ports"] == ["127.0.0.1:54321:54321"]


def test_a_host_name_compose_cannot_publish_on_is_a_located_error(tmp_path):
    plan = _plan(tmp_path, "gateway:\n  host: gw.example.com\n")
    files, diags = render("compose", plan, {"image": "team/expo:1"})
    assert files == {}
    (diag,) = [d for d in diags if d.code == "FC734"]
    assert diag.span is not None and diag.span.line == 6


def test_a_bad_gateway_host_option_is_refused(tmp_path):
    files, diags = render("compose", _plan(tmp_path), {"gateway_host": "everywhere"})
    assert files == {} and [d.code for d in diags] == ["FC711"]


def test_systemd_gateway_listens_on_loopback_by_default(tmp_path):
    plan = _plan(tmp_path)
    unit, readme = _gateway_exec(plan)
    assert " --host 127.0.0.1 " in unit and "0.0.0.0" not in unit
    assert "this machine only" in readme
    unit, readme = _gateway_exec(plan, gateway_host="0.0.0.0")
    assert " --host 0.0.0.0 " in unit
    assert "every IPv4 interface" in readme


def test_cli_passes_the_option(tmp_path, capsys):
    _plan(tmp_path)
    out = tmp_path / "out"
    rc = cli.main(["build", str(tmp_path / "flow.yml"), "--target", "compose", "-o", str(out),
                   "--image", "team/expo:1", "--gateway-host", "0.0.0.0"])
    assert rc == 0, capsys.readouterr().err
    assert "- 0.0.0.0:54321:54321" in (out / "compose.yaml").read_text()


def _compose_config(folder: Path, *files: str) -> dict:
    binary = tools.compose_binary()
    args = [binary] + [x for f in files for x in ("-f", f)]
    quiet = subprocess.run(args + ["config", "-q"], cwd=folder, capture_output=True, text=True,
                           timeout=60)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    full = subprocess.run(args + ["config", "--format", "json"], cwd=folder, capture_output=True,
                          text=True, timeout=60)
    assert full.returncode == 0, full.stderr
    return json.loads(full.stdout)


def _bindings(config: dict) -> list[tuple[str, str]]:
    return [(p.get("host_ip", ""), p["published"]) for p in config["services"]["gateway"]["ports"]]


def test_compose_accepts_it_and_the_readmes_override_replaces_the_binding(tmp_path):
    plan = _plan(tmp_path)
    out = tmp_path / "out"
    _, files = _compose(plan)
    tools.write_tree(out, files)
    assert _bindings(_compose_config(out, "compose.yaml")) == [("127.0.0.1", "54321")]
    readme = files["README.md"]
    override = textwrap.dedent(readme.split("```yaml\n")[1].split("```")[0])
    (out / "compose.override.yaml").write_text(override)
    assert _bindings(_compose_config(out, "compose.yaml", "compose.override.yaml")) == [
        ("0.0.0.0", "54321")]
    # the old advice: a plain list in an override file adds a second binding
    (out / "plain.yaml").write_text(override.replace("ports: !override", "ports:"))
    assert len(_bindings(_compose_config(out, "compose.yaml", "plain.yaml"))) == 2
