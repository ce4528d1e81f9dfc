"""`monitoring: true` in every target (issue 13 §1): the `monitoring` port purpose of the
lowering, `--monitoring-port` on each server's command line, and each target's ports: k8s
container and Service ports (and `--service-monitor`), compose `expose:`, systemd's per-instance
`FLOWC_MONITORING_PORT`, the local launch plan's `/metrics` URLs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

from ruamel.yaml import YAML

from flowc.compiler.launch import metrics_addresses
from flowc.compiler.plan import (MONITORING, Deployment, ExecutorRef, FlowInfo, Gateway, Plan,
                                 GRPC)
from flowc.targets import compose, k8s, local, systemd

_spec = importlib.util.spec_from_file_location("flowc_target_tools",
                                               Path(__file__).with_name("tools.py"))
tools = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tools)

_k8s_spec = importlib.util.spec_from_file_location("flowc_k8s_target_tests",
                                                   Path(__file__).with_name("test_k8s_target.py"))
k8s_tests = importlib.util.module_from_spec(_k8s_spec)
_k8s_spec.loader.exec_module(k8s_tests)
K8S_VERSIONS = k8s_tests.K8S_VERSIONS

IMAGE = "acme/flow:1.0.0"
REF = ExecutorRef(kind="class", jtype="Echo")
ON = {"monitoring": True}


def _plan() -> Plan:
    """`enc` monitored on port 9100, `idx` (2 shards: a head) on the default, `quiet` not."""
    deps = (Deployment(name="enc", executor=REF, needs=("gateway",),
                       observability={"monitoring": True, "port_monitoring": 9100}),
            Deployment(name="idx", executor=REF, needs=("enc",), shards=2, observability=ON),
            Deployment(name="quiet", executor=REF, needs=("idx",)))
    return Plan(FlowInfo("mon", "flow.yml"), Gateway(observability=ON), deps, ("quiet",))


def _docs(text: str) -> list[dict]:
    return [d for d in YAML(typ="safe", pure=True).load_all(text) if d]


def test_every_server_of_a_monitored_entry_gets_a_monitoring_port():
    ports = {s.name: s.ports for s in _plan().servers}
    assert ports == {"enc/rep-0": (GRPC, MONITORING), "idx/shard-0/rep-0": (GRPC, MONITORING),
                     "idx/shard-1/rep-0": (GRPC, MONITORING), "idx/head": (GRPC, MONITORING),
                     "quiet/rep-0": (GRPC,), "gateway": (GRPC, MONITORING)}


def test_local_launch_plan_gives_every_monitored_server_its_own_metrics_url():
    files, diags = local.render(_plan(), local.Options(base_port=41000))
    assert diags == []
    launch = json.loads(files["launch.json"])
    urls = metrics_addresses(launch["processes"])
    assert list(urls) == ["enc/rep-0", "idx/shard-0/rep-0", "idx/shard-1/rep-0", "idx/head",
                          "gateway"]
    ports = [int(u.rsplit(":", 1)[1].split("/")[0]) for u in urls.values()]
    taken = [p["port"] for p in launch["processes"]]
    assert len(set(ports)) == 5 and not set(ports) & set(taken)
    assert all(u.startswith("http://127.0.0.1:") for u in urls.values())
    assert "ports" not in launch["gateway"]  # /metrics is no protocol clients use


def test_k8s_container_and_service_ports_and_the_service_monitor(tmp_path):
    files, diags = k8s.render(_plan(), k8s.Options(image=IMAGE, service_monitor=True))
    assert [d for d in diags if d.severity >= 2] == []
    docs = [d for path, text in files.items() if path.endswith(".yaml")
            and path != "kustomization.yaml" for d in _docs(str(text)) if "kind" in d]
    workloads = {d["metadata"]["name"]: d for d in docs if d["kind"] in ("Deployment",
                                                                          "StatefulSet")}
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    monitors = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ServiceMonitor"}

    def container_port(name: str) -> int | None:
        (container,) = workloads[name]["spec"]["template"]["spec"]["containers"]
        found = [p["containerPort"] for p in container["ports"] if p["name"] == MONITORING]
        args = container["args"]
        flag = int(args[args.index("--monitoring-port") + 1]) if "--monitoring-port" in args \
            else None
        assert found == ([flag] if flag else [])
        return flag

    assert container_port("enc") == 9100  # its port_monitoring
    assert container_port("idx-shard-0") == container_port("idx-head") == 9090  # Jina's default
    assert container_port("gateway") == 9090
    assert container_port("quiet") is None
    assert {"name": "monitoring", "port": 9100, "targetPort": 9100, "protocol": "TCP",
            "appProtocol": "http"} in services["enc"]["spec"]["ports"]
    assert set(monitors) == {"enc", "idx-shard-0", "idx-shard-1", "idx-head", "gateway"}
    for name, monitor in monitors.items():
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["spec"]["endpoints"] == [{"port": "monitoring", "path": "/metrics"}]
        assert monitor["spec"]["selector"]["matchLabels"] == services[name]["metadata"]["labels"]
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy"
                  and d["metadata"]["name"] == "enc")
    assert {"ports": [{"port": 9100, "protocol": "TCP"}]} in policy["spec"]["ingress"]
    # every built-in object validates strictly (as the k8s goldens do); kubectl builds them all
    errors = [e for doc in docs if doc["kind"] != "ServiceMonitor"
              for version in K8S_VERSIONS for e in k8s_tests.schema_errors(doc, version)]
    assert errors == []
    # without the option there is no ServiceMonitor
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(text if isinstance(text, bytes) else text.encode())
    built = subprocess.run([tools.kubectl(), "kustomize", str(tmp_path)], capture_output=True,
                           text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    assert built.stdout.count("kind: ServiceMonitor") == 5
    plain, _ = k8s.render(_plan(), k8s.Options(image=IMAGE))
    assert not any("ServiceMonitor" in str(text) for text in plain.values())


def test_compose_exposes_the_metrics_port_and_passes_the_compose_binary(tmp_path):
    files, diags = compose.render(_plan(), compose.Options(image=IMAGE))
    assert [d for d in diags if d.severity >= 2] == []
    services = YAML(typ="safe").load(files["compose.yaml"])["services"]
    for name, port in (("enc-rep-0", "9100"), ("idx-head", "9090"), ("gateway", "9090")):
        service = next(s for n, s in services.items() if n.startswith(name.split("-")[0])
                       and ("head" in n) == ("head" in name))
        assert port in service["expose"]
        assert service["command"][service["command"].index("--monitoring-port") + 1] == port
    assert "127.0.0.1:9090:9090" in services["gateway"]["ports"]
    assert not any("--monitoring-port" in s["command"] for n, s in services.items()
                   if n.startswith("quiet"))
    tools.write_tree(tmp_path, files)
    checked = subprocess.run([tools.compose_binary(), "-f", "compose.yaml", "config", "-q"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


def test_systemd_gives_each_instance_its_own_metrics_port():
    files, diags = systemd.render(_plan(), systemd.Options.from_mapping({"base_port": 43000}))
    assert [d for d in diags if d.severity >= 2] == []
    envs = {path: text for path, text in files.items() if path.startswith("env/")}
    ports = [line.split("=", 1)[1].strip('"') for text in envs.values()
             for line in str(text).splitlines() if line.startswith("FLOWC_MONITORING_PORT=")]
    assert len(ports) == 5 == len(set(ports))
    units = {p: str(t) for p, t in files.items() if p.startswith("units/")}
    watched = [p for p, t in units.items() if "--monitoring-port ${FLOWC_MONITORING_PORT}" in t]
    assert sorted(watched) == ["units/mon-enc@.service", "units/mon-gateway@.service",
                               "units/mon-idx-head@.service", "units/mon-idx@.service"]
