"""`flowc run` end to end: the real command as a subprocess, real processes on 127.0.0.1.

Each test starts one flow, checks the answers SPEC §3–5 give through flowc's `Client`, then
stops it in a different way (SIGTERM, SIGINT, SIGKILL of `flowc run` itself) and checks through
`/proc` that no process of the run survives. Held-out-style flows (written here, not the
examples) cover `uses_requests` with per-endpoint polling on shards × replicas.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flowc_run_harness import FLOWC, ROOT, FlowcRun, free_port, wait_gone  # noqa: E402

from flowc.runtime import Client, GenericDoc  # noqa: E402
from tests.ports import free_port_block  # noqa: E402

EXAMPLES = ROOT / "examples"


@pytest.fixture
def run_flow():
    """Start `flowc run ...`; whatever the test did, nothing it started outlives it."""
    started: list[FlowcRun] = []

    def start(*args: str, env: dict | None = None, cwd: Path | None = None) -> FlowcRun:
        run = FlowcRun(*args, env=env, cwd=cwd)
        started.append(run)
        return run

    yield start
    for run in started:
        run.kill_all()


def _post(port: int, on: str, texts: list[str], **kw) -> list:
    with Client(host="127.0.0.1", port=port) as client:
        return list(client.post(on, inputs=[GenericDoc(id=t, text=t) for t in texts],
                                timeout=30, **kw))


def _stop_and_check(run: FlowcRun, signum: int) -> None:
    """`signum` to flowc run → exit 0, and not one process of the run left."""
    children = run.children()
    marker = run.plan_marker()
    assert children, "flowc run has no child processes"
    run.signal(signum)
    assert run.wait(60) == 0, run.output
    assert "flowc run: stopping" in run.output
    assert wait_gone(set(children), marker, timeout=10) == {}, run.output


# -- chain: env substitution, a worker killed and restarted, SIGTERM --------------------------------

def test_chain_answers_survives_a_killed_worker_and_stops_on_sigterm(run_flow):
    port = free_port()
    run = run_flow(str(EXAMPLES / "chain/flow.yml"), "--port", str(port),
                   env={"CHAIN_TAG": "held-out"})
    run.ready()
    assert f"at grpc://127.0.0.1:{port}" in run.output
    docs = _post(port, "/default", ["hello", "world"])
    assert [d.text for d in docs] == ["HELLO! [held-out]", "WORLD! [held-out]"]
    posted = subprocess.run([FLOWC, "post", f"127.0.0.1:{port}", "--on", "/default", "--data",
                             '["hi", {"id": "t", "text": "there"}]'],
                            capture_output=True, text=True, timeout=60)
    assert posted.returncode == 0, posted.stderr
    answers = [json.loads(line) for line in posted.stdout.splitlines()]
    assert [a["text"] for a in answers] == ["HI! [held-out]", "THERE! [held-out]"]
    assert answers[1]["id"] == "t"

    # SIGKILL one worker after start-up: the launcher says so, restarts it, the flow answers again
    (upper,) = [pid for pid, cmd in run.children().items() if "--deployment upper" in cmd]
    os.kill(upper, signal.SIGKILL)
    run.wait_for("flowc: upper/rep-0 exited with code -9; restarting in")
    run.wait_for("upper/rep-0: serving Upper", count=2, timeout=60)
    deadline = time.monotonic() + 30
    while True:
        try:
            docs = _post(port, "/default", ["again"])
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert [d.text for d in docs] == ["AGAIN! [held-out]"]
    assert upper not in run.children()
    _stop_and_check(run, signal.SIGTERM)


# -- overrides: uses_with / uses_metas / uses_requests, SIGINT ------------------------------------

def test_overrides_give_the_spec_precedence_and_stop_on_sigint(run_flow):
    port = free_port()
    run = run_flow(str(EXAMPLES / "overrides/flow.yml"), "--port", str(port))
    run.ready()
    (about,) = _post(port, "/about", ["x"])
    assert about.tags == {"greeting": "Bonjour", "punctuation": "!",
                          "metas_name": "greeter_from_flow", "description": "greets documents",
                          "endpoints": ["/about", "/default"]}
    (greeted,) = _post(port, "/default", ["Ada"])
    assert greeted.text == "Bonjour, Ada!"
    # `describe` was rebound to /about: /describe now falls to the default endpoint (greet)
    (fallback,) = _post(port, "/describe", ["Bob"])
    assert fallback.text == "Bonjour, Bob!" and fallback.tags == {}
    _stop_and_check(run, signal.SIGINT)


# -- diamond: docs_matrix; SIGKILL of flowc run itself takes every child down ----------------------

def test_diamond_docs_matrix_and_children_die_with_a_killed_launcher(run_flow):
    port = free_port()
    run = run_flow(str(EXAMPLES / "diamond/flow.yml"), "--port", str(port))
    run.ready()
    docs = _post(port, "/default", ["a", "b"])
    assert [d.id for d in docs] == ["a", "b"]
    assert [d.text for d in docs] == ["a L | a R", "b L | b R"]
    for doc in docs:
        assert doc.tags == {"split": True, "left": True, "right": True, "parts": 2}
    children = run.children()
    servers = [cmd for cmd in children.values() if "flowc.runtime" in cmd]
    assert len(servers) == 5, children  # 4 workers and the gateway
    assert len(children) == 6, children  # and the fork server they were forked from
    marker = run.plan_marker()
    run.signal(signal.SIGKILL)
    assert run.wait(30) == -signal.SIGKILL
    # PR_SET_PDEATHSIG: each child got SIGTERM from the kernel and stops by itself
    assert wait_gone(set(children), marker, timeout=30) == {}


# -- shards × replicas, per-endpoint polling, uses_requests (a held-out style flow) --------------

_SHARDS_FLOW = """\
jtype: Flow
version: '1'
with:
  name: heldout-shards
  port: {port}
