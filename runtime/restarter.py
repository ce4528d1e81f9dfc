"""`restart: true` and the Flow's `reload` under `flowc run` (development, SPEC §5).

What is watched (through `watch.FileWatcher`, so `watchfiles` is imported only when something is):

- `restart: true` on an entry whose `uses` is an Executor YAML: that file, and the entry's
  Deployment YAML when it came from one (`flowc run flow.yml` only: a built `--plan DIR` has no
  Flow to compile again). A change restarts that deployment: all its shards × replicas, its head,
  its `uses_before`/`uses_after`, so the new YAML (perhaps naming another class) is served.
- `reload: true` in the Flow's `with:`: the Flow file and every file it includes (Executor and
  Deployment YAMLs). A change compiles the Flow again; with errors, they are printed as `flowc
  validate` prints them and the running Flow stays; else the new Flow replaces it.

How a change is applied, so that a broken edit never takes down what works: the new processes
start beside the old ones, on free ports; only once all are SERVING does a new gateway start
(on the same port: gRPC servers bind with SO_REUSEPORT, so both listen for a moment and no
request is refused), and only once it is SERVING are the old gateway and the replaced processes
stopped, finishing the requests they hold. If a new process exits (bad YAML, a missing class,
`__init__` raising) or is not ready in the entry's `timeout_ready`, the new ones are stopped and
the old ones go on serving; the log says why. A file saved without a change in its content
(or changed back to what runs) restarts nothing.
"""

from __future__ import annotations

import hashlib
import os
import queue
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from flowc.compiler.argv import port_key
from flowc.compiler.plan import Plan

from .launch_plan import in_process_plan, processes
from .readiness import notify_supported
from .supervisor import Child, LaunchError, Supervisor
from .watch import FileWatcher, real


@dataclass
class Layout:
    """How the running Flow's processes are made: enough to make them again on other ports."""

    plan: Plan
    plan_path: str  # as the processes' `--plan` says it
    base_dir: str  # as the processes' `--base-dir` says it
    files_base: Path  # the same, absolute: where executor files are found
    host: str
    work_dir: Path | None = None  # where new plan files go (None: `--plan DIR`, never rewritten)
    written: int = 0


@dataclass
class Watches:
    """Which files are watched and what a change to each one does."""

    executor_files: dict[str, tuple[str, ...]] = field(default_factory=dict)  # → deployments
    deployment_files: dict[str, tuple[str, ...]] = field(default_factory=dict)  # → deployments
    flow_files: frozenset[str] = frozenset()  # Flow `reload`: the Flow file and its includes
    flow_file: str | None = None

    @property
    def files(self) -> list[str]:
        return sorted(set(self.executor_files) | set(self.deployment_files) | self.flow_files)


REUSE_PORT = "--reuse-port"  # the gateway's flag: a new gateway may bind the old one's port


def share_gateway_port(processes: list[dict[str, Any]]) -> None:
    """Let the gateway of a launch plan share its port with its successor (SO_REUSEPORT on
    both: the old gateway must have it too)."""
    for process in processes:
        if process["kind"] == "gateway" and REUSE_PORT not in process["argv"]:
            process["argv"] = [*process["argv"], REUSE_PORT]


def wanted(plan: Plan, compiled: Any = None) -> bool:
    """Whether anything is to be watched (cheap: decides whether this module is needed)."""
    return any(d.restart for d in plan.deployments) or flow_reload(compiled)


def flow_reload(compiled: Any) -> bool:
    resolved = getattr(compiled, "resolved", None)
    return bool(resolved is not None and resolved.get("reload"))


def watches_for(plan: Plan, files_base: Path, compiled: Any = None) -> Watches:
    """The files `restart` and Flow `reload` watch, from the plan (and the compiled Flow)."""
    executor_files: dict[str, tuple[str, ...]] = {}
    for dep in plan.deployments:
        if dep.restart and dep.executor.kind == "file" and dep.executor.path:
            path = real(files_base / dep.executor.path)
            executor_files[path] = executor_files.get(path, ()) + (dep.name,)
    resolved = getattr(compiled, "resolved", None)
    if resolved is None:
        return Watches(executor_files)
    deployment_files: dict[str, tuple[str, ...]] = {}
    included: set[str] = set()
    restarting = {d.name for d in plan.deployments if d.restart}
    for entry in resolved.entries:
        for executor in (entry.executor, entry.uses_before, entry.uses_after):
            if executor is not None and executor.kind == "file" and executor.path:
                included.add(real(Path(resolved.base_dir) / executor.path))
        source = _deployment_file(entry, resolved, getattr(compiled, "kind", None))
        if source is not None:
            included.add(source)
            if entry.name in restarting:
                deployment_files[source] = deployment_files.get(source, ()) + (entry.name,)
    flow_file = real(resolved.source)
    flows = frozenset(included | {flow_file}) if flow_reload(compiled) else frozenset()
    return Watches(executor_files, deployment_files, flows, flow_file)


