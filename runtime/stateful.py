"""Stateful replicas (SPEC §5): `@write` requests go through a Raft log, everything else is local.

A worker started with `--raft-peers` wraps its `ExecutorHost` in a `StatefulHost`:

- a request for an `@write` endpoint is submitted to the Raft log (pysyncobj, raft.py) and
  answered once it is committed *and applied on this replica*: the caller gets the result as this
  replica computed it (replicas are deterministic, so every replica computes the same);
- every replica applies committed writes one at a time, in log order, through the same
  `ExecutorHost.process` a direct request uses (return values, errors and parameters behave as
  usual); writes that did not originate here are applied the same way, their answers dropped;
- any other request is served at once from this replica's state (it may lag the leader by the
  writes still in flight);
- the replica reports SERVING (its port opens) only once it has joined the cluster: a leader is
  known and the log is applied up to the leader's commit index;
- `snapshot(dir)` / `restore(dir)`, when the executor has both, bound the log: pysyncobj compacts
  it after `snapshot_threshold` entries into a snapshot archive (raft.py), which also brings a
  replica that joins late or restarts up to date; without them the log is kept whole.

A write whose submission fails (no leader, leader changed) is submitted again with the same
token until it is committed or its deadline passes (the request's timeout, else
`WRITE_TIMEOUT`); every replica skips an entry whose token it already applied (a window of the
last `DEDUP_WINDOW` tokens, kept in snapshots), so a write is applied once even when resubmitted.
The Raft data lives in `<workspace>/<name>/<shard_id>/raft/rep-<i>/`.

Peers authenticate each other with a password (FLOWC_RAFT_PASSWORD, taken out of the
environment before the executor is built; never on the command line): pysyncobj drops every
frame it cannot authenticate before unpickling it. The node listens on the replica's own
address (`--raft-host`, else its own entry in `--raft-peers`), never on every interface.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import concurrent.futures
import inspect
import itertools
import json
import os
import re
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .host import _settle as settle
from .proto import flowc_pb2

WRITE_TIMEOUT = 10.0  # seconds a write may wait for a leader when the request has no timeout
RESUBMIT_AFTER = 3.0  # seconds without the log's confirmation before a write is submitted again
DEDUP_WINDOW = 10_000  # tokens of applied writes every replica remembers
REPORT_EVERY = 10.0  # seconds between "still waiting for the Raft cluster" lines
SNAPSHOT_RETRY = 60.0  # seconds before a snapshot that failed is tried again


# -- command line -----------------------------------------------------------------------------

PASSWORD_ENV = "FLOWC_RAFT_PASSWORD"  # the only place a replica takes its Raft password from
MIN_PASSWORD = 16  # characters: shorter ones are refused (a guessable key encrypts nothing)


def add_raft_options(parser: argparse.ArgumentParser) -> None:
    """The worker's stateful options (targets pass them for `stateful: true` entries)."""
    parser.add_argument(
        "--raft-peers", default=None, metavar="JSON|@FILE",
        help='the Raft address of every replica of this shard, in replica order, e.g. '
             '["10.0.0.1:8081","10.0.0.2:8081","10.0.0.3:8081"], or @FILE: a JSON file '
             'mapping each stateful entry to its shards\' lists, {"kv": [["h:1","h:2"]]}, written '
             'once for the whole Flow; makes the replica stateful. The Raft password comes from '
             f'the environment variable {PASSWORD_ENV} (never from the command line)')
    parser.add_argument(
        "--raft-host", default=None, metavar="HOST",
        help="the address the Raft node listens on (default: the host of this replica's own "
             "address in --raft-peers, e.g. 127.0.0.1, or a container's name resolving to it)")
    parser.add_argument(
        "--replica-from-hostname", action="store_true",
        help="take the replica id from the number ending the host name (a StatefulSet pod's "
             "ordinal, as in enc-2)")


