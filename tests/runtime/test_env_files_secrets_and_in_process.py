"""Runtime gaps closed for `flowc run` and the targets: `--env-from-file`, quoted secret
templates, `uses_requests` dropping decorator bindings, `--in-process` with shards, the
`GenericDoc` export. Real worker/gateway processes on 127.0.0.1 where a behaviour needs one."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowc.compiler.driver import compile_flow
from flowc.compiler.plan import TEMPLATE_KEY, TEMPLATE_QUOTED_KEY, Plan
from flowc.runtime.launch_plan import in_process_plan
from flowc.runtime.loading import (EnvFileError, apply_env_from_files, load_executor,
                                   render_templates)
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = [sys.executable, "-m", "flowc.runtime"]


# -- --env-from-file ------------------------------------------------------------------------------

def test_env_from_file_sets_variables_in_order_and_strips_one_newline(tmp_path):
    (tmp_path / "a").write_text("tok-1\n")
    (tmp_path / "b").write_bytes(b"two lines\nkept\n\n")
    (tmp_path / "c").write_bytes(b"crlf\r\n")
    (tmp_path / "d").write_text("")
    env: dict[str, str] = {}
    done = apply_env_from_files([f"A={tmp_path / 'a'}", f"B={tmp_path / 'b'}",
                                 f"C={tmp_path / 'c'}", f"D={tmp_path / 'd'}",
                                 f"A2={tmp_path / 'a'}"], env)
    assert done == ["A", "B", "C", "D", "A2"]
    assert env == {"A": "tok-1", "B": "two lines\nkept\n", "C": "crlf", "D": "", "A2": "tok-1"}


@pytest.mark.parametrize("spec, expected", [
    ("NOEQUALS", "expected VAR=PATH"),
    ("=x", "expected VAR=PATH"),
    ("1BAD=x", "expected VAR=PATH"),
    ("V=", "expected VAR=PATH"),
])
def test_env_from_file_rejects_malformed_arguments(spec, expected):
    with pytest.raises(EnvFileError, match=expected):
        apply_env_from_files([spec], {})


def test_env_from_file_errors_name_the_path_never_the_value(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(EnvFileError) as info:
        apply_env_from_files([f"TOKEN={missing}"], {})
    assert str(missing) in str(info.value) and "TOKEN" in str(info.value)
    for content in (b"s3cret-value\x00", b"s3cret-value\xff\xfe"):
        path = tmp_path / "bad"
        path.write_bytes(content)
        env: dict[str, str] = {}
        with pytest.raises(EnvFileError) as info:
            apply_env_from_files([f"TOKEN={path}"], env)
        assert str(path) in str(info.value) and "s3cret" not in str(info.value)
        assert env == {}


@pytest.mark.parametrize("command", ["worker", "head", "gateway"])
def test_every_server_accepts_env_from_file_and_fails_cleanly_without_the_file(command,
                                                                              tmp_path):
    help_text = subprocess.run(RUNTIME + [command, "--help"], capture_output=True, text=True,
                               timeout=60).stdout
    assert "--env-from-file VAR=PATH" in help_text
    plan = compile_flow(ROOT / "examples/chain/flow.yml").plan
    (tmp_path / "plan.json").write_text(plan.to_json())
    args = {"worker": ["--deployment", "upper"],
            "head": ["--deployment", "upper", "--shards", '[["127.0.0.1:1"]]'],
            "gateway": []}[command]
    missing = tmp_path / "secrets" / "token"
    done = subprocess.run(RUNTIME + [command, "--plan", str(tmp_path / "plan.json"), "--port",
                                     "1", "--host", "127.0.0.1", *args,
                                     "--env-from-file", f"TOKEN={missing}"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == (1 if command == "worker" else 2)
    assert f"--env-from-file TOKEN: cannot read {missing}" in done.stderr
    assert "Traceback" not in done.stderr


# -- quoted secret templates, end to end through a worker ------------------------------------------

_SECRET_FLOW = """\
jtype: Flow
version: '1'
executors:
  - name: show
    uses: Show
    py_modules: [show.py]
    uses_with:
      quoted: "${{ ENV.PIN }}"
      plain: ${{ ENV.PIN }}
      block: |-
        ${{ ENV.PIN }}
      nested:
        inner:
          - '${{ ENV.PIN }}'
          - ${{ ENV.PIN }}
    env:
      PIN_COPY: ${{ ENV.PIN }}
    env_from_secret:
      PIN: {name: pins, key: pin}
