"""Every command in every example's header comment works as written: the test runs them from
the repository's root, `flowc run` in the background while the `flowc post` lines run."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from tests.runtime.flowc_run_harness import BIN, ROOT, FlowcRun

EXAMPLES = sorted(ROOT.glob("examples/*/flow.yml"))
# Commands whose documented outcome is a failure: the example shows an executor's error.
EXPECTED_FAILURES = {"flowc post examples/errors/flow.yml --on /fail --data '[\"x\"]'":
                     "fragile"}
# What the documented output shows, where the example's comment promises something.
EXPECTED_OUTPUT = {"flowc post examples/stateful/flow.yml --on /get --data '[{\"id\": \"a\"}]'":
                   '"found": true'}


def header_commands(flow: Path) -> list[str]:
    """The `#   flowc ...` lines at the top of an example."""
    commands = []
    for line in flow.read_text().splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("#   flowc "):
            commands.append(line[4:].strip())
    return commands


def test_every_example_documents_how_to_run_and_call_it() -> None:
    for flow in EXAMPLES:
        words = [c.split()[1] for c in header_commands(flow)]
        assert "run" in words and "post" in words, flow
    documented = {c for flow in EXAMPLES for c in header_commands(flow)}
    assert set(EXPECTED_FAILURES) | set(EXPECTED_OUTPUT) <= documented


@pytest.mark.parametrize("flow", EXAMPLES, ids=lambda p: p.parent.name)
def test_header_commands_work_as_written(flow: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path),
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = None
    try:
        for command in header_commands(flow):
            argv = shlex.split(command)
            if argv[1] == "run":
                run = FlowcRun(*argv[2:], env={"XDG_RUNTIME_DIR": str(tmp_path)})
                run.ready()
                continue
            result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                                    timeout=120)
            if command in EXPECTED_FAILURES:
                assert result.returncode == 1, result.stderr
                assert EXPECTED_FAILURES[command] in result.stderr
            else:
                assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
                assert "Traceback" not in result.stderr
                assert EXPECTED_OUTPUT.get(command, "") in result.stdout, result.stdout
        if run is not None:
            run.signal(signal.SIGINT)
            assert run.wait() == 0
    finally:
        if run is not None:
            run.kill_all()
