"""The test harnesses themselves (issue 8 §6): ports are never handed out twice, and a flow whose
start fails leaves no process behind."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flowc_gateway_harness import RunningFlow, compile_example  # noqa: E402
from tests.ports import HIGH, LOW, free_port, free_port_block  # noqa: E402


def test_ports_are_never_handed_out_twice_and_avoid_the_ephemeral_range():
    ports = [free_port() for _ in range(300)]
    base = free_port_block(10)
    given = ports + list(range(base, base + 10))
    assert len(set(given)) == len(given)
    assert all(LOW <= p < HIGH + 10 for p in given)


def test_a_failed_start_stops_every_process_it_started(tmp_path):
    flow = RunningFlow(compile_example("chain"), tmp_path, tmp_path / "run",
                       gateway_args=["--no-such-option"])
    with pytest.raises(AssertionError, match="processes exited"):
        flow.start(timeout=60)
    assert flow.procs, "the workers were started before the gateway failed"
    assert all(proc.poll() is not None for _, proc in flow.procs)