"""
_SHOW_PY = """\
import os
from flowc.runtime import Executor, requests


class Show(Executor):
    def __init__(self, quoted=None, plain=None, block=None, nested=None, **kwargs):
        super().__init__(**kwargs)
        self.values = {"quoted": quoted, "plain": plain, "block": block, "nested": nested,
                       "env": os.environ.get("PIN_COPY")}

    @requests
    def show(self, docs, **kwargs):
        for doc in docs:
            doc.tags.update(self.values)
"""


@pytest.fixture
def secret_flow(tmp_path):
    (tmp_path / "flow.yml").write_text(_SECRET_FLOW)
    (tmp_path / "show.py").write_text(_SHOW_PY)
    result = compile_flow(tmp_path / "flow.yml", env={})
    assert result.plan is not None, result.diagnostics
    return tmp_path, result.plan


def test_the_plan_marks_quoted_templates_and_validates(secret_flow):
    import jsonschema

    _, plan = secret_flow
    data = json.loads(plan.to_json())
    jsonschema.validate(data, json.loads((ROOT / "schemas/plan.schema.json").read_text()))
    uses_with = data["deployments"][0]["executor"]["uses_with"]
    text = "${{ ENV.PIN }}"
    assert uses_with["quoted"] == {TEMPLATE_KEY: text, TEMPLATE_QUOTED_KEY: True}
    assert uses_with["block"] == {TEMPLATE_KEY: text, TEMPLATE_QUOTED_KEY: True}
    assert uses_with["plain"] == {TEMPLATE_KEY: text}
    assert uses_with["nested"] == {"inner": [{TEMPLATE_KEY: text, TEMPLATE_QUOTED_KEY: True},
                                             {TEMPLATE_KEY: text}]}
    assert data["deployments"][0]["env"] == {"PIN_COPY": {TEMPLATE_KEY: text}}
    assert "0123" not in plan.to_json()
    assert Plan.from_json(plan.to_json()) == plan


def test_render_templates_types_plain_and_keeps_quoted_strings():
    env = {"PIN": "0123", "N": "7"}
    value = {"a": {TEMPLATE_KEY: "${{ ENV.N }}"},
             "b": {TEMPLATE_KEY: "${{ ENV.N }}", TEMPLATE_QUOTED_KEY: True},
             "c": [{TEMPLATE_KEY: "${{ ENV.PIN }}", TEMPLATE_QUOTED_KEY: True}],
             "d": {TEMPLATE_KEY: "x", "other": 1}}
    assert render_templates(value, env) == {"a": 7, "b": "7", "c": ["0123"],
                                            "d": {TEMPLATE_KEY: "x", "other": 1}}


def test_inline_executor_config_keeps_quotedness(tmp_path):
    (tmp_path / "show.py").write_text(_SHOW_PY)
    (tmp_path / "flow.yml").write_text(
        "jtype: Flow\nversion: '1'\nexecutors:\n  - name: show\n    uses:\n      jtype: Show\n"
        "      py_modules: [show.py]\n      with:\n        quoted: '${{ ENV.PIN }}'\n"
        "        plain: ${{ ENV.PIN }}\n    env_from_secret:\n      PIN: {name: s, key: k}\n")
    plan = compile_flow(tmp_path / "flow.yml", env={}).plan
    executor = load_executor(plan, "show", base_dir=tmp_path, env={"PIN": "0123"})
    assert executor.values["quoted"] == "0123" and executor.values["plain"] == 123


def _wait_serving(address: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    from flowc.runtime.health import check

    deadline = time.monotonic() + timeout
    while check(address, 0.5) != "SERVING":
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "worker did not become SERVING"
        time.sleep(0.1)


def test_worker_reads_the_secret_from_a_file_and_keeps_quoted_values_strings(secret_flow):
    from flowc.runtime import Client, GenericDoc

    folder, plan = secret_flow
    (folder / "plan.json").write_text(plan.to_json())
    secret = folder / "pin"
    secret.write_text("0123\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PIN", "PIN_COPY")}
    proc = subprocess.Popen(RUNTIME + ["worker", "--plan", str(folder / "plan.json"),
                                       "--deployment", "show", "--host", "127.0.0.1",
                                       "--port", str(port), "--env-from-file", f"PIN={secret}"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_serving(f"127.0.0.1:{port}", proc)
        with Client(host="127.0.0.1", port=port) as client:
            (doc,) = client.post("/default", inputs=[GenericDoc(text="?")], timeout=30)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert doc.tags == {"quoted": "0123", "plain": 123, "block": "0123",
                        "nested": {"inner": ["0123", 123]}, "env": "0123"}
    assert b"0123" not in err


# -- uses_requests drops the decorator's bindings (SPEC §3) ---------------------------------------

def test_a_method_named_in_requests_loses_its_decorator_endpoints_only():
    from flowc.runtime import Executor, requests
    from flowc.runtime.executor import inject

    class Rebound(Executor):
        @requests(on=["/x", "/z"])
        def foo(self, docs, **kwargs):
            pass

        @requests
        def bar(self, docs, **kwargs):
            pass

    def endpoints(table):
        with inject({}, table, {}):
            return {e: m.__name__ for e, m in Rebound().requests.items()}

    assert endpoints({}) == {"/x": "foo", "/z": "foo", "/default": "bar"}
    assert endpoints({"/y": "foo"}) == {"/y": "foo", "/default": "bar"}
    # a method the table binds twice keeps both (only the decorator's bindings go)
    assert endpoints({"/y": "foo", "/w": "foo"}) == {"/y": "foo", "/w": "foo", "/default": "bar"}
    # the table may take over an endpoint the decorator gave another method
    assert endpoints({"/default": "foo"}) == {"/default": "foo"}


def test_uses_requests_over_file_requests_and_decorators_at_load(tmp_path):
    plan = compile_flow(ROOT / "examples/overrides/flow.yml").plan
    executor = load_executor(plan, "greeter", base_dir=ROOT / "examples/overrides", env={})
    assert {e: m.__name__ for e, m in executor.requests.items()} == {
        "/about": "describe", "/default": "greet"}
    (dep,) = plan.deployments
    moved = dataclasses.replace(dep, executor=dataclasses.replace(
        dep.executor, uses_requests={"/hello": "greet"}))
    plan2 = dataclasses.replace(plan, deployments=(moved,))
    executor = load_executor(plan2, "greeter", base_dir=ROOT / "examples/overrides", env={})
    # greet: bound by the file's `/default` and by `@requests`; the override moves it to /hello
    assert {e: m.__name__ for e, m in executor.requests.items()} == {
        "/describe": "describe", "/hello": "greet"}


# -- --in-process ---------------------------------------------------------------------------------

def test_in_process_plan_keeps_heads_and_notes_what_differs():
    plan = compile_flow(ROOT / "examples/shards/flow.yml").plan
    (lookup,) = plan.deployments
    plain = dataclasses.replace(lookup, name="plain", shards=1, replicas=3, needs=())
    hooked = dataclasses.replace(lookup, name="hooked", shards=1, replicas=1,
                                 uses_before=lookup.executor)
    mixed = dataclasses.replace(plan, deployments=(plain, lookup, hooked))
    new, notes = in_process_plan(mixed)
    assert [d.placement for d in new.deployments] == ["gateway", "process", "process"]
    assert notes == [
        "--in-process: entry 'plain' runs as one instance inside the gateway (replicas: 3 "
        "ignored)",
        "--in-process: entry 'lookup' has 2 shards: it keeps its own processes (a head and its "
        "workers)",
        "--in-process: entry 'hooked' has uses_before/uses_after: it keeps its own processes (a "
        "head and its workers)",
    ]
    # the launch plan then starts the gateway plus the sharded entries' head and workers only
    names = [server.name for server in new.servers]
    assert "plain/rep-0" not in names and "lookup/head" in names and "hooked/head" in names


# -- exports ---------------------------------------------------------------------------------------

def test_flowc_runtime_exports_generic_doc_and_the_examples_import_it():
    code = ("import flowc.runtime as r, sys; assert 'GenericDoc' in r.__all__; "
            "from flowc.runtime import GenericDoc, Executor, requests, DocList, BaseDoc; "
            "assert issubclass(GenericDoc, BaseDoc); "
            "d = GenericDoc(text='t', tags={'k': 1}); assert d.text == 't' and d.tags == {'k': 1}")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    users = [p for p in (ROOT / "examples").rglob("*.py")
             if "GenericDoc" in p.read_text()]
    assert users, "no example uses GenericDoc any more: drop this check"
    for path in users:
        done = subprocess.run([sys.executable, "-c", "import runpy, sys; "
                               f"runpy.run_path({str(path)!r})"], capture_output=True, text=True,
                              timeout=60, cwd=path.parent)
        assert done.returncode == 0, (path, done.stderr)


def test_in_process_run_renders_secrets_from_the_environment_with_their_types(secret_flow,
                                                                             monkeypatch):
    """`flowc run --in-process` (the launcher's `start`): the gateway process hosts the executor,
    its env templates and quoted/plain references rendered from the inherited environment."""
    from flowc.runtime import GenericDoc
    from flowc.runtime.launcher import start

    folder, plan = secret_flow
    monkeypatch.setenv("PIN", "0123")
    monkeypatch.delenv("PIN_COPY", raising=False)
    with start(plan, base_dir=folder, in_process=True, port=free_port()) as flow:
        names = [c.name for c in flow.supervisor.children]
        assert names == ["gateway"]
        (doc,) = flow.post("/default", inputs=[GenericDoc(text="?")], timeout=30)
    assert doc.tags == {"quoted": "0123", "plain": 123, "block": "0123",
                        "nested": {"inner": ["0123", 123]}, "env": "0123"}


# -- a taken gateway port -------------------------------------------------------------------------

def test_flowc_run_refuses_a_gateway_port_another_server_holds(tmp_path):
    """A second Flow on the same port is an error, never a silent split of its requests
    (gRPC servers share a port with SO_REUSEPORT by default)."""
    import socket

    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as a gRPC server binds
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        flowc = Path(sys.executable).with_name("flowc")
        run = subprocess.run([str(flowc), "run", str(ROOT / "examples" / "chain" / "flow.yml"),
                              "--port", str(port)], capture_output=True, text=True, timeout=60)
    finally:
        holder.close()
    assert run.returncode == 1, run.stderr
    assert f"the gateway's port {port} is taken" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_gateway_does_not_share_its_port_unless_asked(tmp_path):
    import socket

    plan = compile_flow(ROOT / "examples" / "chain" / "flow.yml").plan
    (tmp_path / "plan.json").write_text(plan.to_json())
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        addresses = json.dumps({d.name: ["127.0.0.1:1"] for d in plan.deployments})
        run = subprocess.run([*RUNTIME, "gateway", "--plan", str(tmp_path / "plan.json"),
                              "--host", "127.0.0.1", "--port", str(port),
                              "--addresses", addresses],
                             capture_output=True, text=True, timeout=60)
    finally:
        holder.close()
    assert run.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in run.stderr
