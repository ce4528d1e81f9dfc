"""The systemd target, checked by systemd-analyze (verify + security) on an installed root."""

from __future__ import annotations

import ctypes
import dataclasses
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowc.compiler.plan import Plan
from flowc.targets import render as render_target
from flowc.targets import systemd

_spec = importlib.util.spec_from_file_location("flowc_target_tools",
                                               Path(__file__).with_name("tools.py"))
tools = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tools)

PLANS = tools.case_plans()
CASES = sorted(k for k in PLANS if k != "plan-docker") + tools.EXAMPLES


def _case(name: str) -> tuple[Plan, dict]:
    """A named case: a hand-built plan, or an example compiled by the front end."""
    if name in PLANS:
        return PLANS[name], {}
    return tools.example_plan(name), {"context": tools.example_context(name)}
STUB_TARGETS = ("sysinit", "basic", "shutdown", "multi-user")


def _render(plan: Plan, **options) -> dict[str, str]:
    files, diags = systemd.render(plan, systemd.Options(**options))
    assert [d for d in diags if d.severity >= 2] == [], diags
    return files


def _install(tmp_path: Path, files: dict[str, str]) -> tuple[Path, list[str]]:
    """Run the generated install.sh into a fake root (DESTDIR), with a stub runtime at the
    path ExecStart= names and stub system targets; return the root and every instance."""
    out, flow, root = tmp_path / "out", tmp_path / "flow", tmp_path / "root"
    tools.write_tree(out, files)
    tools.write_tree(flow, {"executors/encoder.py": "# executor code\n"})
    runtime = root / "opt/flowc/bin/flowc-runtime"
    runtime.parent.mkdir(parents=True)
    runtime.write_text("#!/bin/sh\nexit 0\n")
    runtime.chmod(0o755)
    for name in STUB_TARGETS:
        tools.write_tree(root / "usr/lib/systemd/system",
                         {f"{name}.target": f"[Unit]\nDescription=stub {name}\n"})
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DESTDIR": str(root),
           "FLOWC_SKIP_VENV": "1", "FLOW_DIR": str(flow)}
    done = subprocess.run(["sh", str(out / "install.sh")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    target = next(k for k in files if k.endswith(".target"))
    instances = re.findall(r"^Wants=(\S+)$", files[target], re.M)
    return root, [Path(target).name] + instances


@pytest.mark.parametrize("case", CASES)
def test_systemd_analyze_verify_passes_with_empty_stderr(case, tmp_path):
    plan, options = _case(case)
    files = _render(plan, **options)
    root, units = _install(tmp_path, files)
    assert (root / "opt/flowc/flows" / plan.flow.name / "executors/encoder.py").is_file()
    assert (root / "etc/flowc" / plan.flow.name / "plan.json").read_text() == plan.to_json()
    done = subprocess.run([tools.systemd_analyze(), "verify", "--man=no", f"--root={root}",
                           *units], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_install_script_finds_the_flow_directory_through_the_build_context(tmp_path):
    # the golden folder of an example is a real output: its install.sh copies examples/<name>
    runtime = tmp_path / "opt/flowc/bin/flowc-runtime"
    runtime.parent.mkdir(parents=True)
    runtime.write_text("#!/bin/sh\n")
    runtime.chmod(0o755)
    script = tools.GOLDEN / "chain" / "systemd" / "install.sh"
    done = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=60, env={
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DESTDIR": str(tmp_path),
        "FLOWC_SKIP_VENV": "1"})
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "opt/flowc/flows/chain"
    assert (installed / "executors.py").read_text() == \
        (tools.ROOT / "examples/chain/executors.py").read_text()
    assert (tmp_path / "etc/systemd/system/chain-upper@.service").is_file()
    assert oct((tmp_path / "etc/flowc/chain/env/upper@0.env").stat().st_mode & 0o777) == "0o600"


def test_verify_would_catch_a_missing_runtime(tmp_path):
    # the negative control: the stub executable is what makes verify pass
    files = _render(PLANS["plan-chain"])
    root, units = _install(tmp_path, files)
    (root / "opt/flowc/bin/flowc-runtime").unlink()
    done = subprocess.run([tools.systemd_analyze(), "verify", "--man=no", f"--root={root}",
                           *units], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "flowc-runtime" in done.stderr


@pytest.mark.parametrize("case", CASES)
def test_systemd_analyze_security_rates_every_unit_at_most_2(case, tmp_path):
    plan, options = _case(case)
    files = _render(plan, **options)
    root, units = _install(tmp_path, files)
    for unit in units[1:]:
        done = subprocess.run([tools.systemd_analyze(), "security", "--offline=true",
                               "--threshold=20", f"--root={root}", unit],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (unit, done.stdout[-400:], done.stderr)
        level = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
        assert level and float(level.group(1)) <= 2.0, (unit, done.stdout[-200:])


@pytest.mark.parametrize("case", CASES)
def test_goldens(case):
    plan, options = _case(case)
    tools.assert_golden_tree(tools.GOLDEN / case / "systemd", _render(plan, **options))


@pytest.mark.parametrize("case", CASES)
def test_output_is_deterministic_and_survives_the_plan_json(case):
    plan, options = _case(case)
    first = _render(plan, **options)
    assert _render(plan, **options) == first
    assert _render(Plan.from_json(plan.to_json()), **options) == first
    assert render_target("systemd", plan, {"image": "ignored:1.0", **options})[0] == first


def test_ports_follow_the_documented_scheme():
    files = _render(PLANS["plan-chain"], base_port=50000)
    assert files["env/encoder@0.env"] == 'FLOWC_PORT="50000"\nFLOWC_REPLICA="0"\nFLOWC_SHARD="0"\n'
    assert files["env/ranker@1.env"].startswith('FLOWC_PORT="50002"\n')
    assert files["env/gateway@0.env"] == 'FLOWC_PORT="8080"\n'
    assert json.loads(files["addresses.json"]) == {
        "encoder": ["127.0.0.1:50000"], "ranker": ["127.0.0.1:50001", "127.0.0.1:50002"]}
    sharded = _render(PLANS["plan-sharded"], base_port=40000)
    # uses_before, the shards replica by replica, uses_after, then the head
    assert sharded["env/indexer-uses-before@0.env"] == 'FLOWC_PORT="40000"\n'
    assert sharded["env/indexer@1-1.env"].startswith('FLOWC_PORT="40004"\n')
    assert sharded["env/indexer-uses-after@0.env"] == 'FLOWC_PORT="40005"\n'
    head_env = sharded["env/indexer-head@0.env"]
    assert 'FLOWC_PORT="40006"' in head_env
    assert sharded["env/gateway@0.env"] == 'FLOWC_PORT="51000"\n'
    assert json.loads(sharded["addresses.json"]) == {"indexer": ["127.0.0.1:40006"]}


def test_units_order_and_want_what_the_graph_says():
    files = _render(PLANS["plan-sharded"])
    gateway = files["units/sharded-gateway@.service"]
    assert "After=sharded-indexer-head@0.service\n" in gateway
    assert "Wants=sharded-indexer-head@0.service\n" in gateway
    head = files["units/sharded-indexer-head@.service"]
    after = re.search(r"^After=(.*)$", head, re.M).group(1).split()
    assert after == ["sharded-indexer-uses-before@0.service", "sharded-indexer@0-0.service",
                     "sharded-indexer@0-1.service", "sharded-indexer@1-0.service",
                     "sharded-indexer@1-1.service", "sharded-indexer-uses-after@0.service"]
    assert "--shards ${FLOWC_SHARDS} --uses-before 127.0.0.1:50000 --uses-after 127.0.0.1:50005" \
        in head
    target = files["units/sharded.target"]
    assert target.count("Wants=") == 8 and "WantedBy=multi-user.target" in target
    worker = files["units/sharded-indexer@.service"]
    for line in ("Type=notify", "NotifyAccess=main", "Restart=on-failure", "DynamicUser=yes",
                 "TimeoutStartSec=30s",
                 # the Flow's workspace (ws/) is the state directory's, bound over it
                 "StateDirectory=flowc/sharded/indexer flowc/sharded/indexer/workspace",
                 "BindPaths=%S/flowc/sharded/indexer/workspace:/opt/flowc/flows/sharded/ws",
                 "EnvironmentFile=/etc/flowc/sharded/env/indexer@%i.env",
                 "ExecStart=/opt/flowc/bin/flowc-runtime worker --plan "
                 "/etc/flowc/sharded/plan.json --host 127.0.0.1 --base-dir "
                 "/opt/flowc/flows/sharded --deployment indexer --shard ${FLOWC_SHARD} "
                 "--replica ${FLOWC_REPLICA} --port ${FLOWC_PORT}"):
        assert line + "\n" in worker, line


def test_secrets_are_credentials_never_values():
    files = _render(PLANS["plan-secrets"])
    unit = files["units/secrets-fetch@.service"]
    assert "LoadCredential=API_TOKEN:/etc/flowc/secrets/secrets/api/token\n" in unit
    assert "LoadCredential=DB_PASSWORD:/etc/flowc/secrets/secrets/db-creds/password\n" in unit
    assert ("--env-from-file API_TOKEN=%d/API_TOKEN --env-from-file DB_PASSWORD=%d/DB_PASSWORD "
            "--env-from-file DSN=%d/DB_PASSWORD") in unit
    assert "DSN" not in files["env/fetch.env"]
    assert 'NOTE="costs \\$5 on 1:20"\n' in files["env/fetch.env"]
    assert "/etc/flowc/secrets/secrets/db-creds/password" in files["install.sh"]
    assert tools.SECRET_VALUE not in "".join(files.values())
    # gateway-placed and external entries get no unit; the gateway reaches the external one
    assert sorted(k for k in files if k.startswith("units/")) == [
        "units/secrets-fetch@.service", "units/secrets-gateway@.service",
        "units/secrets.target"]
    assert json.loads(files["addresses.json"])["remote"] == ["grpcs://search.example:443"]


def test_env_file_values_are_quoted_for_systemd():
    assert systemd._env_quote('a "b" $c `d` \\e') == '"a \\"b\\" \\$c \\`d\\` \\\\e"'
    assert systemd._arg("0.0.0.0") == "0.0.0.0"
    assert systemd._arg("a b%c$d") == '"a b%%c$$d"'


def test_install_script_creates_a_virtualenv_only_outside_system_prefixes():
    assert systemd._venv_of("/opt/flowc/bin/flowc-runtime") == "/opt/flowc"
    assert systemd._venv_of("/usr/bin/flowc-runtime") == ""
    assert systemd._venv_of("/usr/local/bin/flowc-runtime") == ""
    script = _render(PLANS["plan-chain"], runtime_path="/usr/local/bin/flowc-runtime")["install.sh"]
    assert "python3 -m venv" not in script and "/usr/local/bin/flowc-runtime" in script
    assert 'python3 -m venv "$root/opt/flowc"' in _render(PLANS["plan-chain"])["install.sh"]


def test_docker_executor_is_a_located_error():
    files, diags = systemd.render(tools.case_plans()["plan-docker"], systemd.Options())
    assert files == {}
    assert [(d.code, d.span.line) for d in diags] == [("FC740", 5)]
    assert "jinaai/clip:1.2.0" in diags[0].message and "compose" in diags[0].hint


def test_fixed_ports_are_honoured_checked_and_warned_about():
    plan = PLANS["plan-chain"]
    enc, ranker = plan.deployments
    fixed = dataclasses.replace(plan, deployments=(dataclasses.replace(enc, ports=(9001,)),
                                                   dataclasses.replace(ranker, ports=(9002,))))
    files, diags = systemd.render(fixed, systemd.Options())
    assert [(d.code, d.span.line) for d in diags] == [("FC742", 10)]  # 1 port for 2 replicas
    assert files["env/encoder@0.env"].startswith('FLOWC_PORT="9001"')
    clash = dataclasses.replace(plan, deployments=(dataclasses.replace(enc, ports=(8080,)),
                                                   ranker))
    files, diags = systemd.render(clash, systemd.Options())
    assert files == {} and [d.code for d in diags] == ["FC744"]


def test_name_collision_and_bad_options_are_diagnostics():
    plan = PLANS["plan-sharded"]
    clash = dataclasses.replace(plan.deployments[0], name="indexer_head", shards=1,
                                uses_before=None, uses_after=None, needs=("indexer",))
    files, diags = systemd.render(dataclasses.replace(
        plan, deployments=plan.deployments + (clash,)), systemd.Options())
    assert files == {} and [d.code for d in diags] == ["FC730"]
    files, diags = render_target("systemd", PLANS["plan-chain"], {"runtime_path": "flowc-runtime"})
    assert files == {} and [d.code for d in diags] == ["FC745"]
    files, diags = render_target("systemd", PLANS["plan-chain"], {"base_port": "65535"})
    assert files == {} and {d.code for d in diags} == {"FC743"}


def test_gateway_replicas_warn():
    plan = dataclasses.replace(PLANS["plan-chain"], gateway=dataclasses.replace(
        PLANS["plan-chain"].gateway, replicas=3))
    files, diags = systemd.render(plan, systemd.Options())
    assert files and [d.code for d in diags] == ["FC741"]


_MDWE_PROBE = """
import asyncio, ctypes, mmap, sys
import grpc, grpc.aio
from docarray import DocList
from docarray.documents import TextDoc
assert ctypes.CDLL(None).prctl(66, 0, 0, 0, 0) == 1, "MDWE is not on"
data = DocList[TextDoc]([TextDoc(text='x')]).to_protobuf().SerializeToString()
async def main():
    server = grpc.aio.server()
    server.add_insecure_port('127.0.0.1:0')
    await server.start()
    await server.stop(0)
asyncio.run(main())
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
except PermissionError:
    print('ok', len(data))
"""


def test_python_grpc_and_docarray_run_with_memory_deny_write_execute():
    """MemoryDenyWriteExecute=yes is safe for the runtime: run its heavy imports and a grpc
    server under the kernel's own W^X switch (PR_SET_MDWE, which systemd's setting mirrors)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(66, 0, 0, 0, 0) < 0:  # PR_GET_MDWE: kernels before 6.3 lack it
        pytest.skip("this kernel has no PR_SET_MDWE; cannot emulate MemoryDenyWriteExecute")
    launcher = ("import ctypes, os, sys; assert ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) == 0; "
                "os.execv(sys.executable, [sys.executable, '-c', sys.argv[1]])")
    done = subprocess.run([sys.executable, "-c", launcher, _MDWE_PROBE], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")


def test_http_gateway_gets_its_port_in_execstart_and_verifies(tmp_path):
    plan = PLANS["plan-chain"]
    plan = dataclasses.replace(plan, gateway=dataclasses.replace(
        plan.gateway, protocols=("grpc", "http"), ports=(8080, 8081)))
    files = _render(plan, base_port=50000)
    unit = next(text for name, text in files.items() if name.endswith("-gateway@.service"))
    assert "--http-port 8081" in unit
    assert files["env/gateway@0.env"] == 'FLOWC_PORT="8080"\n'
    assert "HTTP on port 8081" in files["README.md"]
    root, units = _install(tmp_path, files)
    done = subprocess.run([tools.systemd_analyze(), "verify", "--man=no", f"--root={root}",
                           *units], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr
