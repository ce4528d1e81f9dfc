"""End to end: the processes the systemd units' `ExecStart=` lines name answer correctly.

The units of `examples/chain` (with two replicas of `tag`) and of `examples/shards` (2 shards × 2
replicas, plus uses_before/uses_after in the head) are rendered, installed with
the generated install.sh into real directories (DESTDIR=/, no systemctl), then every instance is
started the way systemd would: its EnvironmentFile=s and Environment= read, `${VAR}` and the
specifiers (`%i`, `%S`, `%d`, `%%`) expanded, a notification socket given as NOTIFY_SOCKET
(Type=notify: each server must send READY=1), dependents started once what they come `After=` is
ready; where the kernel can, under MemoryDenyWriteExecute's W^X rule. Requests through the
gateway must come back with the example's answers; SIGTERM then stops every process with exit
code 0. systemd itself is not involved. Two more runs check the hardening and the secrets: the
system calls a worker and the gateway make (strace) against the units' SystemCallFilter=, and a
LoadCredential= secret reaching an executor's environment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from flowc.compiler.plan import Plan
from flowc.targets import systemd
from tests.ports import free_port, free_port_block

_spec = importlib.util.spec_from_file_location("flowc_target_tools",
                                               Path(__file__).with_name("tools.py"))
tools = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tools)

ROOT = tools.ROOT
RUNTIME = Path(sys.executable).with_name("flowc-runtime")
READY_TIMEOUT = 90.0


def _unit(text: str) -> dict[str, list[str]]:
    """A unit file as {key: [values]} (sections merged: keys do not repeat across ours)."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key, []).append(value)
    return out


def _env_file(path: Path) -> dict[str, str]:
    """systemd EnvironmentFile= syntax as flowc writes it: KEY="value" with \\ escapes."""
    env = {}
    for line in path.read_text().splitlines():
        key, value = line.split("=", 1)
        assert value.startswith('"') and value.endswith('"'), line
        env[key] = re.sub(r"\\(.)", r"\1", value[1:-1])
    return env


def _specifiers(text: str, instance: str, state: Path, creds: Path) -> str:
    table = {"i": instance, "S": str(state), "d": str(creds), "%": "%"}
    return re.sub(r"%(.)", lambda m: table[m.group(1)], text)


def _command(unit: dict[str, list[str]], instance: str, state: Path, creds: Path
             ) -> tuple[list[str], dict[str, str]]:
    env: dict[str, str] = {}
    for path in unit.get("EnvironmentFile", []):
        env.update(_env_file(Path(_specifiers(path, instance, state, creds))))
    for assignment in shlex.split(_specifiers(unit["Environment"][0], instance, state, creds)):
        key, value = assignment.split("=", 1)
        env[key] = value
    words = shlex.split(_specifiers(unit["ExecStart"][0], instance, state, creds))
    argv = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], w) for w in words]
    return argv, env


@pytest.fixture()
def short_tmp():
    folder = Path(tempfile.mkdtemp(prefix="fce2e", dir="/tmp"))  # unix socket paths are short
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _running_units(folder: Path, source: Path, change, secrets: dict[str, str] | None = None,
                   wrap=lambda name: _MDWE if _mdwe_available() else []
                   ) -> Iterator[tuple[Plan, int]]:
    """Render the systemd units of the Flow in `source` (after `change(plan)`), install them
    under `folder` (plus the secret files `secrets`: install path → value) and start every
    instance as systemd would; yield the plan and the gateway's port; on exit SIGTERM everything
    and require exit code 0 from each process. `wrap(instance name)` is a command prefix."""
    from flowc.compiler import load

    assert RUNTIME.is_file(), f"{RUNTIME} is missing: install flowc into the virtualenv"
    flow_dir = folder / "src"
    shutil.copytree(source, flow_dir)
    plan = change(load(str(flow_dir / "flow.yml"), env={}))
    gw_port = free_port()
    plan = dataclasses.replace(plan, gateway=dataclasses.replace(plan.gateway, ports=(gw_port,)))
    options = systemd.Options(runtime_path=str(RUNTIME), base_port=free_port_block(40),
                              config_root=str(folder / "etc"), install_root=str(folder / "flows"))
    files, diags = systemd.render(plan, options)
    assert [d for d in diags if d.severity >= 2] == [], diags
    out = folder / "out"
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    install = subprocess.run(
        ["sh", str(out / "install.sh")], capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DESTDIR": "/",
             "FLOWC_SKIP_VENV": "1", "FLOW_DIR": str(flow_dir)})
    assert install.returncode == 0, install.stderr
    for rel, value in (secrets or {}).items():
        Path(rel.format(conf=options.config_root + "/" + plan.flow.name)).write_text(value)

    flow = plan.flow.name
    wanted = re.findall(r"^Wants=(\S+)$", files[f"units/{flow}.target"], re.M)
    assert wanted[-1] == f"{flow}-gateway@0.service"
    state, creds = folder / "state", folder / "creds"
    procs: dict[str, subprocess.Popen] = {}
    sockets: dict[str, socket.socket] = {}
    try:
        for name in wanted:
            template, instance = re.match(r"^(.*@)(.*)\.service$", name).groups()
            unit = _unit(files[f"units/{template}.service"])
            after = unit.get("After", [""])[0].split()
            _wait_ready({a: sockets[a] for a in after}, procs)  # systemd's After= + Type=notify
            unit_creds = creds / name  # systemd's LoadCredential=: a private copy per unit
            unit_creds.mkdir(parents=True)
            for line in unit.get("LoadCredential", []):
                cred_id, path = line.split(":", 1)
                shutil.copyfile(path, unit_creds / cred_id)
            argv, env = _command(unit, instance, state, unit_creds)
            assert argv[0] == str(RUNTIME)
            (state / unit["StateDirectory"][0]).mkdir(parents=True, exist_ok=True)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(folder / f"n{len(sockets)}"))
            sockets[name] = sock
            env.update(PATH=os.environ.get("PATH", ""), NOTIFY_SOCKET=sock.getsockname())
            cwd = _specifiers(unit["WorkingDirectory"][0], instance, state, unit_creds)
            procs[name] = subprocess.Popen(
                wrap(name) + argv, env=env, cwd=cwd, start_new_session=True,
                stdout=subprocess.DEVNULL, stderr=open(folder / f"{name}.log", "wb"))
        _wait_ready({wanted[-1]: sockets[wanted[-1]]}, procs)
        yield plan, gw_port
    finally:
        for proc in procs.values():
            if proc.poll() is None:  # its own process group: the runtime (and a tracer) only
                os.killpg(proc.pid, signal.SIGTERM)
        codes = {}
        for name, proc in procs.items():
            try:
                codes[name] = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # the whole group: no orphan survives a tracer
                os.killpg(proc.pid, signal.SIGKILL)
                codes[name] = proc.wait()
        for sock in sockets.values():
            sock.close()
    assert codes == {name: 0 for name in wanted}, _logs(folder, codes)


def test_chain_units_answer_through_the_gateway(short_tmp):
    from docarray import DocList
    from docarray.documents import TextDoc

    from flowc.runtime import Client

    def two_taggers(plan: Plan) -> Plan:
        upper, tag = plan.deployments
        return dataclasses.replace(plan, deployments=(upper, dataclasses.replace(tag, replicas=2)))

    with _running_units(short_tmp, ROOT / "examples/chain", two_taggers) as (plan, port):
        assert len(plan.deployments) == 2
        client = Client(host="127.0.0.1", port=port)
        answers = []
        for text in ("hello", "world", "again"):  # three requests: both `tag` replicas serve
            docs = client.post("/default", inputs=DocList[TextDoc]([TextDoc(text=text)]),
                               return_type=DocList[TextDoc], timeout=30)
            answers.append(docs[0].text)
        assert answers == ["HELLO! [demo]", "WORLD! [demo]", "AGAIN! [demo]"]


def test_sharded_units_with_head_hooks_answer_through_the_gateway(short_tmp):
    from flowc.runtime import Client, GenericDoc

    def with_hooks(plan: Plan) -> Plan:
        (lookup,) = plan.deployments
        hook = dataclasses.replace(lookup.executor, kind="class", path=None, uses_with={},
                                   uses_metas={}, uses_requests={})
        return dataclasses.replace(plan, deployments=(dataclasses.replace(
            lookup, uses_before=dataclasses.replace(hook, jtype="Before"),
            uses_after=dataclasses.replace(hook, jtype="After")),))

    with _running_units(short_tmp, ROOT / "examples/shards", with_hooks) as (plan, port):
        client = Client(host="127.0.0.1", port=port)
        (doc,) = client.post("/search", inputs=[GenericDoc(id="q", text="q")], timeout=30)
        assert doc.tags["before"] is True and doc.tags["after_parts"] == 2
        assert sorted(m.tags["shard"] for m in doc.matches) == [0, 1]


def _syscall_set(group_lines: list[str]) -> set[str]:
    """The system calls a unit's SystemCallFilter= lines allow (allow-list mode, in order)."""
    import functools

    @functools.lru_cache(maxsize=None)
    def expand(name: str) -> frozenset[str]:
        if not name.startswith("@"):
            return frozenset([name])
        out = subprocess.run([tools.systemd_analyze(), "syscall-filter", name],
                             capture_output=True, text=True, timeout=60).stdout
        names: set[str] = set()
        for line in out.splitlines()[1:]:
            line = line.strip()
            if line and not line.startswith("#"):
                names |= expand(line)
        return frozenset(names)

    allowed: set[str] = set()
    for line in group_lines:
        deny = line.startswith("~")
        for item in line.lstrip("~").split():
            allowed = allowed - expand(item) if deny else allowed | expand(item)
    return allowed


