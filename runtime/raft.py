"""The Raft node of a stateful replica: pysyncobj configured for flowc, and its snapshot files.

Only stateful workers import this module (it imports pysyncobj). `RaftLog` has one replicated
operation, `commit(token, payload)`: pysyncobj calls it on every replica, in log order, in its
own thread, once the entry is committed; flowc hands the entry on at once (stateful.py applies it
through the executor host), so a long `@write` never holds up heartbeats.

`raft_configuration` keeps Jina's key names and units (Jina passes them to hashicorp/raft); the
ones with a pysyncobj counterpart are mapped by `conf_options` (the table is in
docs/decisions.md); the others are refused or warned at build time by the schema.

Peer traffic is authenticated and encrypted with a password (`start_node(password=...)`,
pysyncobj's `password`, which needs the `cryptography` package); a node never runs without one.

Snapshot file (what pysyncobj's custom serializer writes and sends to a lagging replica): a tar
archive holding `state/`, the directory the executor's `snapshot(dir)` filled, and
`raft.pickle`, pysyncobj's own data for that log position plus flowc's duplicate-write window.
"""

from __future__ import annotations

import io
import logging
import math
import os
import pickle
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Callable

from pysyncobj import FAIL_REASON, SyncObj, SyncObjConf, replicated

SNAPSHOT_FORMAT = 1
STATE_MEMBER = "state"
META_MEMBER = "raft.pickle"
# hashicorp/raft's default SnapshotThreshold, so Jina's: log entries kept before a snapshot
DEFAULT_SNAPSHOT_THRESHOLD = 8192
# hashicorp/raft log levels (Jina's `log_level`) → Python logging levels for pysyncobj's logger
LOG_LEVELS = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO,
              "WARN": logging.WARNING, "WARNING": logging.WARNING, "ERROR": logging.ERROR,
              "OFF": logging.CRITICAL + 1}
# What a failed submission means, in words for the caller's error.
REASONS = {
    FAIL_REASON.QUEUE_FULL: "the Raft command queue is full",
    FAIL_REASON.MISSING_LEADER: "no Raft leader (election in progress or too few replicas up)",
    FAIL_REASON.DISCARDED: "a new Raft leader discarded the entry",
    FAIL_REASON.NOT_LEADER: "the Raft leader stepped down",
    FAIL_REASON.LEADER_CHANGED: "the Raft leader changed before confirming",
    FAIL_REASON.REQUEST_DENIED: "the Raft leader denied the entry",
    FAIL_REASON.UNKNOWN_OUTCOME: "the Raft leader's confirmation came too late",
}
SUCCESS = FAIL_REASON.SUCCESS
LEADER = 2  # pysyncobj's _RAFT_STATE.LEADER (followers are 0, candidates 1)


class RaftConfigError(ValueError):
    """A `raft_configuration` pysyncobj cannot run with (the compiler reports it first)."""


def conf_options(raft_configuration: dict | None, *, compaction: bool) -> dict[str, Any]:
    """SyncObjConf keyword arguments for a deployment's `raft_configuration` (Jina's keys).

    `heartbeat_timeout` (ms) sets the election timer to [t, 2t] and the leader's heartbeat to
    t/10, as hashicorp/raft does; `leader_lease_timeout` (ms) is how long a leader without a
    quorum stays leader; `snapshot_threshold` is the number of log entries that triggers a
    snapshot; `snapshot_interval` (s) snapshots that often as well (off by default). Without
    `compaction` (no `snapshot`/`restore` on the executor) the log is never compacted.
    """
    given = dict(raft_configuration or {})
    options: dict[str, Any] = {}
    if "heartbeat_timeout" in given:
        seconds = float(given["heartbeat_timeout"]) / 1000
        options.update(raftMinTimeout=seconds, raftMaxTimeout=2 * seconds,
                       appendEntriesPeriod=seconds / 10)
    period = options.get("appendEntriesPeriod", 0.1)
    options["connectionTimeout"] = max(3.5, options.get("raftMaxTimeout", 1.4))
    if "leader_lease_timeout" in given:
        lease = float(given["leader_lease_timeout"]) / 1000
        if lease <= period:
            raise RaftConfigError(
                f"raft_configuration: leader_lease_timeout ({given['leader_lease_timeout']} ms) "
                f"must be longer than the heartbeat period ({period * 1000:g} ms)")
        options["leaderFallbackTimeout"] = lease
    if compaction:
        options["logCompactionMinEntries"] = int(given.get("snapshot_threshold",
                                                           DEFAULT_SNAPSHOT_THRESHOLD))
        options["logCompactionMinTime"] = float(given.get("snapshot_interval", math.inf))
    else:
        options["logCompactionMinEntries"] = 2 ** 62
        options["logCompactionMinTime"] = math.inf
    return options


def configure_logging(raft_configuration: dict | None, name: str) -> None:
    """pysyncobj's log lines on stderr as `<replica>: raft: ...`, at Jina's `log_level`."""
    level = LOG_LEVELS.get(str((raft_configuration or {}).get("log_level", "WARN")).upper(),
                           logging.WARNING)
    logger = logging.getLogger("pysyncobj")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"{name}: raft: %(message)s"))
        # stateful.py says why a snapshot failed, once; pysyncobj would repeat it every tick
        handler.addFilter(lambda record: record.getMessage() != "Failed to store full dump")
        logger.addHandler(handler)
        logger.propagate = False