executors:
  - name: lookup
    uses: ShardLookup
    py_modules: [executors.py]
    shards: 2
    replicas: 2
    polling:
      /find: ALL
      '*': ANY
    uses_requests:
      /find: search
"""


def _shards_dir(tmp_path: Path, port: int) -> Path:
    src = tmp_path / "flow"
    src.mkdir()
    shutil.copy(EXAMPLES / "shards/executors.py", src / "executors.py")
    (src / "flow.yml").write_text(_SHARDS_FLOW.format(port=port))
    return src


def _check_shards_answers(port: int) -> None:
    # /find: bound by uses_requests, polled ALL → both shards answer, merged by id, shard 0 first
    (found,) = _post(port, "/find", ["q"])
    assert [m.id for m in found.matches] == ["q-shard-0", "q-shard-1"]
    assert found.tags["seen_by_shard_0"] is True and found.tags["seen_by_shard_1"] is True
    # /search lost its decorator binding (uses_requests moved `search`): the default endpoint
    # answers it, and `*` polling (ANY) sends it to a single shard
    (searched,) = _post(port, "/search", ["s"])
    assert not searched.matches and searched.tags["shard"] in (0, 1)
    # ANY: round robin over the shards, and over each shard's replicas
    seen = {(d.tags["shard"], d.tags["replica"])
            for d in (_post(port, "/default", [f"d{i}"])[0] for i in range(4))}
    assert seen == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_build_local_then_run_plan_answers_shards_with_uses_requests(run_flow, tmp_path):
    port = free_port()
    src = _shards_dir(tmp_path, port)
    out = tmp_path / "out"
    built = subprocess.run([FLOWC, "build", str(src / "flow.yml"), "--target", "local",
                            "-o", str(out)], capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    assert (out / "launch.json").is_file() and (out / "plan.json").is_file()
    run = run_flow("--plan", str(out))
    run.ready()
    assert f"at grpc://127.0.0.1:{port}" in run.output
    _check_shards_answers(port)
    _stop_and_check(run, signal.SIGTERM)


def test_run_plan_port_moves_the_gateway_and_refuses_a_taken_plan_port(run_flow, tmp_path):
    """Issue 10 §3: `flowc run --plan DIR --port P` ignored `--port` without a word."""
    base = free_port_block(3)  # the workers' fixed ports: base + 1, base + 2
    out = tmp_path / "out"
    built = subprocess.run([FLOWC, "build", str(EXAMPLES / "chain/flow.yml"), "--target", "local",
                            "-o", str(out), "--base-port", str(base)],
                           capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    written = json.loads((out / "launch.json").read_text())["gateway"]["port"]
    assert written == 54321  # the Flow's own `port`, which may well be taken on a shared machine
    port = free_port()
    run = run_flow("--plan", str(out), "--port", str(port))
    run.ready()
    assert (f"flowc run: the gateway listens on port {port} (--port), not on {written} as "
            f"{out / 'launch.json'} says") in run.output
    assert f"at grpc://127.0.0.1:{port}" in run.output
    (gateway,) = [cmd for cmd in run.children().values() if " gateway --plan " in cmd]
    assert f"--port {port} " in gateway and str(written) not in gateway
    assert [d.text for d in _post(port, "/default", ["hello"])] == ["HELLO! [demo]"]
    _stop_and_check(run, signal.SIGTERM)
    assert json.loads((out / "launch.json").read_text())["gateway"]["port"] == written

    # a port the launch plan gives another server: refused before anything starts
    clash = run_flow("--plan", str(out), "--port", str(base + 1))
    assert clash.wait(60) == 1
    assert (f"flowc run: error: cannot move the gateway of {out / 'launch.json'} to --port "
            f"{base + 1}: port {base + 1} is upper/rep-0's in this launch plan") in clash.output
    assert " is ready in " not in clash.output and "Traceback" not in clash.output
    bad = run_flow("--plan", str(out), "--port", "70000")
    assert bad.wait(60) == 2 and "--port 70000 is not a TCP port" in bad.output


def test_in_process_keeps_a_sharded_entry_in_its_own_processes(run_flow, tmp_path):
    port = free_port()
    src = _shards_dir(tmp_path, port)
    run = run_flow(str(src / "flow.yml"), "--in-process", "--port", str(port))
    run.ready()
    assert "--in-process: entry 'lookup' has 2 shards: it keeps its own processes" in run.output
    assert "Traceback" not in run.output
    _check_shards_answers(port)
    _stop_and_check(run, signal.SIGTERM)


# -- start-up failure ---------------------------------------------------------------------------

_BOOM_FLOW = """\
jtype: Flow
version: '1'
executors:
  - name: fine
    uses: Fine
    py_modules: [boom.py]
  - name: broken
    uses: Exploding
    py_modules: [boom.py]
