"""The k8s target's manifests run under `podman kube play` and answer through the gateway.

`podman kube play` is not Kubernetes, so the test rewrites the manifests as little as podman
needs; flowc's output stays what a cluster gets. The rewrite, and why:

- Services are not implemented by podman (no cluster DNS, no virtual IPs). Each pod gets a static
  IP on a network of the test's own (`--network`, `--ip`, in manifest order), and every pod a
  `hostAliases` entry mapping each Service's names (`<svc>.<ns>.svc.cluster.local`, the names in
  the gateway's `--addresses`) to the IP of the pod it selects: gRPC's `dns:///` resolver reads
  /etc/hosts, which `hostAliases` writes.
- podman publishes every `containerPort` on the host, so the executors' ports would clash (all
  listen on 8080) and be exposed: their `ports` are dropped (pods still reach each other by IP);
  the gateway's port is published on 127.0.0.1 only, on a free host port.
- gRPC probes are ignored by podman: readiness is the gateway answering (it is SERVING only once
  every node it routes to is).
- podman turns each ConfigMap into a volume of that name, reuses an existing one (an earlier
  run's plan) and keeps it after `podman kube down`: the test removes them before and after.

Every pod and the network are removed, also on failure. The rewrite itself is checked in the unit
suite (no podman needed).
"""

from __future__ import annotations

import io
import socket
import uuid
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.e2e import flowrun

WORKLOADS = ("Deployment", "StatefulSet")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manifests(out: Path) -> list[dict]:
    """Every object of the output, in kustomization.yaml's order (what `kubectl -k` applies)."""
    yaml = YAML(typ="safe")
    resources = yaml.load((out / "kustomization.yaml").read_text())["resources"]
    return [doc for name in resources for doc in yaml.load_all((out / name).read_text()) if doc]


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def for_kube_play(docs: list[dict], subnet_prefix: str, gateway_host_port: int
                  ) -> tuple[list[dict], list[str]]:
    """The manifests rewritten for podman (see the module's docstring) and each pod's IP."""
    pods = [doc for doc in docs if doc["kind"] in WORKLOADS]
    ips = [f"{subnet_prefix}.{10 + index}" for index in range(len(pods))]
    aliases = []
    for service in (doc for doc in docs if doc["kind"] == "Service"):
        meta = service["metadata"]
        names = [meta["name"], f"{meta['name']}.{meta['namespace']}",
                 f"{meta['name']}.{meta['namespace']}.svc.cluster.local"]
        selected = [ip for pod, ip in zip(pods, ips)
                    if _selects(service["spec"]["selector"],
                                pod["spec"]["template"]["metadata"]["labels"])]
        assert len(selected) == 1, f"Service {meta['name']} selects {len(selected)} pods"
        aliases.append({"ip": selected[0], "hostnames": names})
    for pod in pods:
        spec = pod["spec"]["template"]["spec"]
        spec["hostAliases"] = aliases
        for container in spec["containers"]:
            if pod["metadata"]["name"] == "gateway":
                for port in container["ports"]:
                    port.update(hostIP="127.0.0.1", hostPort=gateway_host_port)
            else:
                container.pop("ports", None)
    return docs, ips


def test_rewrite_for_kube_play_keeps_the_output_but_addresses_and_ports(tmp_path: Path) -> None:
    image = "localhost/flowc-e2e-app:chain-test"
    out = flowrun.flowc_build(flowrun.CHAIN, "k8s", tmp_path / "k8s", "--image", image)
    original = _manifests(out)
    docs, ips = for_kube_play(_manifests(out), "10.231.150", 40000)
    pods = {doc["metadata"]["name"]: doc["spec"]["template"]["spec"]
            for doc in docs if doc["kind"] in WORKLOADS}
    assert sorted(pods) == ["gateway", "tag", "upper"] and len(ips) == 3
    aliases = {name: alias["ip"] for alias in pods["gateway"]["hostAliases"]
               for name in alias["hostnames"]}
    for name in ("tag", "upper"):  # the names in the gateway's --addresses
        assert f"dns:///{name}.chain.svc.cluster.local:8080" in \
            pods["gateway"]["containers"][0]["args"][-1]
        assert aliases[f"{name}.chain.svc.cluster.local"] in ips
    assert len(set(aliases.values())) == 3
    assert all(spec["hostAliases"] == pods["gateway"]["hostAliases"] for spec in pods.values())
    assert pods["gateway"]["containers"][0]["ports"] == [
        {"name": "grpc", "containerPort": 54321, "protocol": "TCP", "hostIP": "127.0.0.1",
         "hostPort": 40000}]
    assert all("ports" not in spec["containers"][0] for name, spec in pods.items()
               if name != "gateway")
    # Nothing else changes: without the three rewritten keys, the objects are flowc's.
    for before, after in zip(original, docs):
        if after["kind"] in WORKLOADS:
            spec = after["spec"]["template"]["spec"]
            del spec["hostAliases"]
            for container, old in zip(spec["containers"],
                                      before["spec"]["template"]["spec"]["containers"]):
                container["ports"] = old.get("ports")
                old["ports"] = old.get("ports")
        assert before == after


@pytest.mark.e2e
def test_k8s_manifests_answer_under_podman_kube_play(podman, tmp_path: Path) -> None:
    image = flowrun.image_name(flowrun.CHAIN)
    out = flowrun.flowc_build(flowrun.CHAIN, "k8s", tmp_path / "k8s", "--image", image,
                              "--base-image", podman.images.python)
    flowrun.drop_stale_images(flowrun.CHAIN, image, podman.env)
    flowrun.build_images(out, podman.env)

    run_id = uuid.uuid4().hex[:8]
    network = f"flowc-e2e-kube-{run_id}"
    third = 100 + int(run_id, 16) % 100  # a /24 of its own per run
    prefix = f"10.231.{third}"
    port = _free_port()
    docs, ips = for_kube_play(_manifests(out), prefix, port)
    played = tmp_path / "kube-play.yaml"
    buffer = io.StringIO()
    YAML(typ="safe").dump_all(docs, buffer)
    played.write_text(buffer.getvalue())

    volumes = [doc["metadata"]["name"] for doc in docs if doc["kind"] == "ConfigMap"]

    def remove_volumes() -> None:
        flowrun.run(["podman", "volume", "rm", "-f", *volumes], env=podman.env, check=False)

    remove_volumes()
    try:
        flowrun.run(["podman", "network", "create", "--subnet", f"{prefix}.0/24", network],
                    env=podman.env)
        flowrun.run(["podman", "kube", "play", "--network", network,
                     *(arg for ip in ips for arg in ("--ip", ip)), str(played)],
                    env=podman.env, timeout=180)
        address = f"127.0.0.1:{port}"
        flowrun.wait_for_answer(address, timeout=120)
        docs_out = flowrun.post(address, "/default", ["hello", "world"])
        assert flowrun.texts(docs_out) == ["HELLO! [demo]", "WORLD! [demo]"]
        published = flowrun.run(["podman", "ps", "--filter", f"network={network}", "--format",
                                 "{{.Names}} {{.Ports}}"], env=podman.env).stdout
        exposed = [line for line in published.splitlines() if "->" in line]
        assert len(exposed) == 1 and f"127.0.0.1:{port}->" in exposed[0], published
    finally:
        flowrun.run(["podman", "kube", "down", str(played)], env=podman.env, check=False,
                    timeout=120)
        flowrun.run(["podman", "network", "rm", "-f", network], env=podman.env, check=False)
        remove_volumes()
    left = flowrun.run(["podman", "volume", "ls", "--format", "{{.Name}}"],
                       env=podman.env).stdout.split()
    assert not set(left) & set(volumes), f"volumes left: {sorted(set(left) & set(volumes))}"
