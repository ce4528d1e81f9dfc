"""SPEC §5 "Reload" under `flowc run`, end to end: real processes on 127.0.0.1, real file edits.

`restart: true` on an entry whose `uses` is an Executor YAML (Jina's MyExecutorBeforeRestart →
MyExecutorAfterRestart example), also from a Deployment YAML and from a built `--plan DIR`;
broken edits that keep the old processes serving; the Flow's `reload: true` adding an executor
and refusing a broken Flow; the executor's own `reload: true` on watchfiles; FC224 for `restart`
with nothing to watch. Every wait is a wait-until with a generous deadline; every process a run
started, including the replaced ones, is checked gone at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flowc_run_harness import FLOWC, FlowcRun, free_port, plan_path, proc_table  # noqa: E402
from tests.ports import free_port_block  # noqa: E402

from flowc.runtime import Client, GenericDoc  # noqa: E402

EXECUTORS = """\
import time

from flowc.runtime import Executor, requests


class MyExecutorBeforeRestart(Executor):
    @requests
    def foo(self, docs, **kwargs):
        for doc in docs:
            doc.text = 'MyExecutorBeforeRestart'


class MyExecutorAfterRestart(Executor):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        time.sleep(2)  # a slow start: the old processes must serve meanwhile

    @requests
    def foo(self, docs, **kwargs):
        for doc in docs:
            doc.text = 'MyExecutorAfterRestart'


class Broken(Executor):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        raise RuntimeError('cannot start')


class Tagger(Executor):
    def __init__(self, tag='', **kwargs):
        super().__init__(**kwargs)
        self.tag = tag

    @requests
    def foo(self, docs, **kwargs):
        for doc in docs:
            doc.text = (doc.text or '') + self.tag