"""
_BOOM_PY = """\
from flowc.runtime import Executor, requests


class Fine(Executor):
    @requests
    def noop(self, docs, **kwargs):
        pass


class Exploding(Executor):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        raise RuntimeError("the model file is missing")
"""


@pytest.mark.parametrize("mode", ["processes", "in-process"])
def test_an_executor_failing_in_init_makes_flowc_run_exit_1(run_flow, tmp_path, mode):
    (tmp_path / "flow.yml").write_text(_BOOM_FLOW)
    (tmp_path / "boom.py").write_text(_BOOM_PY)
    extra = ["--in-process"] if mode == "in-process" else []
    run = run_flow(str(tmp_path / "flow.yml"), "--port", str(free_port()), *extra)
    code = run.wait(90)
    out = run.output
    assert code == 1, out
    (error,) = [line for line in out.splitlines() if line.startswith("flowc run: error: ")]
    if mode == "processes":
        assert error == ("flowc run: error: broken/rep-0 exited with code 1 during start-up: "
                         "executor Exploding (broken) failed to start: RuntimeError: the model "
                         "file is missing"), out
    else:
        assert error == ("flowc run: error: gateway exited with code 1 during start-up: cannot "
                         "start broken/rep-0 (placement: gateway): RuntimeError: the model file "
                         "is missing"), out
    # the executor's own traceback is shown; no frame of flowc's own code is
    assert 'boom.py", line 13, in __init__' in out
    import flowc.compiler
    import flowc.runtime

    own = tuple(str(Path(m.__file__).parent) + os.sep for m in (flowc.runtime, flowc.compiler))
    frames = re.findall(r'File "([^"]+)", line \d+', out)
    assert frames and not [f for f in frames if f.startswith(own)], out
    assert wait_gone(set(), str(tmp_path), timeout=10) == {}


# -- the Python API -----------------------------------------------------------------------------

def test_python_api_flow_load_runs_and_stops(tmp_path):
    from flowc.compiler.api import Flow
    from flowc_run_harness import descendants

    with Flow.load(str(EXAMPLES / "overrides/flow.yml")) as flow:
        children = descendants(os.getpid())
        workers = {p for p, cmd in children.items() if "flowc.runtime" in cmd}
        assert len(workers) == 2, children  # the greeter's worker and the gateway
        (doc,) = flow.post("/default", [GenericDoc(id="p", text="Py")], timeout=30)
        assert doc.text == "Bonjour, Py!"
    assert wait_gone(workers, "", timeout=10) == {}
