"""Which Jina corpus files Jina 3.34 loads: run by the Jina reference interpreter, never by flowc's.

    python jina_corpus_load.py FILE...   # one JSON object: {file: {kind, ok, error, executors}}

Each file is loaded the way Jina loads it, in a child process of its own (forked after Jina is
imported once; module-name `py_modules` and same-named executor modules of different folders
must not meet), from the file's own folder on `sys.path`:
Flow → `Flow.load_config`, Deployment → `Deployment.load_config`, Executor →
`Executor.load_config` (which builds the executor, as Jina does), Gateway (`jtype: Gateway` or a
class named `...Gateway`) → `Gateway.load_config` with the runtime arguments Jina's gateway
runtime passes (jina/serve/runtimes/asyncio.py). `benchmarks/jina_corpus_counts.py` runs this
with telemetry off and no network.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys

_JTYPE = re.compile(r"^(?:---\s*)?(?:jtype:\s*|!)([A-Za-z_]\w*)", re.M)
TIMEOUT = 120  # seconds per file


def kind_of(text: str) -> str:
    """flow / deployment / gateway / executor, from the file's first top-level `jtype` or tag."""
    found = _JTYPE.search(text)
    name = found.group(1) if found else None
    if name == "Flow" or (name is None and re.search(r"^(executors|pods|deployments):", text,
                                                     re.M)):
        return "flow"
    if name == "Deployment":
        return "deployment"
    if name and name.endswith("Gateway"):
        return "gateway"
    return "executor"


def load(path: str, kind: str) -> int | None:
    """Load `path`; for a Flow, the number of executors Jina kept (`pods:` leaves none)."""
    from jina import Deployment, Executor, Flow, Gateway  # imported before the fork

    if kind == "flow":
        flow = Flow.load_config(path)
        return sum(1 for name in flow._deployment_nodes if name != "gateway")
    elif kind == "deployment":
        Deployment.load_config(path)
    elif kind == "gateway":
        from jina.parsers import set_gateway_parser

        args = set_gateway_parser().parse_args(["--uses", path])
        Gateway.load_config(path, uses_with={}, uses_metas={}, runtime_args={
            **vars(args), "default_port": False, "gateway_load_balancer": False,
            "timeout_send": None})
    else:
        Executor.load_config(path)
    return None


def child(path: str, kind: str, write: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    signal.alarm(TIMEOUT)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.chdir(folder)
        sys.path.insert(0, folder)
        executors = load(os.path.basename(path), kind)
        result = {"kind": kind, "ok": True, "error": None, "executors": executors}
    except BaseException as exc:  # noqa: BLE001 - any failure is "Jina does not load it"
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        result = {"kind": kind, "ok": False, "error": f"{type(exc).__name__}: {first}"}
    os.write(write, json.dumps(result).encode("utf-8"))
    os._exit(0)


def main(files: list[str]) -> int:
    import jina  # noqa: F401 - once, before the children fork

    results = {}
    for path in files:
        with open(path, encoding="utf-8") as handle:
            kind = kind_of(handle.read())
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            child(path, kind, write)
        os.close(write)
        chunks = []
        while True:
            chunk = os.read(read, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(read)
        os.waitpid(pid, 0)
        data = b"".join(chunks)
        results[path] = json.loads(data) if data else {
            "kind": kind, "ok": False, "error": "the loading process died"}
    print(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