def test_runtime_system_calls_stay_inside_the_units_filter(short_tmp):
    """SystemCallFilter= is checked against what the runtime really calls: a worker and the
    gateway run under strace through start-up, one request and shutdown; every system call
    they make must be one the unit allows (otherwise systemd would answer it with EPERM)."""
    from flowc.runtime import Client, GenericDoc

    if shutil.which("strace") is None:
        pytest.skip("strace is not installed: cannot record the runtime's system calls")
    traced = {"chain-upper@0.service", "chain-gateway@0.service"}

    def strace(name: str) -> list[str]:
        if name not in traced:
            return []
        return ["strace", "-f", "-qq", "-o", str(short_tmp / f"{name}.trace")]

    with _running_units(short_tmp, ROOT / "examples/chain", lambda plan: plan,
                        wrap=strace) as (plan, port):
        (doc,) = Client(host="127.0.0.1", port=port).post(
            "/default", inputs=[GenericDoc(text="hi")], timeout=60)
        assert doc.text == "HI! [demo]"
    unit = _unit((short_tmp / "out/units/chain-upper@.service").read_text())
    allowed = _syscall_set(unit["SystemCallFilter"])
    assert "mbind" in allowed and "reboot" not in allowed and "setrlimit" not in allowed
    for name in sorted(traced):
        used = set()
        for line in (short_tmp / f"{name}.trace").read_text().splitlines():
            match = re.match(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
            if match:
                used.add(match.group(1))
        used -= {"execve"}  # strace's own exec of the runtime, before the filter would apply
        assert len(used) > 30, (name, sorted(used))
        assert sorted(used - allowed) == [], name


_SECRET_FLOW = """\
jtype: Flow
version: '1'
with:
  name: secretflow
executors:
  - name: reveal
    uses: Reveal
    py_modules: [reveal.py]
    env:
      ALIAS: ${{ ENV.API_TOKEN }}
      PLAIN: 'cost $$5'
    env_from_secret:
      API_TOKEN:
        name: api
        key: token
"""
_SECRET_EXECUTOR = """\
import os
from flowc.runtime import Executor, requests


class Reveal(Executor):
    @requests
    def reveal(self, docs, **kwargs):
        for doc in docs:
            doc.text = "|".join(os.environ.get(k, "<unset>") for k in ("API_TOKEN", "ALIAS", "PLAIN"))
"""


def test_secret_credentials_reach_the_executor_as_environment(short_tmp):
    """LoadCredential= + `--env-from-file VAR=%d/VAR`: the executor sees the secret's value
    (and an env entry that is exactly that secret), while no generated file contains it."""
    from flowc.runtime import Client, GenericDoc

    source = short_tmp / "secretflow"
    source.mkdir()
    (source / "flow.yml").write_text(_SECRET_FLOW)
    (source / "reveal.py").write_text(_SECRET_EXECUTOR)
    secret = "tok-" + "e2e-value"
    with _running_units(short_tmp, source, lambda plan: plan,
                        secrets={"{conf}/secrets/api/token": secret}) as (plan, port):
        generated = "".join(p.read_text() for p in (short_tmp / "out").rglob("*") if p.is_file())
        assert secret not in generated
        (doc,) = Client(host="127.0.0.1", port=port).post("/", inputs=[GenericDoc(text="?")],
                                                           timeout=30)
        assert doc.text == f"{secret}|{secret}|cost $5"


# MemoryDenyWriteExecute=yes, emulated with the kernel's own switch (PR_SET_MDWE, Linux >= 6.3):
# it survives exec, so the runtime runs under the same W^X rule systemd would impose.
_MDWE = [sys.executable, "-c", "import ctypes, os, sys; "
         "assert ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) == 0; os.execv(sys.argv[1], sys.argv[1:])"]


def _mdwe_available() -> bool:
    import ctypes

    return ctypes.CDLL(None).prctl(66, 0, 0, 0, 0) >= 0


def _wait_ready(pending: dict[str, socket.socket], procs: dict[str, subprocess.Popen]) -> None:
    """Block until each named process sent READY=1 on its notification socket."""
    deadline = time.monotonic() + READY_TIMEOUT
    for name, sock in pending.items():
        sock.settimeout(0.2)
        while True:
            try:
                if b"READY=1" in sock.recv(4096):
                    sock.setblocking(True)
                    break
            except (socket.timeout, BlockingIOError):
                pass
            assert procs[name].poll() is None, f"{name} exited with {procs[name].returncode}"
            assert time.monotonic() < deadline, f"{name} did not send READY=1"
        # keep reading later messages (e.g. STOPPING=1) harmlessly: nothing else to do here


def _logs(folder: Path, codes: dict) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                     for p in sorted(folder.glob("*.log"))) + f"\n{codes}"
