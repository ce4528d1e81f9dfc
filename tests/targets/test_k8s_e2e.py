"""End to end: the k8s manifests' containers, run as local processes, answer through the gateway.

No cluster here, so each pod of each Deployment/StatefulSet is started as a plain process with
exactly its container's `args` and `env`, with only what Kubernetes would provide replaced by
loopback equivalents: the ConfigMap mount (`/etc/flowc/plan.json` → the ConfigMap's text written
to a file), the image's `/app` (→ the Flow directory the Dockerfile copies), the pod IP and its
port 8080 (→ 127.0.0.1 and a free port per pod), and the headless Services' DNS names (→ the
selected pods' addresses: `dns:///127.0.0.1:P` for one pod, the replica list otherwise). Pods are
started in dependency order once the ones they call pass the same gRPC health check the probes
use; requests through the gateway must return the examples' answers, and SIGTERM stops every
process with exit code 0. This proves the manifests' command lines and plan run the runtime.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

from ruamel.yaml import YAML

from flowc.compiler import load
from flowc.compiler.plan import Plan
from flowc.targets import render
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = Path(sys.executable).with_name("flowc-runtime")
READY_TIMEOUT = 90.0
ORDER = {"executor": 0, "uses-before": 0, "uses-after": 0, "head": 1, "gateway": 2}


def _docs(files: dict[str, str]) -> list[dict]:
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)
    out = []
    for path, text in sorted(files.items()):
        if path.endswith(".yaml") and path != "kustomization.yaml":
            out += [d for d in yaml.load_all(io.StringIO(text)) if d]
    return out


@dataclasses.dataclass
class _Pod:
    name: str
    component: str
    args: list[str]
    env: dict[str, str]
    port: int
    labels: dict


def _pods(docs: list[dict]) -> list[_Pod]:
    pods = []
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        template = doc["spec"]["template"]
        (container,) = template["spec"]["containers"]
        assert {"name": "plan", "mountPath": "/etc/flowc", "readOnly": True} in \
            container["volumeMounts"]
        env = {e["name"]: e["value"] for e in container.get("env", [])}
        for i in range(doc["spec"]["replicas"]):
            pods.append(_Pod(f"{doc['metadata']['name']}-{i}", container["name"],
                             list(container["args"]), env, free_port(),
                             template["metadata"]["labels"]))
    return pods


def _service_addresses(docs: list[dict], pods: list[_Pod]) -> dict[str, list[str]]:
    """Each Service name → the loopback addresses of the pods its selector picks."""
    out = {}
    for svc in (d for d in docs if d["kind"] == "Service"):
        selected = [p for p in pods if svc["spec"]["selector"].items() <= p.labels.items()]
        assert selected, svc["metadata"]["name"]
        assert [p["port"] for p in svc["spec"]["ports"]] == [8080] or \
            svc["metadata"]["name"] == "gateway"
        out[svc["metadata"]["name"]] = [f"127.0.0.1:{p.port}" for p in selected]
    return out


def _localise(pod: _Pod, services: dict[str, list[str]], plan_file: Path,
              flow_dir: Path) -> list[str]:
    dns = re.compile(r"dns:///([a-z0-9-]+)\.[a-z0-9-]+\.svc\.cluster\.local:8080")

    def one(addr: str) -> str:
        match = dns.fullmatch(addr)
        assert match, addr
        (only,) = services[match[1]]
        return f"dns:///{only}"

    def many(addr: str) -> list[str]:
        match = dns.fullmatch(addr)
        if not match:
            return [addr]
        found = services[match[1]]
        return [f"dns:///{found[0]}"] if len(found) == 1 else found

    args = list(pod.args)
    replace = {"--plan": lambda v: str(plan_file), "--base-dir": lambda v: str(flow_dir),
               "--port": lambda v: str(pod.port), "--uses-before": one, "--uses-after": one,
               "--shards": lambda v: json.dumps([[a for addr in shard for a in many(addr)]
                                                 for shard in json.loads(v)]),
               "--addresses": lambda v: json.dumps({k: [a for addr in addrs for a in many(addr)]
                                                    for k, addrs in json.loads(v).items()})}
    assert args[args.index("--plan") + 1] == "/etc/flowc/plan.json"
    assert "--base-dir" not in args or args[args.index("--base-dir") + 1] == "/app"
    for flag, fix in replace.items():
        if flag in args:
            i = args.index(flag) + 1
            args[i] = fix(args[i])
    return [str(RUNTIME), *args, "--host", "127.0.0.1"]


def _healthy(port: int) -> bool:
    result = subprocess.run([str(RUNTIME), "health", f"127.0.0.1:{port}", "--timeout", "2"],
                            capture_output=True)
    return result.returncode == 0


@contextlib.contextmanager
def _running(tmp: Path, example: str, change=lambda plan: plan) -> Iterator[tuple[Plan, int]]:
    flow_dir = ROOT / "examples" / example
    plan = change(load(flow_dir / "flow.yml", env={}))
    files, diags = render("k8s", plan, {"image": "team/example:1.0", "context": "."})
    assert not [d for d in diags if d.severity >= 2], diags
    docs = _docs(files)
    # The image copies the Flow directory to /app: check that before standing in for it.
    assert 'COPY ["app", "/app"]' in "".join(t for p, t in files.items() if p.endswith("Dockerfile"))
    plan_file = tmp / "etc-flowc" / "plan.json"
    plan_file.parent.mkdir()
    plan_file.write_text(next(d for d in docs if d["kind"] == "ConfigMap")["data"]["plan.json"])
    pods = sorted(_pods(docs), key=lambda p: ORDER[p.component])
    services = _service_addresses(docs, pods)
    procs: dict[str, subprocess.Popen] = {}
    logs = tmp / "logs"
    logs.mkdir()
    try:
        for stage in sorted(set(ORDER.values())):
            started = [p for p in pods if ORDER[p.component] == stage]
            for pod in started:
                env = {**os.environ, **pod.env, "XDG_CACHE_HOME": str(tmp / "cache")}
                with open(logs / f"{pod.name}.log", "w") as log:
                    procs[pod.name] = subprocess.Popen(
                        _localise(pod, services, plan_file, flow_dir), env=env, stdout=log,
                        stderr=subprocess.STDOUT, cwd=tmp)
            deadline = time.monotonic() + READY_TIMEOUT
            for pod in started:  # what the readiness probe (grpc health) waits for
                while not _healthy(pod.port):
                    assert procs[pod.name].poll() is None, (logs / f"{pod.name}.log").read_text()
                    assert time.monotonic() < deadline, f"{pod.name} never became SERVING"
                    time.sleep(0.3)
        gateway = next(p for p in pods if p.component == "gateway")
        yield plan, gateway.port
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = {}
        for name, proc in procs.items():
            try:
                codes[name] = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[name] = "killed"
    assert codes == {name: 0 for name in procs}, codes


def test_chain_pods_answer_through_the_gateway(tmp_path):
    from docarray import DocList
    from docarray.documents import TextDoc

    from flowc.runtime import Client

    def two_taggers(plan: Plan) -> Plan:
        upper, tag = plan.deployments
        return dataclasses.replace(plan, deployments=(upper, dataclasses.replace(tag, replicas=2)))

    with _running(tmp_path, "chain", two_taggers) as (_, port):
        client = Client(host="127.0.0.1", port=port)
        answers = [client.post("/default", inputs=DocList[TextDoc]([TextDoc(text=t)]),
                               return_type=DocList[TextDoc], timeout=30)[0].text
                   for t in ("hello", "world", "again")]
    assert answers == ["HELLO! [demo]", "WORLD! [demo]", "AGAIN! [demo]"]


def test_sharded_pods_with_head_hooks_answer_through_the_gateway(tmp_path):
    from flowc.runtime import Client, GenericDoc

    def with_hooks(plan: Plan) -> Plan:
        (lookup,) = plan.deployments
        hook = dataclasses.replace(lookup.executor, kind="class", path=None, uses_with={},
                                   uses_metas={}, uses_requests={})
        return dataclasses.replace(plan, deployments=(dataclasses.replace(
            lookup, uses_before=dataclasses.replace(hook, jtype="Before"),
            uses_after=dataclasses.replace(hook, jtype="After")),))

    with _running(tmp_path, "shards", with_hooks) as (_, port):
        (doc,) = Client(host="127.0.0.1", port=port).post(
            "/search", inputs=[GenericDoc(id="q", text="q")], timeout=30)
    assert doc.tags["before"] is True and doc.tags["after_parts"] == 2
    assert sorted(m.tags["shard"] for m in doc.matches) == [0, 1]