"""

BEFORE = "jtype: MyExecutorBeforeRestart\npy_modules: [my_executors.py]\n"
AFTER = "jtype: MyExecutorAfterRestart\npy_modules: [my_executors.py]\n"


class Run:
    """One `flowc run` and every process it was seen to start (replaced ones too)."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.flowc = FlowcRun(*args, cwd=cwd)
        self.seen: set[int] = set()
        self.folder = ""  # where its plan files are: a child still holding one is a leftover

    def ready(self) -> None:
        self.flowc.ready()
        self.snap()
        self.folder = os.path.dirname(self.flowc.plan_marker())

    def snap(self) -> None:
        self.seen |= set(self.flowc.children())

    def wait_for(self, text: str, count: int = 1) -> None:
        self.flowc.wait_for(text, timeout=120, count=count)
        self.snap()

    @property
    def output(self) -> str:
        return self.flowc.output

    def stop_and_check(self) -> None:
        """SIGTERM → exit 0, and no process of the run left, old generations included."""
        self.snap()
        self.flowc.signal(signal.SIGTERM)
        assert self.flowc.wait(60) == 0, self.output
        deadline = time.monotonic() + 20
        while (left := _leftovers(self.seen, self.folder)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == {}, self.output


def _leftovers(pids: set[int], folder: str) -> dict[int, str]:
    """Live processes among `pids`, or whose `--plan` lies in `folder` (the run's plan files)."""
    out = {}
    for pid, (_, state, cmd) in proc_table().items():
        if state == "Z" or pid == os.getpid():
            continue
        held = plan_path(pid, cmd) if "--plan" in cmd else None
        if pid in pids or (folder and held and os.path.dirname(held) == folder):
            out[pid] = cmd
    return out


@pytest.fixture
def run_flow():
    started: list[Run] = []

    def start(*args: str, cwd: Path) -> Run:
        run = Run(*args, cwd=cwd)
        started.append(run)
        return run

    yield start
    for run in started:
        run.flowc.kill_all()
        for pid in run.seen:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _texts(port: int, text: str = "x", times: int = 1) -> list[str]:
    with Client(host="127.0.0.1", port=port) as client:
        return [doc.text for _ in range(times)
                for doc in client.post("/default", inputs=[GenericDoc(text=text)], timeout=30)]


def _project(tmp_path: Path, flow: str, **files: str) -> Path:
    (tmp_path / "my_executors.py").write_text(EXECUTORS)
    (tmp_path / "flow.yml").write_text(flow)
    for name, text in files.items():
        path = tmp_path / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _edit(path: Path, text: str) -> None:
    """Replace a file as editors do: write a new file, rename it over the old one."""
    tmp = path.with_name(path.name + ".tmp~")
    tmp.write_text(text)
    os.replace(tmp, path)


# -- restart: true ---------------------------------------------------------------------------------

_RESTART_FLOW = """\
jtype: Flow
executors:
  - name: exec
    uses: executor.yml
    replicas: 2
    restart: true
"""


@pytest.mark.parametrize("mode", ["processes", "in-process"])
def test_restart_serves_the_class_the_changed_yaml_names(run_flow, tmp_path, mode):
    src = _project(tmp_path, _RESTART_FLOW, **{"executor.yml": BEFORE})
    port = free_port()
    extra = ("--in-process",) if mode == "in-process" else ()
    run = run_flow(str(src / "flow.yml"), "--port", str(port), *extra, cwd=src)
    run.ready()
    assert set(_texts(port, times=4)) == {"MyExecutorBeforeRestart"}
    (src / "executor.yml").write_text(AFTER)
    run.wait_for("flowc run: change in executor configuration YAML executor.yml observed, "
                 "restarting deployment exec")
    # the new processes take 2 s to start: until the new gateway listens, the old ones answer
    during: list[str] = []
    deadline = time.monotonic() + 60
    with Client(host="127.0.0.1", port=port) as client:
        while run.output.count("gateway: listening on ") < 2 and time.monotonic() < deadline:
            during += [d.text for d in client.post("/default", inputs=[GenericDoc(text="x")],
                                                   timeout=30)]
    # the old processes answer while the new ones start; a request that races the old gateway's
    # stop is sent again (wire.never_ran) and the new ones answer it: never old after new
    before = during.index("MyExecutorAfterRestart") if "MyExecutorAfterRestart" in during \
        else len(during)
    assert before > 0 and set(during[:before]) == {"MyExecutorBeforeRestart"}, run.output
    assert set(during[before:]) <= {"MyExecutorAfterRestart"}, run.output
    run.wait_for(f"flowc run: deployment exec restarted; serving at grpc://127.0.0.1:{port}")
    assert set(_texts(port, times=4)) == {"MyExecutorAfterRestart"}
    _edit(src / "executor.yml", BEFORE)  # an editor's rename-over save is seen as well
    run.wait_for("deployment exec restarted", count=2)
    assert set(_texts(port, times=4)) == {"MyExecutorBeforeRestart"}
    run.stop_and_check()


def test_a_broken_yaml_edit_keeps_the_old_processes_serving(run_flow, tmp_path):
    src = _project(tmp_path, _RESTART_FLOW, **{"executor.yml": BEFORE})
    port = free_port()
    run = run_flow(str(src / "flow.yml"), "--port", str(port), cwd=src)
    run.ready()
    broken = [("jtype: Broken\npy_modules: [my_executors.py]\n", "RuntimeError: cannot start"),
              ("jtype: [MyExecutorAfterRestart\n", "error[FC101]"),
              ("jtype: Nowhere\npy_modules: [my_executors.py]\n", "Nowhere")]
    for count, (text, reason) in enumerate(broken, start=1):
        (src / "executor.yml").write_text(text)
        run.wait_for("restarting deployment exec failed: ", count=count)
        failure = [line for line in run.output.splitlines()
                   if line.startswith("flowc run: restarting deployment exec failed: ")][-1]
        assert reason in run.output and failure.endswith(
            "the previous processes keep serving (save the file again to retry)"), run.output
        assert set(_texts(port, times=4)) == {"MyExecutorBeforeRestart"}
    (src / "executor.yml").write_text(AFTER)
    run.wait_for("deployment exec restarted")
    assert set(_texts(port, times=4)) == {"MyExecutorAfterRestart"}
    run.stop_and_check()


_DEPLOYMENT_FLOW = """\
jtype: Flow
executors:
  - stages/tagged.yml
"""
_TAGGED = """\
jtype: Deployment
with:
  name: tagged
  uses: ../tagger.yml
  uses_with:
    tag: {tag}
  restart: true
"""


def test_restart_follows_the_entrys_deployment_yaml(run_flow, tmp_path):
    src = _project(tmp_path, _DEPLOYMENT_FLOW,
                   **{"tagger.yml": "jtype: Tagger\npy_modules: [my_executors.py]\n",
                      "stages__tagged.yml": _TAGGED.format(tag="-one")})
    port = free_port()
    run = run_flow(str(src / "flow.yml"), "--port", str(port), cwd=src)
    run.ready()
    assert _texts(port) == ["x-one"]
    (src / "stages/tagged.yml").write_text(_TAGGED.format(tag="-two"))
    run.wait_for("change in Deployment YAML stages/tagged.yml observed, restarting deployment "
                 "tagged")
    run.wait_for("deployment tagged restarted")
    assert _texts(port) == ["x-two"]
    (src / "stages/tagged.yml").write_text(_TAGGED.format(tag="-three") + "  replicaz: 2\n")
    run.wait_for("deployment tagged keeps serving as it was")
    assert "error[FC201]: unknown key `replicaz`" in run.output
    assert _texts(port) == ["x-two"]
    run.stop_and_check()


_SHARDED_FLOW = """\
jtype: Flow
with:
  port: {port}
executors:
  - name: exec
    uses: executor.yml
    shards: 2
    restart: true
"""


def test_a_built_local_plan_restarts_every_shard_and_the_head(run_flow, tmp_path):
    port = free_port()
    src = _project(tmp_path, _SHARDED_FLOW.format(port=port), **{"executor.yml": BEFORE})
    out = tmp_path / "out"
    built = subprocess.run([FLOWC, "build", str(src / "flow.yml"), "--target", "local", "-o",
                            str(out), "--base-port", str(free_port_block(20))],
                           capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    run = run_flow("--plan", str(out), cwd=src)
    run.ready()
    assert set(_texts(port, times=4)) == {"MyExecutorBeforeRestart"}
    (src / "executor.yml").write_text(AFTER)
    run.wait_for("deployment exec restarted")
    assert set(_texts(port, times=4)) == {"MyExecutorAfterRestart"}
    started = [line.split(" | ")[0] for line in run.output.splitlines()
               if "serving MyExecutorAfterRestart" in line]
    assert sorted(started) == ["exec/shard-0/rep-0", "exec/shard-1/rep-0"], run.output
    assert run.output.count("exec/head: SERVING on ") == 2, run.output  # the head too
    live = [cmd for cmd in run.flowc.children().values() if "flowc.runtime" in cmd]
    assert len(live) == 4, live  # two shards, the head, the gateway: the old ones are gone
    run.stop_and_check()


# -- the Flow's reload: true -----------------------------------------------------------------------

_RELOAD_FLOW = """\
jtype: Flow
with:
  reload: true
executors:
  - name: first
    uses: Tagger
    py_modules: [my_executors.py]
    uses_with:
      tag: -a
"""
_SECOND = """\
  - name: second
    uses: Tagger
    py_modules: [my_executors.py]
    uses_with:
      tag: -b
"""
_BROKEN = """\
  - name: third
    uses: Tagger
    needz: [first]
"""


def test_flow_reload_adds_an_executor_and_keeps_the_flow_when_the_edit_is_broken(run_flow,
                                                                                 tmp_path):
    src = _project(tmp_path, _RELOAD_FLOW)
    port = free_port()
    run = run_flow("flow.yml", "--port", str(port), cwd=src)
    run.ready()
    assert _texts(port) == ["x-a"]
    (src / "flow.yml").write_text(_RELOAD_FLOW + _SECOND)
    run.wait_for("flowc run: change in Flow YAML flow.yml observed, reloading the Flow")
    run.wait_for(f"Flow reloaded: 3 process(es) serving at grpc://127.0.0.1:{port}")
    assert _texts(port) == ["x-a-b"]
    (src / "flow.yml").write_text(_RELOAD_FLOW + _SECOND + _BROKEN)
    run.wait_for("the changed Flow has errors (above); the previous Flow keeps serving")
    assert "flow.yml:17:5: error[FC201]: unknown key `needz` in `executors[2]`" in run.output
    assert "did you mean `needs`?" in run.output
    assert _texts(port) == ["x-a-b"]
    run.stop_and_check()


# -- the executor's reload: true, on watchfiles --------------------------------------------------

_HOT = """\
from flowc.runtime import Executor, requests


class Hot(Executor):
    @requests
    def foo(self, docs, **kwargs):
        for doc in docs:
            doc.text = 'version {n}'
"""
_HOT_FLOW = """\
jtype: Flow
executors:
  - name: hot
    uses: Hot
    py_modules: [hot.py]
    reload: true
"""


def test_executor_reload_swaps_the_code_in_place(run_flow, tmp_path):
    src = _project(tmp_path, _HOT_FLOW, **{"hot.py": _HOT.format(n=1)})
    port = free_port()
    run = run_flow(str(src / "flow.yml"), "--port", str(port), cwd=src)
    run.ready()
    run.wait_for("hot/rep-0: reload: watching 2 Python file(s)")
    assert _texts(port) == ["version 1"]
    pids = set(run.flowc.children())
    (src / "hot.py").write_text(_HOT.format(n=2))
    run.wait_for("hot/rep-0: reloaded Hot")
    assert _texts(port) == ["version 2"]
    (src / "hot.py").write_text(_HOT.format(n=3) + "\ndef broken(:\n")
    run.wait_for("reload failed, the previous code keeps serving: ")
    assert _texts(port) == ["version 2"]
    assert set(run.flowc.children()) == pids  # reload is in place: no process was replaced
    run.stop_and_check()


# -- restart without an Executor YAML ------------------------------------------------------------

def test_restart_without_a_yaml_is_a_located_warning_and_watches_nothing(run_flow, tmp_path):
    flow = ("jtype: Flow\nexecutors:\n  - name: plain\n    uses: MyExecutorBeforeRestart\n"
            "    py_modules: [my_executors.py]\n    restart: true\n")
    src = _project(tmp_path, flow)
    checked = subprocess.run([FLOWC, "validate", "flow.yml", "--strict"], cwd=src,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1, checked.stdout
    assert checked.stdout.startswith(
        "flow.yml:6:5: warning[FC224]: `restart: true` has no Executor YAML to watch: "
        "`uses: MyExecutorBeforeRestart` names a class\n"), checked.stdout
    port = free_port()
    run = run_flow("flow.yml", "--port", str(port), cwd=src)
    run.ready()
    assert "warning[FC224]" in run.output
    run.wait_for("flowc run: restart: true has no Executor YAML to watch here; nothing is "
                 "watched")
    assert _texts(port) == ["MyExecutorBeforeRestart"]
    run.stop_and_check()
