"""Building and talking to a Flow in the e2e tests: `flowc build` as a user runs it, the images
built by the generated `build-images.sh` unchanged, requests sent with flowc's client.

Not a test module. Builds go through the `flowc` command line of this checkout and the generated
scripts (the commands the generated READMEs give), never through flowc's internals, so a test
proves what a user would see. Requests go through `flowc.runtime.Client` or `flowc post`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
FLOWS = Path(__file__).resolve().parent / "flows"
CHAIN = ROOT / "examples" / "chain" / "flow.yml"
FANOUT = FLOWS / "fanout" / "flow.yml"

APP_IMAGE = "localhost/flowc-e2e-app"
BIN = Path(sys.executable).parent
FLOWC = str(BIN / "flowc")

# What defines an image of a Flow: flowc's own code (the wheel shipped into it) and the Flow's
# folder. The tag is a hash of them, so a warm run reuses podman's layers under the same name.
SOURCE_DIRS = ("compiler", "runtime", "schemas", "targets")
SOURCE_SUFFIXES = {".py", ".j2", ".json", ".lark", ".proto", ".toml", ".yml", ".yaml", ".txt"}


class FlowError(AssertionError):
    """A command of the e2e run failed; the message carries its output's tail."""


def run(command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    """Run `command`; with `check`, a non-zero exit is a FlowError showing its output."""
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, check=False)
    if check and result.returncode:
        raise FlowError(f"`{' '.join(command[:4])} ...` exited {result.returncode}:\n"
                        f"{result.stdout[-2500:]}\n{result.stderr[-2500:]}")
    return result


def _tree_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*")
                  if path.is_file() and "__pycache__" not in path.parts
                  and path.suffix in SOURCE_SUFFIXES)


def content_key(flow: Path) -> str:
    """A short hash of flowc's sources and the Flow's folder (the image tag's suffix)."""
    digest = hashlib.sha256()
    files = [ROOT / "pyproject.toml", *_tree_files(flow.parent)]
    for folder in SOURCE_DIRS:
        files += _tree_files(ROOT / folder)
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def image_name(flow: Path) -> str:
    """`localhost/flowc-e2e-app:<flow>-<hash>`: one image per Flow and content."""
    return f"{APP_IMAGE}:{flow.parent.name}-{content_key(flow)}"


def flowc_build(flow: Path, target: str, out: Path, *options: str) -> Path:
    """`flowc build FLOW --target T -o OUT [options]`, exactly as a user runs it."""
    run([FLOWC, "build", str(flow), "--target", target, "-o", str(out), *options], cwd=ROOT)
    return out


def build_images(out: Path, env: dict[str, str]) -> float:
    """`DOCKER=podman ./build-images.sh` in the output folder, the script unchanged (the README's
    command); return the seconds it took."""
    started = time.monotonic()
    run(["./build-images.sh"], env=dict(env, DOCKER="podman"), cwd=out, timeout=600)
    return time.monotonic() - started


def drop_stale_images(flow: Path, keep: str, env: dict[str, str]) -> None:
    """Remove this Flow's app images of other contents (earlier runs), so they do not pile up."""
    listed = run(["podman", "images", "--format", "{{.Repository}}:{{.Tag}}", APP_IMAGE],
                 env=env, check=False).stdout.split()
    stale = [name for name in listed
             if name.startswith(f"{APP_IMAGE}:{flow.parent.name}-") and name != keep]
    if stale:
        run(["podman", "rmi", "-f", *stale], env=env, check=False)