def finish_raft_args(args: argparse.Namespace, parser: argparse.ArgumentParser
                     ) -> argparse.Namespace:
    """Check the stateful options (a usage error names the problem) and fill `args.replica`."""
    if args.replica_from_hostname:
        host = socket.gethostname()
        match = re.search(r"-(\d+)$", host)
        if match is None:
            parser.error(f"--replica-from-hostname: the host name {host!r} does not end in "
                         "-<number>")
        args.replica = int(match.group(1))
    if args.raft_peers is not None:
        peers = _peers(args, parser)
        if (not isinstance(peers, list) or not peers
                or not all(isinstance(p, str) and _ADDRESS.fullmatch(p) for p in peers)):
            parser.error("--raft-peers takes a JSON list of host:port strings")
        if len(set(peers)) != len(peers):
            parser.error("--raft-peers names the same address twice")
        if not 0 <= args.replica < len(peers):
            parser.error(f"--replica {args.replica} has no address in --raft-peers "
                         f"({len(peers)} given)")
        if args.role != "executor":
            parser.error(f"--raft-peers is for executor replicas, not {args.role}")
        args.raft_peers = tuple(peers)
    elif args.raft_host is not None:
        parser.error("--raft-host needs --raft-peers")
    return args


def _peers(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Any:
    """The shard's address list: given inline, or picked from a Flow's peers file by entry
    and shard (so a Flow of N replicas writes N addresses once, not N times N)."""
    text = args.raft_peers
    if not text.startswith("@"):
        try:
            return json.loads(text)
        except ValueError as exc:
            parser.error(f"--raft-peers is not JSON: {exc}")
    path = text[1:]
    try:
        groups = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        parser.error(f"--raft-peers: cannot read {path}: {exc.strerror or exc}")
    except ValueError as exc:
        parser.error(f"--raft-peers: {path} is not JSON: {exc}")
    shards = groups.get(args.deployment) if isinstance(groups, dict) else None
    if not isinstance(shards, list) or not 0 <= args.shard < len(shards):
        parser.error(f"--raft-peers: {path} has no addresses for shard {args.shard} of "
                     f"{args.deployment!r}")
    return shards[args.shard]


class RaftPasswordError(ValueError):
    """A stateful replica was started without a usable Raft password."""


def take_password(environ: Any = None) -> str:
    """The Raft password from FLOWC_RAFT_PASSWORD, removed from the environment so that the
    executor's code and the processes it starts never see it; RaftPasswordError when it is
    missing or too short (the message never holds the value)."""
    environ = os.environ if environ is None else environ
    password = environ.pop(PASSWORD_ENV, None)
    if not password:
        raise RaftPasswordError(
            f"a stateful replica needs the Raft password in {PASSWORD_ENV} (every replica of "
            "the shard the same; the targets wire it: a secret, a credential or flowc run's "
            "per-run value), so that only its peers can talk to its Raft port")
    if len(password) < MIN_PASSWORD:
        raise RaftPasswordError(f"the Raft password in {PASSWORD_ENV} has {len(password)} "
                                f"characters; at least {MIN_PASSWORD} are needed")
    return password


_ADDRESS = re.compile(r"^[A-Za-z0-9_.-]+:\d{1,5}$")


@dataclass(frozen=True)
class RaftSettings:
    """Where this replica's Raft node listens, who its peers are, where its data goes."""

    peers: tuple[str, ...]  # every replica's address, in replica order (node identities)
    index: int  # this replica's place in `peers`
    bind: str  # host:port the node listens on
    directory: Path
    configuration: dict = field(default_factory=dict)  # the entry's raft_configuration
    password: str = field(default="", repr=False)  # authenticates and encrypts peer traffic

    @property
    def address(self) -> str:
        return self.peers[self.index]


def raft_settings(args: argparse.Namespace, plan: Any, executor: Any,
                  password: str = "") -> RaftSettings | None:
    """The stateful settings of a worker's arguments, or None when it is not stateful. The
    node listens on `--raft-host`, else on its own peer address's host (127.0.0.1 on one
    machine; a container's name resolves to the container's own address), never 0.0.0.0."""
    if not getattr(args, "raft_peers", None):
        return None
    peers = tuple(args.raft_peers)
    own_host, port = peers[args.replica].rsplit(":", 1)
    directory = Path(executor.workspace) / "raft" / f"rep-{args.replica}"
    configuration = dict(getattr(plan.deployment(args.deployment), "raft_configuration", None)
                         or {})
    configuration.pop("password_from_secret", None)  # the k8s target's business
    host = getattr(args, "raft_host", None) or own_host
    return RaftSettings(peers, args.replica, f"{host}:{port}", directory, configuration,
                        password)


# -- the host ---------------------------------------------------------------------------------

class RaftUnavailable(RuntimeError):
    """A write could not be committed in time (no leader, too few replicas up)."""


class StatefulHost:
    """An `ExecutorHost` whose `@write` requests are replicated through Raft (module docstring).

    Start it with `await start()`, wait for `await join(stop)` before serving; `close()` stops
    the Raft node, then the inner host (the executor's `close()`)."""

    def __init__(self, inner: Any, settings: RaftSettings, *,
                 log: Callable[[str], None]) -> None:
        self.inner = inner
        self.settings = settings
        self._log = log
        self._node: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._applier: asyncio.Task | None = None
        self._waiting: dict[str, asyncio.Future] = {}  # token → the answer its caller awaits
        self._applied: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._tokens = itertools.count()
        self._nonce = os.urandom(6).hex()  # tokens of this process never repeat an earlier one's
        self._closing = False
        self._closed = False
        self._snapshot_retry_at = 0.0
        unbatched = inner.unbatch_writes()
        if unbatched:
            log(f"dynamic batching is off for {', '.join(unbatched)}: a replicated write is "
                "applied on its own, in the log's order")
        executor = inner.executor
        self.compaction = _has(executor, "snapshot") and _has(executor, "restore")
        if _has(executor, "snapshot") != _has(executor, "restore"):
            log("the executor defines only one of snapshot()/restore(); both are needed to "
                "compact the Raft log, so it is kept whole")

    # -- what the worker uses of a host ----------------------------------------------------
    @property
    def executor(self) -> Any:
        return self.inner.executor

    @property
    def runtime_name(self) -> str:
        return self.inner.runtime_name

    @property
    def busy_threads(self) -> int:
        return self.inner.busy_threads

    @property
    def inflight(self) -> int:
        return self.inner.inflight

    @property
    def on_fatal(self) -> Any:
        return self.inner.on_fatal

    @on_fatal.setter
    def on_fatal(self, callback: Any) -> None:
        self.inner.on_fatal = callback

    def endpoints(self) -> Any:
        return self.inner.endpoints()

    def flush_batches(self) -> None:
        self.inner.flush_batches()

    # -- start-up ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the Raft node and the applier; OSError/ValueError with a sentence if it fails."""
        from . import raft  # pysyncobj: 20 ms that a worker without `stateful: true` never pays

        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._applier = asyncio.create_task(self._apply_loop())
        settings = self.settings
        raft.configure_logging(settings.configuration, self.runtime_name)
        raft.clear_stale(settings.directory)
        self._node = raft.start_node(
            address=settings.address, partners=list(settings.peers), bind=settings.bind,
            directory=settings.directory, raft_configuration=settings.configuration,
            password=settings.password,
            on_commit=self._on_commit,
            serializer=self._serialize if self.compaction else None,
            deserializer=self._deserialize if self.compaction else None,
            on_leadership=lambda leading: self._log(
                "now the Raft leader" if leading else "no longer the Raft leader"))
        others = [p for p in settings.peers if p != settings.address]
        self._log(f"Raft node on {settings.bind} as {settings.address} (replica "
                  f"{settings.index} of {len(settings.peers)}; peers: "
                  f"{', '.join(others) or 'none'}); data in {settings.directory}; log "
                  f"compaction {'on' if self.compaction else 'off (no snapshot/restore)'}")

    async def join(self, stop: asyncio.Event) -> bool:
        """Wait until a leader is known and the log applied up to its commit index; False when
        `stop` is set first."""
        next_report = time.monotonic() + REPORT_EVERY
        while not stop.is_set():
            if self._node.joined():
                await self._drain()
                self._log(f"joined the Raft cluster (leader {self._node.leader()})")
                return True
            if time.monotonic() > next_report:
                next_report += REPORT_EVERY
                self._log("still waiting for the Raft cluster: " + self._status())
            try:
                await asyncio.wait_for(stop.wait(), 0.05)
            except asyncio.TimeoutError:
                pass
        return False

    def _status(self) -> str:
        status = self._node.getStatus()
        up = [p for p in self.settings.peers
              if p != self.settings.address
              and status.get(f"partner_node_status_server_{p}") == 2]
        return (f"leader {status.get('leader') or 'unknown'}, connected to {len(up)} of "
                f"{len(self.settings.peers) - 1} peers, term {status.get('raft_term')}")

    # -- requests ---------------------------------------------------------------------------
    async def process(self, request: Any) -> Any:
        """Reads at once, from this replica's state; writes through the log (docstring)."""
        if not self.inner.writes(request):
            return await self.inner.process(request)
        return await self._write(request)

    async def _write(self, request: Any) -> Any:
        from . import raft  # loaded by start(); a stateful replica's only

        token = f"{self._nonce}-{next(self._tokens)}"
        answer = self._loop.create_future()
        self._waiting[token] = answer
        payload = request.SerializeToString()
        # answer a little before the caller's own deadline, so it gets the reason, not a timeout
        limit = (request.header.timeout_ms / 1000 * 0.9 if request.header.timeout_ms
                 else WRITE_TIMEOUT)
        deadline = time.monotonic() + limit
        reason = raft.REASONS[raft.FAIL_REASON.MISSING_LEADER]
        pause = 0.05
        try:
            while not answer.done():
                left = deadline - time.monotonic()
                if left <= 0:
                    return self.inner.error_answer(request, RaftUnavailable(
                        f"the write was not committed within {limit:g} s: {reason}"))
                code = await self._submit(token, payload, min(left, RESUBMIT_AFTER))
                if code == raft.SUCCESS or answer.done():
                    break  # committed: the applier answers once it has applied the entry
                if code is not None:
                    reason = raft.REASONS.get(code, f"Raft error {code}")
                await self._drain()  # the entry may have been applied all the same
                if not answer.done():
                    await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                    pause = min(pause * 2, 0.5)
            return await answer
        finally:
            self._waiting.pop(token, None)

    async def _submit(self, token: str, payload: bytes, timeout: float) -> int | None:
        """Submit one entry; pysyncobj's outcome code, or None when it gave none in time."""
        outcome = self._loop.create_future()
        loop = self._loop

        def done(_result: Any, error: int) -> None:  # pysyncobj's thread: the code is the result
            loop.call_soon_threadsafe(settle, outcome, error, None)

        self._node.commit(token, payload, callback=done)
        try:
            return await asyncio.wait_for(outcome, timeout)
        except asyncio.TimeoutError:
            return None

    # -- applying the log -------------------------------------------------------------------
    def _on_commit(self, token: str, payload: bytes) -> None:
        """pysyncobj's thread, for every committed entry in log order: queue it, return."""
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, ("write", token, payload))
        except RuntimeError:  # the loop is closed: the process is stopping
            pass

    async def _apply_loop(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if item[0] == "write":
                    await self._apply(item[1], item[2])
                else:
                    _, work, done = item
                    try:
                        result = await work()
                    except Exception as exc:
                        done.set_exception(exc)
                    else:
                        done.set_result(result)
            except Exception as exc:  # never lose the applier: report and go on
                self._log(f"Raft applier: {type(exc).__name__}: {exc}")

    async def _apply(self, token: str, payload: bytes) -> None:
        if token in self._applied:  # a resubmitted write whose first submission committed too
            waiter = self._waiting.get(token)
            if waiter is not None and not waiter.done():
                # Its first application came inside a snapshot this replica caught up from,
                # so the answer is gone: say so rather than leave the caller waiting.
                waiter.set_result(self.inner.error_answer(
                    flowc_pb2.DataRequest.FromString(payload), RaftUnavailable(
                        "the write was applied, but its answer was lost: this replica caught "
                        "up from a Raft snapshot meanwhile")))
            return
        self._applied[token] = None
        if len(self._applied) > DEDUP_WINDOW:
            self._applied.popitem(last=False)
        answer = await self.inner.process(flowc_pb2.DataRequest.FromString(payload))
        waiter = self._waiting.get(token)
        if waiter is not None and not waiter.done():
            waiter.set_result(answer)

    async def _drain(self) -> None:
        """Until every entry queued so far is applied."""
        done: concurrent.futures.Future = concurrent.futures.Future()
        self._queue.put_nowait(("call", _nothing, done))
        await asyncio.wrap_future(done)

    def _in_applier(self, work: Callable[[], Any]) -> Any:
        """pysyncobj's thread: run `work()` (a coroutine function) in the applier, after every
        entry queued so far, and wait for its result."""
        done: concurrent.futures.Future = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(self._queue.put_nowait, ("call", work, done))
        while True:
            try:
                return done.result(timeout=0.2)
            except concurrent.futures.TimeoutError:
                if self._closing:
                    raise RuntimeError("the replica is stopping") from None

    # -- snapshots (pysyncobj's thread) ------------------------------------------------------
    def _serialize(self, filename: str, raft_data: Any) -> None:
        from . import raft  # loaded by start(); a stateful replica's only

        if time.monotonic() < self._snapshot_retry_at:  # pysyncobj asks again at every tick
            raise RuntimeError("the last snapshot failed; retrying later")
        scratch = raft.scratch_dir(self.settings.directory, "snapshot-")
        try:
            async def take() -> list[str]:
                await _call(self.executor.snapshot, str(scratch))
                return list(self._applied)

            applied = self._in_applier(take)
            raft.write_snapshot(filename, scratch, {"raft": raft_data, "applied": applied})
            self._log(f"snapshot taken ({len(applied)} recent write tokens); Raft log compacted")
        except Exception as exc:
            self._snapshot_retry_at = time.monotonic() + SNAPSHOT_RETRY
            self._log(f"snapshot() failed, the Raft log is kept (next try in "
                      f"{SNAPSHOT_RETRY:g} s): {type(exc).__name__}: {exc}")
            raise
        finally:
            raft.remove_dir(scratch)

    def _deserialize(self, filename: str) -> Any:
        from . import raft  # loaded by start(); a stateful replica's only

        scratch = raft.scratch_dir(self.settings.directory, "restore-")
        try:
            state, meta = raft.read_snapshot(filename, scratch)

            async def put_back() -> None:
                await _call(self.executor.restore, str(state))
                self._applied = collections.OrderedDict.fromkeys(meta.get("applied", ()))

            self._in_applier(put_back)
            self._log("state restored from a Raft snapshot")
            return meta["raft"]
        except Exception as exc:
            if self._closing:
                raise
            # The state is unknown now: serving it would be wrong, so stop; the supervisor
            # restarts the replica, which tries again from its snapshot and log.
            self._log(f"restore() from a Raft snapshot failed: {type(exc).__name__}: {exc}; "
                      "stopping (the replica's state is unknown)")
            sys.stderr.flush()
            os._exit(1)
        finally:
            raft.remove_dir(scratch)

    # -- shutdown ---------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the Raft node (connections, journal), the applier, then the executor."""
        if self._closed:
            return
        self._closed = True
        self._closing = True
        try:
            if self._node is not None:
                from . import raft  # loaded by start(); a stateful replica's only

                raft.stop_node(self._node)
            if self._applier is not None:
                self._applier.cancel()
        finally:
            self.inner.close()


async def start_stateful(inner: Any, settings: RaftSettings, *,
                         log: Callable[[str], None]) -> StatefulHost | None:
    """A started StatefulHost around `inner`, or None (after saying why, and closing `inner`)
    when its Raft node cannot start."""
    host = StatefulHost(inner, settings, log=log)
    try:
        await host.start()
    except (OSError, ValueError) as exc:
        log(f"cannot start the Raft node: {exc}")
        host.close()
        return None
    return host


def _has(executor: Any, name: str) -> bool:
    return callable(getattr(executor, name, None))


async def _call(method: Callable[[str], Any], directory: str) -> None:
    """`snapshot(dir)` / `restore(dir)`, sync (in a thread) or `async def`."""
    if inspect.iscoroutinefunction(method):
        await method(directory)
    else:
        await asyncio.to_thread(method, directory)


async def _nothing() -> None:
    return None