def _deployment_file(entry: Any, resolved: Any, kind: str | None) -> str | None:
    """The Deployment YAML an entry was written in, or None (written in the Flow file)."""
    if kind == "deployment":  # `flowc run deployment.yml`: the file is the one entry's
        return real(resolved.source)
    if not entry.include_chain:
        return None
    files = sorted({v.provenance.span.file for v in entry.values.values()
                    if v.provenance.kind == "file" and v.provenance.span is not None
                    and v.provenance.span.file})
    return real(files[0]) if files else None


def _digest(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _digests(files: list[str]) -> dict[str, str | None]:
    return {f: _digest(f) for f in files}


def show(path: str) -> str:
    """A path as the log shows it: relative to the working directory when inside it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


class Restarter:
    """Watches the files of `restart: true` entries and of a Flow with `reload: true`, and swaps
    processes on the supervisor's own thread (its `on_tick`), so nothing else races with it.

    Made before the processes start (it notes what their files contain then), started once
    they serve: an edit in between is still seen."""

    def __init__(self, supervisor: Supervisor, layout: Layout, *, compiled: Any = None,
                 recompile: Callable[[], Any] | None = None, in_process: bool = False):
        self.supervisor = supervisor
        self.layout = layout
        self.compiled = compiled
        self.recompile = recompile
        self.in_process = in_process
        self.watches = watches_for(layout.plan, layout.files_base, compiled)
        self.running = _digests(self.watches.files)  # file → digest of what is being served
        self._events: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
        self._watcher: FileWatcher | None = None
        self.share_port = notify_supported()  # READY=1 tells a new gateway from the old one
        self._raft_dir: Any = None  # `--plan DIR`: a private folder for new Raft peers files
        self._raft_files = 0

    # -- watching ---------------------------------------------------------------------------
    def start(self) -> "Restarter":
        self._watch()
        self.supervisor.on_tick = self.tick
        return self

    def close(self) -> None:
        self.supervisor.on_tick = None
        if self._watcher is not None:
            self._watcher.stop()
        if self._raft_dir is not None:
            self._raft_dir.cleanup()

    def _watch(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        files = self.watches.files
        if not files:
            self._say("restart: true has no Executor YAML to watch here; nothing is watched")
            self._watcher = None
            return
        self._watcher = FileWatcher(files, self._events.put, self._say).start()
        shown = ", ".join(show(f) for f in files[:4]) + (", ..." if len(files) > 4 else "")
        self._say(f"watching {len(files)} file(s) for changes: {shown}")

    def _say(self, message: str) -> None:
        self.supervisor.log(message)

    def tick(self) -> None:
        """Apply the changes seen since the last tick (called by `Supervisor.watch`)."""
        changed: set[str] = set()
        while True:
            try:
                changed.update(self._events.get_nowait())
            except queue.Empty:
                break
        fresh = sorted(p for p in changed if p in self.running
                       and _digest(p) != self.running[p])
        if not fresh or self.supervisor.stopping.is_set():
            return
        try:
            self._apply(fresh)
        except Exception as exc:  # never a traceback: say it, keep what runs
            self._say(f"could not apply the change ({type(exc).__name__}: {exc}); "
                      "the running processes keep serving")

    # -- deciding ---------------------------------------------------------------------------
    def _apply(self, changed: list[str]) -> None:
        w = self.watches
        for path in changed:
            if path in w.flow_files and path not in w.executor_files:
                return self._reload_flow(path)
        targets: dict[str, str] = {}
        needs_compile = False
        for path in changed:
            for name in w.executor_files.get(path, ()):
                self._say(f"change in executor configuration YAML {show(path)} observed, "
                          f"restarting deployment {name}")
                targets.setdefault(name, path)
            for name in w.deployment_files.get(path, ()):
                self._say(f"change in Deployment YAML {show(path)} observed, restarting "
                          f"deployment {name}")
                targets.setdefault(name, path)
                needs_compile = True
        if not targets:
            return
        plan, plan_path = self.layout.plan, self.layout.plan_path
        if needs_compile:
            plan = self._spliced(plan, set(targets))
            if plan is None:
                return
            plan_path = self._write_plan(plan)
        names = sorted(n for n in targets if n in {d.name for d in plan.deployments})
        if not names:
            return
        served = _digests(changed)  # before the new processes read them
        if self._swap(plan, plan_path, set(names), f"restarting deployment {', '.join(names)}"):
            self.running.update(served)
            self._say(f"deployment {', '.join(names)} restarted; serving at "
                      f"grpc://{self.supervisor.address}")

    def _spliced(self, plan: Plan, names: set[str]) -> Plan | None:
        """The running plan with the entries `names` taken from the Flow compiled again."""
        result = self.recompile() if self.recompile is not None else None
        if result is None or result.plan is None:
            self._say(f"the Flow has errors (above); deployment {', '.join(sorted(names))} "
                      "keeps serving as it was")
            return None
        new = in_process_plan(result.plan)[0] if self.in_process else result.plan
        fresh = {d.name: d for d in new.deployments if d.name in names}
        for name in sorted(names - set(fresh)):
            self._say(f"entry {name!r} is no longer in the Flow: it keeps running as it was "
                      "(set `reload: true` on the Flow to follow such changes)")
        return replace(plan, deployments=tuple(fresh.get(d.name, d) for d in plan.deployments))

    def _reload_flow(self, path: str) -> None:
        what = "Flow YAML" if path == self.watches.flow_file else "file included by the Flow"
        self._say(f"change in {what} {show(path)} observed, reloading the Flow")
        result = self.recompile() if self.recompile is not None else None
        if result is None or result.plan is None:
            self._say("the changed Flow has errors (above); the previous Flow keeps serving")
            return
        plan = result.plan
        if self.in_process:
            plan, notes = in_process_plan(plan)
            for note in notes:
                self._say(note)
        port = int(self.supervisor.gateway["port"])
        fixed = dict(zip(plan.gateway.protocols, plan.gateway.ports)).get("grpc")
        if fixed is not None and fixed != port:
            self._say(f"the gateway keeps port {port} (restart flowc run to use {fixed})")
        watches = watches_for(plan, self.layout.files_base, result)
        served = _digests(watches.files)  # before the new processes read them
        if self._swap(plan, self._write_plan(plan), None, "reloading the Flow"):
            self.compiled, self.watches, self.running = result, watches, served
            self._watch()
            self._say(f"Flow reloaded: {len(self.supervisor.children)} process(es) serving at "
                      f"grpc://{self.supervisor.address}")

    def _write_plan(self, plan: Plan) -> str:
        layout = self.layout
        assert layout.work_dir is not None, "only `flowc run flow.yml` compiles again"
        layout.written += 1
        path = layout.work_dir / f"plan-{layout.written}.json"
        path.write_text(plan.to_json(), encoding="utf-8")
        return str(path)

    # -- swapping ---------------------------------------------------------------------------
    def _swap(self, plan: Plan, plan_path: str, names: set[str] | None, what: str) -> bool:
        """Replace the processes of the deployments `names` (None: every one) and the gateway
        with processes of `plan`, new ones first; False when the old ones keep serving."""
        sup = self.supervisor
        running = [c for c in sup.children if not c.retired]
        old_gateway = [c for c in running if c.kind == "gateway"]
        replaced = [c for c in running if c.kind != "gateway"
                    and (names is None or c.name.split("/")[0] in names)]
        gone = {id(c) for c in replaced}
        keep = {c.name: c.port for c in running if c.kind != "gateway" and id(c) not in gone}
        keep[plan.gateway.name] = int(sup.gateway["port"])
        for purpose, number in (sup.gateway.get("ports") or {}).items():  # HTTP, WebSocket
            keep[port_key(plan.server(plan.gateway.name), purpose)] = int(number)
        procs = self._processes(plan, plan_path, keep)
        fresh = [Child(p.name, p.kind, p.port, list(p.argv)) for p in procs
                 if p.kind != "gateway" and p.name not in keep]
        gateway = next(Child(p.name, p.kind, p.port, list(p.argv) + [REUSE_PORT])
                       for p in procs if p.kind == "gateway")
        timeout = self._timeout(plan, names)
        down = self._stop_stateful(replaced)
        sup.children.extend(fresh)  # so that stop() stops them too, whatever happens here
        try:
            sup.spawn_ready(fresh, timeout)
        except LaunchError as exc:
            sup.retire(fresh)
            kept = f"; {', '.join(down)} stays down" if down else ""
            self._say(f"{what} failed: {exc}; the previous processes keep serving{kept} "
                      "(save the file again to retry)")
            return False
        except BaseException:
            sup.retire(fresh)
            raise
        if sup.stopping.is_set() or not self._start_gateway(gateway, old_gateway, timeout, what):
            sup.retire(fresh)
            return False
        sup.retire(old_gateway + replaced)
        self.layout = replace(self.layout, plan=plan, plan_path=plan_path)
        return True

    def _stop_stateful(self, replaced: list[Child]) -> list[str]:
        """Stop the old replicas of `stateful: true` entries now, before the new ones start:
        the two generations would share one Raft data directory. Those entries do not answer
        until their new replicas are up (the log says so)."""
        stateful = {d.name for d in self.layout.plan.deployments if d.stateful}
        old = [c for c in replaced if c.name.split("/")[0] in stateful]
        names = sorted({c.name.split("/")[0] for c in old})
        if old:
            self._say(f"{', '.join(names)}: stateful, so the old replicas stop first (a Raft "
                      "log cannot be shared); requests to it fail until the new ones serve")
            self.supervisor.retire(old)
        return names

    def _start_gateway(self, new: Child, old: list[Child], timeout: float, what: str) -> bool:
        """Start the new gateway beside the old one (a shared port); where the port cannot be
        shared, stop the old one first and, should the new one fail, start the old one again."""
        sup = self.supervisor
        sup.children.append(new)
        if self.share_port:
            try:
                sup.spawn_ready([new], timeout, probe=False)
                return not sup.stopping.is_set()
            except LaunchError as exc:
                if "cannot listen on" not in str(exc) or sup.stopping.is_set():
                    sup.retire([new])
                    self._say(f"{what} failed: {exc}; the previous processes keep serving "
                              "(save the file again to retry)")
                    return False
        self._say("the gateway's port cannot be shared: stopping the previous gateway first "
                  "(requests are refused until the new one listens)")
        sup.retire(old)
        try:
            sup.spawn_ready([new], timeout)
            return True
        except LaunchError as exc:
            sup.retire([new])
            self._say(f"{what} failed: {exc}; starting the previous gateway again")
        revived = [Child(c.name, c.kind, c.port, list(c.argv)) for c in old]
        sup.children.extend(revived)
        try:
            sup.spawn_ready(revived, timeout)
        except LaunchError as exc:  # it stays supervised: restarted with backoff until it runs
            self._say(f"the previous gateway did not start again either: {exc}")
        return False

    def _processes(self, plan: Plan, plan_path: str, keep: dict[str, int]) -> list[Any]:
        """The plan's processes: those in `keep` on their ports, the others on free ones."""
        layout = self.layout
        return processes(plan, plan_path=plan_path, base_dir=layout.base_dir, host=layout.host,
                         raft_peers=self._raft_peers_path(), ports=keep)

    def _raft_peers_path(self) -> Path:
        """A new Raft peers file for the processes made now (running ones keep reading theirs,
        also after a crash and restart, so no file is ever rewritten)."""
        if self.layout.work_dir is None and self._raft_dir is None:
            self._raft_dir = tempfile.TemporaryDirectory(prefix="flowc-raft-")
        folder = self.layout.work_dir or Path(self._raft_dir.name)
        self._raft_files += 1
        return folder / f"raft-peers-{self._raft_files}.json"

    def _timeout(self, plan: Plan, names: set[str] | None) -> float:
        """Seconds the new processes get: the longest `timeout_ready` among them (−1: the
        supervisor's own limit)."""
        limits = [d.timeout_ready for d in plan.deployments if names is None or d.name in names]
        if not limits or any(t is None or t < 0 for t in limits):
            return self.supervisor.ready_timeout
        return max(limits) / 1000 or self.supervisor.ready_timeout
