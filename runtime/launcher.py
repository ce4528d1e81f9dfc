"""Running a Flow on this machine: `flowc run` (`prepare_run` → `FlowRun`) and the Python `Flow`
(`start` → `FlowHandle`). Both build a launch plan (`launch_plan.py`) and hand it to the
`Supervisor` (`supervisor.py`); `flowc run` also watches files for `restart: true` entries and a
Flow with `reload: true` (`restarter.py`). Nothing here prints what the user reads about the run
itself or decides an exit code: that is `flowc.compiler.cli`'s; errors are `LaunchPlanError`
and `supervisor.LaunchError`. The processes' own lines go to the stream the caller gives.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, TextIO

from flowc.compiler.launch import metrics_addresses
from flowc.compiler.plan import Plan

from .launch_plan import (PLAN_FILE, RAFT_PEERS_FILE, gateway_moved_to, in_process_plan,
                          launch_from_plan, port_taken)
from .restarter import Layout, Restarter, share_gateway_port, wanted
from .supervisor import LaunchError, Supervisor

__all__ = ["FlowHandle", "FlowRun", "LaunchError", "LaunchPlanError", "prepare_run", "start"]


class LaunchPlanError(Exception):
    """`flowc run --plan DIR`: DIR holds no readable launch plan."""


class FlowRun:
    """One `flowc run`: `start()` (seconds until every process serves), `supervise()` (until
    `request_stop()`, e.g. from a signal handler), `stop()`, and `close()` last of all."""

    def __init__(self, plan: Plan, launch: dict[str, Any], *, cwd: Path, layout_args: dict,
                 out: TextIO, notes: list[str], work: tempfile.TemporaryDirectory | None,
                 compiled: Any, recompile: Callable[[], Any] | None, in_process: bool):
        self.launch = launch
        self.notes = notes  # what differs from the Flow as written (`--in-process`)
        self._work = work
        watching = wanted(plan, compiled)
        if watching:  # a restart starts a new gateway beside the old one, on its port
            share_gateway_port(launch["processes"])
        self.supervisor = Supervisor(launch, cwd=cwd, out=out)
        self.restarter: Restarter | None = None
        if watching:  # made now: it notes what the files hold as the processes start
            layout = Layout(plan, host=launch["gateway"]["host"], **layout_args)
            self.restarter = Restarter(self.supervisor, layout, compiled=compiled,
                                       recompile=recompile, in_process=in_process)
        self.stop_requested = threading.Event()

    @property
    def flow(self) -> str:
        return self.launch["flow"]

    @property
    def address(self) -> str:
        return self.supervisor.address

    @property
    def addresses(self) -> list[str]:
        """Every address the gateway serves, as URLs: `grpc://h:p`, then `http://h:p` ..."""
        gateway = self.supervisor.gateway
        ports = gateway.get("ports") or {"grpc": gateway["port"]}
        tls = bool(gateway.get("tls"))  # ssl_certfile: HTTPS / WSS
        scheme = {"http": "https" if tls else "http", "websocket": "wss" if tls else "ws"}
        return [f"{scheme.get(p, p)}://{gateway['host']}:{n}" for p, n in ports.items()]

    @property
    def metrics(self) -> dict[str, str]:
        """{server: its Prometheus `/metrics` URL} for the servers with `monitoring: true`."""
        return supervisor_metrics(self.supervisor)

    def start(self) -> float:
        """Start every process; the seconds until all serve. LaunchError when the gateway's
        port is taken, or a process exits or is late during start-up (all are stopped then)."""
        gateway = self.launch["gateway"]
        busy = port_taken(gateway["host"], int(gateway["port"]))
        if busy:
            raise LaunchError(f"the gateway's port {gateway['port']} is taken ({busy}); stop what "
                              "uses it or choose another port (--port)")
        started = time.monotonic()
        self.supervisor.start()
        return time.monotonic() - started

    def request_stop(self) -> None:
        """Safe from a signal handler: `supervise()` returns soon after."""
        self.stop_requested.set()
        self.supervisor.stopping.set()

    def supervise(self) -> None:
        """Restart what exits, apply watched changes, until `request_stop()`."""
        if self.restarter is not None:
            self.restarter.start()
        self.supervisor.watch()

    def stop(self) -> None:
        self.supervisor.stop()

    def close(self) -> None:
        if self.restarter is not None:
            self.restarter.close()
        if self._work is not None:
            self._work.cleanup()


def prepare_run(plan: Plan | None, *, base_dir: Path, plan_dir: Path | None = None,
                in_process: bool = False, port: int | None = None, compiled: Any = None,
                recompile: Callable[[], Any] | None = None, out: TextIO = sys.stderr) -> FlowRun:
    """`flowc run`: the processes of `plan` on free ports (or of the launch plan in `plan_dir`,
    which fixes them: `in_process` does not apply; `port` moves its gateway, with a note), not
    started yet.

    `compiled` (the Flow's `CompileResult`) and `recompile` (compile it again, printing its
    diagnostics; None when it has errors) serve the Flow's `reload`; see restarter.py."""
    if plan_dir is not None:
        try:  # the launch plan, and the plan itself: its `restart` entries are watched
            launch = json.loads((plan_dir / "launch.json").read_text(encoding="utf-8"))
            plan = Plan.from_json((plan_dir / launch["plan"]).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LaunchPlanError(f"cannot read the launch plan in {plan_dir} (written by "
                                  f"`flowc build --target local`): {exc}") from None
        notes = []
        if port is not None and port != launch["gateway"]["port"]:
            try:
                moved = gateway_moved_to(launch, port, plan_dir / RAFT_PEERS_FILE)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                raise LaunchPlanError(f"cannot move the gateway of {plan_dir / 'launch.json'} to "
                                      f"--port {port}: {exc}") from None
            notes.append(f"the gateway listens on port {port} (--port), not on "
                         f"{launch['gateway']['port']} as {plan_dir / 'launch.json'} says")
            launch = moved
        layout_args = {"plan_path": launch["plan"], "base_dir": launch["base_dir"],
                       "files_base": (plan_dir / launch["base_dir"]).resolve()}
        return FlowRun(plan, launch, cwd=plan_dir, layout_args=layout_args, out=out, notes=notes,
                       work=None, compiled=compiled, recompile=recompile, in_process=False)
    assert plan is not None
    notes: list[str] = []
    if in_process:
        plan, notes = in_process_plan(plan)
    work = tempfile.TemporaryDirectory(prefix="flowc-run-")
    try:
        cwd = Path(work.name)
        absolute = Path(base_dir).resolve()
        launch = launch_from_plan(plan, base_dir=absolute, work_dir=cwd, gateway_port=port)
        layout_args = {"plan_path": str(cwd / PLAN_FILE), "base_dir": str(absolute),
                       "files_base": absolute, "work_dir": cwd}
        return FlowRun(plan, launch, cwd=cwd, layout_args=layout_args, out=out, notes=notes,
                       work=work, compiled=compiled, recompile=recompile, in_process=in_process)
    except BaseException:
        work.cleanup()
        raise


class FlowHandle:
    """A running Flow for the Python API: `.client`, `.address`, `.stop()`; a context manager."""

    def __init__(self, supervisor: Supervisor, cleanup: Callable[[], None]):
        self.supervisor = supervisor
        self._cleanup = cleanup
        self._watcher = threading.Thread(target=supervisor.watch, daemon=True)
        self._watcher.start()
        self._client: Any = None

    @property
    def address(self) -> str:
        return self.supervisor.address

    @property
    def metrics(self) -> dict[str, str]:
        """{server: its Prometheus `/metrics` URL} for the servers with `monitoring: true`."""
        return supervisor_metrics(self.supervisor)

    @property
    def port(self) -> int:
        return int(self.supervisor.gateway["port"])

    @property
    def client(self) -> Any:
        """The runtime's `Client` to this Flow's gateway, made on first use."""
        if self._client is None:
            # imported here: 90 ms (-X importtime) that `flowc run` never needs
            from .client import Client

            self._client = Client(host=self.supervisor.gateway["host"], port=self.port)
        return self._client

    def post(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.post(*args, **kwargs)

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        self.supervisor.stop()
        self._watcher.join(timeout=2)
        self._cleanup()

    def __enter__(self) -> "FlowHandle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(plan: Plan, *, base_dir: Path, in_process: bool = False, port: int | None = None,
          quiet: bool = True, out: TextIO = sys.stderr) -> FlowHandle:
    """Start a Flow from its plan (the Python `Flow`) and return once every process is
    SERVING; LaunchError names a process that did not start."""
    work = tempfile.TemporaryDirectory(prefix="flowc-run-")
    try:
        if in_process:
            plan = in_process_plan(plan)[0]
        launch = launch_from_plan(plan, base_dir=Path(base_dir).resolve(),
                                  work_dir=Path(work.name), gateway_port=port)
        supervisor = Supervisor(launch, cwd=Path(work.name), out=out, quiet=quiet)
        supervisor.start()
    except BaseException:
        work.cleanup()
        raise
    return FlowHandle(supervisor, work.cleanup)


def supervisor_metrics(supervisor: Supervisor) -> dict[str, str]:
    """{server: `/metrics` URL} of a running Flow's processes that serve one, in start order."""
    return metrics_addresses([{"name": c.name, "argv": c.argv} for c in supervisor.children])
