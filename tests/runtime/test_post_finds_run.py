"""`flowc post flow.yml` finds the Flow `flowc run flow.yml` serves, even on a port it chose
itself; the record goes away when the run stops, and post then says what to do."""

from __future__ import annotations

import json
import signal
import subprocess
import os
from pathlib import Path

from tests.runtime.flowc_run_harness import FLOWC, ROOT, FlowcRun

DIAMOND = "examples/diamond/flow.yml"  # sets no gateway port


def _post(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([FLOWC, "post", DIAMOND, "--on", "/default", "--data", '["a", "b"]'],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_post_finds_the_running_flow(tmp_path: Path) -> None:
    env = {"XDG_RUNTIME_DIR": str(tmp_path)}
    full_env = {**os.environ, **env}
    run = FlowcRun(DIAMOND, env=env)
    try:
        run.ready()
        records = list((tmp_path / "flowc").glob("*.json"))
        assert len(records) == 1
        assert json.loads(records[0].read_text())["flow_file"] == str(ROOT / DIAMOND)
        answer = _post(full_env)
        assert answer.returncode == 0, answer.stderr
        texts = [json.loads(line).get("text") for line in answer.stdout.splitlines()]
        assert len(texts) == 2
        run.signal(signal.SIGINT)
        assert run.wait() == 0
    finally:
        run.kill_all()
    assert list((tmp_path / "flowc").glob("*.json")) == []
    stopped = _post(full_env)
    assert stopped.returncode == 1
    assert f"is not running here (start it with `flowc run {DIAMOND}`)" in stopped.stderr