def post(address: str, on: str, data: list, parameters: dict | None = None,
         command: list[str] | None = None, timeout: float = 60) -> list[dict]:
    """The answer's documents as dicts (client order), from flowc's Python client; with
    `command`, from `flowc post ADDRESS --on ON --data JSON` run by it instead (e.g.
    `podman exec NAME /opt/flowc/bin/flowc`, for a gateway listening inside a container)."""
    if command is None:
        from flowc.runtime.client import Client
        from flowc.runtime.json_docs import doc_json, read_inputs

        with Client(address=address) as client:
            docs = client.post(on, read_inputs(json.dumps(data)), parameters=parameters,
                               timeout=timeout)
        return [json.loads(doc_json(doc)) for doc in docs]
    args = [*(command or [FLOWC]), "post", address, "--on", on, "--data", json.dumps(data)]
    if parameters is not None:
        args += ["--parameters", json.dumps(parameters)]
    result = run(args, timeout=timeout)
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def wait_for_answer(address: str, timeout: float = 120, command: list[str] | None = None
                    ) -> list[dict]:
    """Post to `/default` until the Flow answers (its gateway is SERVING only once every node it
    routes to is); raise FlowError with the last failure after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return post(address, "/default", ["ping"], command=command, timeout=30)
        except (FlowError, subprocess.TimeoutExpired, ConnectionError, TimeoutError) as error:
            if time.monotonic() > deadline:
                raise FlowError(f"{address} never answered in {timeout:.0f} s: {error}") from None
        time.sleep(1)


def texts(docs: list[dict]) -> list[str]:
    return [doc.get("text", "") for doc in docs]


# The e2e Flow `fanout` (tests/e2e/flows/fanout): documents tagged `route: shard` pass `score`.
FANOUT_DOCS = [{"text": "a", "tags": {"route": "shard"}}, {"text": "b"},
               {"text": "c", "tags": {"route": "shard"}}]


def check_fanout(address: str, command: list[str] | None = None) -> set[tuple[str, str]]:
    """Post `/search` once and `/default` four times to the `fanout` Flow and check each answer;
    return the (shard, replica) pairs that answered (the caller checks round robin)."""
    seen: set[tuple[str, str]] = set()
    for on, shards in (("/search", 2), *(("/default", 1),) * 4):
        docs = post(address, on, FANOUT_DOCS, command=command)
        assert texts(docs) == ["A", "B", "C"], (on, docs)  # `upper` ran; client order kept
        assert "tags" not in docs[1], (on, docs)  # `when` kept b away from `score`
        for doc in docs:
            assert "audited" not in doc.get("tags", {}), (on, docs)  # floating: not in answers
        for doc in (docs[0], docs[2]):
            marks = {key: value for key, value in doc["tags"].items() if key.startswith("shard_")}
            assert len(marks) == shards, (on, docs)  # /search: ALL shards; else ANY: one
            seen |= set(marks.items())
        assert {k: v for k, v in docs[0]["tags"].items() if k.startswith("shard_")} == \
            {k: v for k, v in docs[2]["tags"].items() if k.startswith("shard_")}, (on, docs)
    return seen


def post_while(address: str, on: str, data: list, action: Callable[[], None],
               after: float) -> list[list[dict]]:
    """Post `data` back to back from a second thread (flowc's Python client, one channel) while
    `action()` runs and for `after` seconds more; every answer's documents, in order. A failed
    request raises here, after the thread stopped."""
    from flowc.runtime.client import Client
    from flowc.runtime.json_docs import doc_json, read_inputs

    answers: list[list[dict]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def loop() -> None:
        with Client(address=address) as client:
            while not stop.is_set():
                try:
                    docs = client.post(on, read_inputs(json.dumps(data)), timeout=30)
                except Exception as error:  # reported by the caller, with the answers so far
                    failures.append(error)
                    return
                answers.append([json.loads(doc_json(doc)) for doc in docs])

    thread = threading.Thread(target=loop, name="e2e-poster", daemon=True)
    thread.start()
    try:
        action()
        time.sleep(after)
    finally:
        stop.set()
        thread.join(60)
    if failures:
        raise FlowError(f"a request failed after {len(answers)} answers: {failures[0]!r}")
    return answers


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.5) -> None:
    """Poll `predicate()` until true; FlowError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise FlowError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)

