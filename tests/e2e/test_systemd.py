"""The systemd target's output installs with its generated `install.sh` on a machine where systemd
is PID 1 (a container of localhost/flowc-e2e-systemd), and then:

- every unit instance is active, and `systemd-analyze security` rates each below 2.0 there;
- the e2e Flow `fanout` answers right (shards, replicas, `when`, the floating entry's journal);
- `systemctl stop <flow>.target` while a request is in flight lets it finish: the client gets
  its answer, and every unit ends inactive.

The output folder and the Flow's folder are mounted read-only at their own paths, so install.sh
finds the Flow where `flowc build` saw it, as on the machine that built it. pip's cache is kept
in /var/tmp between runs (a warm run downloads nothing). The container is removed, also on
failure.
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e import flowrun

pytestmark = pytest.mark.e2e

PIP_CACHE = Path("/var/tmp/flowc-e2e-pip-cache")
FLOW = flowrun.FANOUT
NAME = "fanout"
ADDRESS = "127.0.0.1:54322"  # the gateway, inside the container (`with: port:` of the Flow)
FLOWC = "/opt/flowc/bin/flowc"  # installed by install.sh into the runtime virtualenv


class Machine:
    """A systemd-as-PID-1 container and commands run inside it."""

    def __init__(self, name: str, env: dict[str, str]):
        self.name, self.env = name, env

    def exec(self, *args: str, timeout: float = 120, check: bool = True,
             workdir: Path | None = None) -> subprocess.CompletedProcess:
        where = ["--workdir", str(workdir)] if workdir else []
        return flowrun.run(["podman", "exec", *where, self.name, *args], env=self.env,
                           timeout=timeout, check=check)

    def wait_for_systemd(self, timeout: float = 60) -> str:
        """`systemctl is-system-running --wait` once systemd's bus exists (exec can be early)."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.exec("systemctl", "is-system-running", "--wait", check=False,
                               timeout=timeout)
            if "Failed to connect to bus" not in result.stderr or time.monotonic() > deadline:
                return result.stdout.strip() or result.stderr.strip()
            time.sleep(0.2)

    def units(self) -> dict[str, str]:
        """Every loaded `fanout-*` unit instance and its active state."""
        listed = self.exec("systemctl", "list-units", "--all", "--plain", "--no-legend",
                           f"{NAME}-*").stdout
        return {line.split()[0]: line.split()[2] for line in listed.splitlines() if line.strip()}

    def journal(self, unit: str) -> str:
        return self.exec("journalctl", "--no-pager", "-o", "cat", "-u", unit).stdout


def test_systemd_units_install_harden_answer_and_drain(podman, tmp_path: Path) -> None:
    out = flowrun.flowc_build(FLOW, "systemd", tmp_path / "systemd")
    PIP_CACHE.mkdir(parents=True, exist_ok=True)
    machine = Machine(f"flowc-e2e-systemd-{uuid.uuid4().hex[:8]}", podman.env)
    try:
        # CAP_SYS_ADMIN: without it systemd silently skips the units' mount namespaces
        # (ProtectSystem=, PrivateTmp=) and DynamicUser= fails. CAP_SYS_PTRACE: with
        # ProtectProc=invisible + PrivateUsers= + DynamicUser=, systemd writes the uid map of a
        # process /proc hides from it, and fails without it (217/USER, "Failed to set up user
        # namespacing"; systemd#29656). A host's PID 1 has both (docs/e2e.md).
        flowrun.run(["podman", "run", "-d", "--name", machine.name, "--systemd=always",
                     "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE",
                     "-v", f"{out}:{out}:ro", "-v", f"{FLOW.parent}:{FLOW.parent}:ro",
                     "-v", f"{PIP_CACHE}:/root/.cache/pip",
                     podman.images.systemd, "/sbin/init"], env=podman.env)
        assert machine.wait_for_systemd() == "running"

        # The README's command, `sudo sh install.sh` (root already: no sudo in the container).
        machine.exec("sh", "install.sh", workdir=out, timeout=600)
        flowrun.wait_until(lambda: all(state == "active" for state in machine.units().values()),
                           120, "every unit active")
        units = machine.units()
        instances = sorted(unit for unit in units if unit.endswith(".service"))
        assert len(instances) == 8, units  # upper, 2x2 score, the head, audit, the gateway
        for unit in instances:
            rating = machine.exec("systemd-analyze", "security", "--no-pager", "--threshold=20",
                                  unit, check=False)
            assert rating.returncode == 0, f"{unit}: {rating.stdout[-600:]}"
            assert "Overall exposure level" in rating.stdout, rating.stdout[-600:]

        command = ["podman", "exec", machine.name, FLOWC]
        flowrun.wait_for_answer(ADDRESS, timeout=60, command=command)
        seen = flowrun.check_fanout(ADDRESS, command=command)
        assert {shard for shard, _ in seen} == {"shard_0", "shard_1"}
        assert {replica for _, replica in seen} == {"rep-0", "rep-1"}
        flowrun.wait_until(lambda: "audit: a b c" in machine.journal(f"{NAME}-audit@0"), 10,
                           "the floating entry's journal")

        # Drain: a 4 s request in flight when the Flow is stopped still gets its answer, and the
        # gateway's stop waited for it. (`systemctl stop` of the target returns once the
        # target's own job is done; the units' stop jobs run on, so the test waits for them.)
        slow = subprocess.Popen(
            [*command, "post", ADDRESS, "--on", "/slow", "--data", '["slow"]',
             "--parameters", '{"seconds": 4}'],
            env=podman.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            flowrun.wait_until(lambda: "slow: started" in machine.journal(f"{NAME}-upper@0"),
                               30, "the slow request to reach `upper`", interval=0.2)
            machine.exec("systemctl", "stop", f"{NAME}.target", timeout=120)
            answer, errors = slow.communicate(timeout=60)
        finally:
            if slow.poll() is None:
                slow.kill()
        assert slow.returncode == 0, errors
        assert '"text": "SLOW"' in answer, answer

        def states() -> list[str]:
            return machine.exec("systemctl", "is-active", *instances, check=False).stdout.split()

        flowrun.wait_until(lambda: "active" not in states() and "deactivating" not in states(),
                           60, "every unit stopped")
        assert states() == ["inactive"] * len(instances), dict(zip(instances, states()))
        stops = re.findall(r"stopped in ([0-9.]+) s", machine.journal(f"{NAME}-gateway@0"))
        assert stops and float(stops[-1]) >= 1.5, f"the gateway did not wait: {stops}"
    finally:
        flowrun.run(["podman", "rm", "-f", "-t", "5", machine.name], env=podman.env,
                    check=False)