class RaftLog(SyncObj):
    """One replica's node. `commit(token, payload, callback=...)` submits an entry from any
    thread; every replica's `on_commit(token, payload)` receives committed entries in log order,
    in pysyncobj's thread, and must return at once."""

    def __init__(self, address: str, partners: list[str], conf: SyncObjConf,
                 on_commit: Callable[[str, bytes], None]) -> None:
        self._on_commit = on_commit
        super().__init__(address, partners, conf)

    @replicated
    def commit(self, token: str, payload: bytes) -> None:
        self._on_commit(token, payload)

    def leader(self) -> str | None:
        """The address of the leader this node knows, or None (an election is going on)."""
        node = self._getLeader()
        return None if node is None else str(node)

    def joined(self) -> bool:
        """A leader is known and this node has applied the log up to the leader's commit."""
        return self._getLeader() is not None and self.isReady()


def start_node(*, address: str, partners: list[str], bind: str, directory: Path,
               raft_configuration: dict | None, on_commit: Callable[[str, bytes], None],
               serializer: Callable[[str, Any], None] | None,
               deserializer: Callable[[str], Any] | None,
               on_leadership: Callable[[bool], None] | None = None,
               password: str = "") -> RaftLog:
    """Start the node (its journal and snapshot in `directory`); raise RaftConfigError or
    OSError with a sentence when it cannot run or bind.

    `password` is required: pysyncobj then encrypts every frame (Fernet: AES and an HMAC, key
    derived from the password) and drops a frame it cannot authenticate *before* unpickling
    it, so a stranger on the Raft port gets no status, no log entries and no code execution."""
    if not password:
        raise RaftConfigError("the Raft node needs a password (FLOWC_RAFT_PASSWORD)")
    directory.mkdir(parents=True, exist_ok=True)
    options = conf_options(raft_configuration, compaction=serializer is not None)
    conf = SyncObjConf(
        bindAddress=bind, journalFile=str(directory / "journal"),
        fullDumpFile=str(directory / "snapshot.tar") if serializer is not None else None,
        serializer=serializer, deserializer=deserializer, useFork=False, password=password,
        # a write hitting a replica while no leader is known fails at once; the replica retries
        commandsWaitLeader=False,
        # one bind attempt: a taken port is an error the supervisor's restart can cure
        maxBindRetries=1, bindRetryTime=0.1,
        # peers that restart come back quickly; their address may resolve anew (a pod's IP)
        connectionRetryTime=1.0, dnsCacheTime=5.0, dnsFailCacheTime=1.0,
        onStateChanged=(None if on_leadership is None else
                        lambda old, new: (old == LEADER) != (new == LEADER)
                        and on_leadership(new == LEADER)),
        **options)
    try:
        conf.validate()
    except AssertionError:
        raise RaftConfigError(f"raft_configuration {raft_configuration!r} gives pysyncobj "
                              "inconsistent timeouts") from None
    try:
        node = RaftLog(address, [p for p in partners if p != address], conf, on_commit)
    except ImportError:
        raise RaftConfigError("the Raft password needs the `cryptography` package "
                              "(pip install cryptography)") from None
    try:
        node.waitBinded()
    except Exception:
        node.destroy()
        raise OSError(f"cannot listen for Raft peers on {bind}") from None
    return node


def stop_node(node: RaftLog, timeout: float = 5.0) -> None:
    """Close the node's connections and journal; wait (bounded) for its thread to end."""
    node.destroy()
    thread = getattr(node, "_SyncObj__thread", None)
    if thread is not None and thread.is_alive():
        thread.join(timeout)


# -- snapshot files ----------------------------------------------------------------------------

def write_snapshot(path: str, state_dir: Path, meta: dict[str, Any]) -> None:
    """The snapshot archive at `path`: the executor's directory and flowc's/pysyncobj's data."""
    with tarfile.open(path, "w") as tar:
        tar.add(str(state_dir), arcname=STATE_MEMBER)
        data = pickle.dumps({"format": SNAPSHOT_FORMAT, **meta})
        info = tarfile.TarInfo(META_MEMBER)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def read_snapshot(path: str, into: Path) -> tuple[Path, dict[str, Any]]:
    """Unpack the archive at `path` below `into`: (the executor's directory, the meta data)."""
    with tarfile.open(path, "r") as tar:
        try:
            member = tar.extractfile(META_MEMBER)
        except KeyError:
            member = None
        if member is None:
            raise ValueError(f"{path}: not a flowc snapshot (no {META_MEMBER})")
        meta = pickle.loads(member.read())
        if meta.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"{path}: snapshot format {meta.get('format')!r} is not "
                             f"{SNAPSHOT_FORMAT}")
        states = [m for m in tar.getmembers()
                  if m.name == STATE_MEMBER or m.name.startswith(STATE_MEMBER + "/")]
        tar.extractall(str(into), members=states, filter="data")
    state = into / STATE_MEMBER
    state.mkdir(exist_ok=True)
    return state, meta


def scratch_dir(parent: Path, prefix: str) -> Path:
    """A new empty directory below `parent` (the replica's Raft directory: same file system)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=str(parent)))


def remove_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def clear_stale(directory: Path) -> None:
    """Scratch directories a killed replica left behind (snapshots being written or read)."""
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if entry.is_dir() and entry.name.startswith(("snapshot-", "restore-")):
            remove_dir(entry)
        elif entry.name.endswith(".tmp") and entry.is_file():
            try:
                os.remove(entry)
            except OSError:
                pass
