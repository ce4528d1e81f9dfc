"""The Kubernetes target: schema-valid, restricted, wired as the plan says, deterministic."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from flowc.compiler.plan import (
    Address, Deployment, ExecutorRef, FlowInfo, Gateway, Plan, Resources, SecretRef,
)
from flowc.targets import render

from tests.targets import tools

SECRET_VALUE = "s3cr3t-value-never-written"
K8S_VERSIONS = ("1.27.0", "1.37.0")  # oldest supported (native gRPC probes GA) and newest shipped
GOLDEN = Path(__file__).parent / "golden"


# ------------------------------------------------------------------------------------------
# Plans (built directly with the dataclasses)

def chain_plan() -> Plan:
    return Plan(
        flow=FlowInfo("chain", "flow.yml"),
        gateway=Gateway(resources=Resources({"cpu": "100m", "memory": "128Mi"})),
        deployments=(
            Deployment("encoder", ExecutorRef("docker", image="team/encoder:1.2"), ("gateway",),
                       resources=Resources({"cpu": "500m", "memory": "512Mi"}),
                       source="flow.yml:5:5"),
            Deployment("indexer", ExecutorRef("docker", image="team/indexer:0.9"), ("encoder",),
                       resources=Resources({"cpu": "500m", "memory": "512Mi"}),
                       source="flow.yml:8:5"),
        ),
        responders=("indexer",),
    )


def full_plan() -> Plan:
    """Local code, shards × replicas, secrets, gpus, persistence, gateway placement, external."""
    secret_template = {"$template": "${{ ENV.API_TOKEN }}"}
    res = Resources({"cpu": "1", "memory": "1Gi"}, {"memory": "2Gi"})
    return Plan(
        flow=FlowInfo("full-flow", "flow.yml", workspace="ws", env={"LOG_LEVEL": "on"}),
        gateway=Gateway(ports=(12345,), resources=Resources({"cpu": "100m", "memory": "128Mi"}),
                        env={"MODE": "yes"}, targets={"k8s": {"annotations": {"a/b": "1:20"}}}),
        deployments=(
            Deployment(
                "my_encoder",
                ExecutorRef("file", path="executors/encoder/config.yml",
                            py_modules=("executors/encoder/encoder.py",),
                            uses_with={"token": secret_template}),
                ("gateway",), replicas=2, resources=Resources(res.requests, res.limits, gpus=1),
                env={"API_TOKEN": secret_template, "BATCH": 32, "FLAG": "off"},
                env_from_secret={"API_TOKEN": SecretRef("api", "token")},
                service_account="encoder-sa", image_pull_secrets=("regcred",),
                timeout_ready=-1, source="flow.yml:6:5",
                targets={"k8s": {"labels": {"team": "ml"}, "node_selector": {"gpu": "true"},
                                 "tolerations": [{"key": "gpu", "operator": "Exists",
                                                  "effect": "NoSchedule"}]}}),
            Deployment("pre", ExecutorRef("class", jtype="Pre", py_modules=("pre/pre.py",)),
                       ("my_encoder",), placement="gateway", source="flow.yml:14:5"),
            Deployment(
                "indexer", ExecutorRef("docker", image="team/indexer:0.9"), ("pre",),
                shards=2, replicas=3, resources=res, volumes=("data:/data",),
                uses_after=ExecutorRef("class", jtype="Merge", py_modules=("merge/merge.py",)),
                timeout_ready=30_000, source="flow.yml:17:5",
                targets={"k8s": {"storage": "5Gi", "storage_class": "fast"}}),
            Deployment("ranker", ExecutorRef("docker", image="team/ranker:1"), ("indexer",),
                       external=(Address("ranker.example.com", 443, True),),
                       source="flow.yml:25:5"),
        ),
        responders=("ranker",),
    )


OPTIONS = {"image": "team/flow:1.0", "create_namespace": True, "context": ".."}


def build(plan: Plan, **options) -> dict[str, str]:
    files, diags = render("k8s", plan, {**OPTIONS, **options})
    assert [d for d in diags if d.severity >= 2] == [], diags
    return files


def docs_of(files: dict[str, str]) -> list[dict]:
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 1)  # kubectl reads YAML 1.1
    out = []
    for path, text in sorted(files.items()):
        if path.endswith(".yaml") and path != "kustomization.yaml":
            out += [d for d in yaml.load_all(io.StringIO(text)) if d]
    return out


def gateway_of(docs: list[dict]) -> dict:
    return next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "gateway")


def pods(docs: list[dict]) -> list[tuple[dict, dict]]:
    return [(d, d["spec"]["template"]) for d in docs if d["kind"] in ("Deployment", "StatefulSet")]


# ------------------------------------------------------------------------------------------
# Schema validation: every error, for the oldest and newest supported versions

def schema_errors(doc: dict, version: str) -> list[str]:
    import jsonschema
    import kubernetes_validate
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    versions = [v for v in utils.all_versions()
                if utils.major_minor(v) == utils.major_minor(version)]
    assert versions, f"kubernetes_validate {kubernetes_validate.__version__} lacks {version}"
    folder = f"kubernetes-json-schema/v{versions[-1]}-local-strict"
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", doc["apiVersion"])
    schema = utils.schema_contents(f"{folder}/{doc['kind'].lower()}-{api}.json", version)
    defs = utils.schema_contents(f"{folder}/_definitions.json", version)
    registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    return [f"{doc['kind']}/{doc['metadata']['name']} @{version}: "
            f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("plan_fn", [chain_plan, full_plan])
def test_every_object_validates_strictly_on_oldest_and_newest(plan_fn):
    errors = [e for doc in docs_of(build(plan_fn())) for v in K8S_VERSIONS
              for e in schema_errors(doc, v)]
    assert errors == []


def test_schema_validation_reports_every_error():
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x", "bogus": 1},
           "spec": {"ports": [{"port": "eighty"}], "nonsense": True}}
    assert len(schema_errors(bad, "1.37.0")) >= 3


# ------------------------------------------------------------------------------------------
# Own checks

def test_restricted_security_context_on_every_pod():
    for workload, pod in pods(docs_of(build(full_plan()))):
        spec = pod["spec"]
        sc = spec["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] != 0
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        for c in spec["containers"]:
            csc = c["securityContext"]
            assert csc["allowPrivilegeEscalation"] is False
            assert csc["capabilities"] == {"drop": ["ALL"]}
            assert csc["readOnlyRootFilesystem"] is True
            assert csc["runAsNonRoot"] is True and csc["runAsUser"] != 0
            mounted = {m["mountPath"] for m in c["volumeMounts"]}
            assert "/tmp" in mounted
        assert spec["automountServiceAccountToken"] is ("serviceAccountName" in spec)


def test_probes_resources_and_pinned_images():
    plan = full_plan()
    for workload, pod in pods(docs_of(build(plan))):
        for c in pod["spec"]["containers"]:
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                assert "grpc" in c[probe], (workload["metadata"]["name"], probe)
                assert c[probe]["grpc"]["port"] == c["ports"][0]["containerPort"]
            assert c["resources"]["requests"], workload["metadata"]["name"]
            image = c["image"]
            assert re.match(r"^[^:@]+(:[^:@/]+|@sha256:[0-9a-f]+)$", image.split("/")[-1])
            assert not image.endswith(":latest")
    docs = {(d["kind"], d["metadata"]["name"]): d for d in docs_of(build(plan))}
    enc = docs[("Deployment", "my-encoder")]["spec"]["template"]["spec"]["containers"][0]
    assert enc["resources"]["limits"]["nvidia.com/gpu"] == "1"
    # timeout_ready -1 → the documented one-day cap; 30 s → 6 × 5 s.
    assert enc["startupProbe"]["failureThreshold"] * enc["startupProbe"]["periodSeconds"] == 86400
    shard = docs[("StatefulSet", "indexer-shard-0")]["spec"]["template"]["spec"]["containers"][0]
    assert shard["startupProbe"]["failureThreshold"] * shard["startupProbe"]["periodSeconds"] == 30


def test_unpinned_or_missing_images_are_located_errors():
    plan = chain_plan()
    bad = Plan(plan.flow, plan.gateway, (
        Deployment("encoder", ExecutorRef("docker", image="team/encoder"), ("gateway",),
                   source="flow.yml:5:5"),), ("encoder",))
    files, diags = render("k8s", bad, {"image": "team/flow:1.0"})
    assert files == {} and [(d.code, str(d.span)) for d in diags] == [("FC704", "flow.yml:5:5")]
    files, diags = render("k8s", full_plan(), {})
    assert files == {}
    assert sorted({(d.code, str(d.span)) for d in diags}) == [
        ("FC703", "flow.yml:17:5"), ("FC703", "flow.yml:6:5"), ("FC705", "flow.yml:1:1")]


def test_selectors_match_pod_labels_and_addresses_point_at_services():
    plan = full_plan()
    docs = docs_of(build(plan))
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    templates = [pod["metadata"]["labels"] for _, pod in pods(docs)]
    for svc in services.values():
        sel = svc["spec"]["selector"]
        matches = [t for t in templates if all(t.get(k) == v for k, v in sel.items())]
        assert len(matches) == 1, svc["metadata"]["name"]
    for workload, pod in pods(docs):
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod["metadata"]["labels"].items()

    def ports_of(name: str) -> set[int]:
        return {p["port"] for p in services[name]["spec"]["ports"]}

    def check_address(addr: str) -> None:
        m = re.fullmatch(r"dns:///([a-z0-9-]+)\.full-flow\.svc\.cluster\.local:(\d+)", addr)
        assert m, addr
        assert int(m[2]) in ports_of(m[1])
        assert services[m[1]]["spec"].get("clusterIP") == "None"  # headless: every replica

    gateway = next(d for d in docs if d["kind"] == "Deployment"
                   and d["metadata"]["name"] == "gateway")
    args = gateway["spec"]["template"]["spec"]["containers"][0]["args"]
    addresses = json.loads(args[args.index("--addresses") + 1])
    assert sorted(addresses) == ["indexer", "my_encoder", "ranker"]  # `pre` runs in the gateway
    assert addresses["ranker"] == ["grpcs://ranker.example.com:443"]
    assert addresses["indexer"] == ["dns:///indexer-head.full-flow.svc.cluster.local:8080"]
    for name in ("indexer", "my_encoder"):
        check_address(addresses[name][0])
    head = next(d for d in docs if d["kind"] == "Deployment"
                and d["metadata"]["name"] == "indexer-head")
    hargs = head["spec"]["template"]["spec"]["containers"][0]["args"]
    shards = json.loads(hargs[hargs.index("--shards") + 1])
    assert len(shards) == 2
    for addr in [a for shard in shards for a in shard] + [hargs[hargs.index("--uses-after") + 1]]:
        check_address(addr)
    assert args[args.index("--port") + 1] == "12345"
    assert services["gateway"]["spec"]["ports"][0]["port"] == 12345
    assert "clusterIP" not in services["gateway"]["spec"]
    statefulsets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "StatefulSet"}
    assert sorted(statefulsets) == ["indexer-shard-0", "indexer-shard-1"]
    assert statefulsets["indexer-shard-0"]["spec"]["replicas"] == 3
    claims = statefulsets["indexer-shard-0"]["spec"]["volumeClaimTemplates"]
    assert [c["spec"]["storageClassName"] for c in claims] == ["fast", "fast"]


def test_local_code_runs_the_built_image_with_the_plan_paths():
    files = build(full_plan())
    docs = docs_of(files)
    by_name = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    enc = by_name["my-encoder"]["spec"]["template"]["spec"]
    assert enc["containers"][0]["image"] == "team/flow:1.0"
    assert enc["serviceAccountName"] == "encoder-sa"
    assert enc["imagePullSecrets"] == [{"name": "regcred"}]
    assert enc["nodeSelector"] == {"gpu": "true"}
    assert "images/my-encoder/Dockerfile" in files
    script = files["build-images.sh"]
    assert "-f images/my-encoder/Dockerfile -t team/flow:1.0 \"$context\"" in script
    dockerfile = files["images/my-encoder/Dockerfile"]
    for folder in ("executors/encoder", "merge", "pre"):
        assert f'COPY ["app/{folder}", "/app/{folder}"]' in dockerfile
    plan_doc = next(d for d in docs if d["kind"] == "ConfigMap")
    assert json.loads(plan_doc["data"]["plan.json"]) == full_plan().to_dict()


def test_secrets_are_references_only():
    plan = full_plan()
    os.environ["API_TOKEN"] = SECRET_VALUE
    try:
        files = build(plan)
    finally:
        del os.environ["API_TOKEN"]
    assert not any(SECRET_VALUE in text for text in files.values())
    docs = docs_of(files)
    enc = next(d for d in docs if d["metadata"]["name"] == "my-encoder"
               and d["kind"] == "Deployment")
    env = {e["name"]: e for e in enc["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["API_TOKEN"] == {"name": "API_TOKEN",
                                "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}}
    assert env["BATCH"]["value"] == "32" and env["FLAG"]["value"] == "off"
    assert env["LOG_LEVEL"]["value"] == "on"


def test_secret_mixed_with_text_is_refused():
    plan = full_plan()
    enc = plan.deployments[0]
    mixed = Deployment(**{**enc.__dict__, "env": {"URL": {"$template": "https://${API_TOKEN}@x"}}})
    files, diags = render("k8s", Plan(plan.flow, plan.gateway, (mixed, *plan.deployments[1:]),
                                      plan.responders), OPTIONS)
    assert files == {} and [(d.code, str(d.span)) for d in diags] == [("FC709", "flow.yml:6:5")]


def test_targets_k8s_problems():
    plan = chain_plan()
    dep = plan.deployments[0]
    odd = Deployment(**{**dep.__dict__, "targets": {"k8s": {"workload": "Job", "colour": 1}}})
    files, diags = render("k8s", Plan(plan.flow, plan.gateway, (odd, plan.deployments[1]),
                                      plan.responders), OPTIONS)
    assert files == {}
    assert sorted((d.code, d.severity.name) for d in diags) == [
        ("FC707", "WARNING"), ("FC708", "ERROR")]


def test_namespace_options():
    files = build(chain_plan(), namespace="prod", create_namespace=False)
    assert "namespace.yaml" not in files
    assert all(d["metadata"]["namespace"] == "prod" for d in docs_of(files))
    files = build(chain_plan())
    ns = next(d for d in docs_of(files) if d["kind"] == "Namespace")
    assert ns["metadata"]["name"] == "chain"
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_deterministic_and_yaml_1_1_safe():
    first, second = build(full_plan()), build(full_plan())
    assert first == second
    docs = docs_of(first)
    gateway = gateway_of(docs)
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MODE"] == "yes" and env["LOG_LEVEL"] == "on"  # strings, not YAML 1.1 booleans
    assert gateway["spec"]["template"]["metadata"]["annotations"]["a/b"] == "1:20"


def test_kustomization_lists_every_manifest_and_builds(tmp_path):
    files = build(full_plan())
    yaml = YAML(typ="safe", pure=True)
    kust = yaml.load(files["kustomization.yaml"])
    manifests = sorted(p for p in files if p.endswith(".yaml") and p != "kustomization.yaml")
    assert kust["resources"] == manifests
    assert kustomize(tmp_path, files) == len(docs_of(files))


def kustomize(folder: Path, files: dict[str, str]) -> int:
    """Write `files` under `folder`, run `kubectl kustomize` (offline), count the objects."""
    kubectl = tools.kubectl()
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    out = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return len([d for d in YAML(typ="safe", pure=True).load_all(out.stdout) if d])


def test_readme_says_how_to_apply_and_build():
    files = build(full_plan())
    readme = files["README.md"]
    assert "kubectl apply --server-side -k ." in readme and "./build-images.sh" in readme
    files = build(chain_plan())
    assert "kubectl apply --server-side -k ." in files["README.md"]


# ------------------------------------------------------------------------------------------
# Goldens (FLOWC_UPDATE_GOLDEN=1 rewrites them)

def _shared_golden_helper():
    """`tests/golden.py: assert_golden(path, text)` (the project's helper) when it exists."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "golden.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("flowc_tests_golden", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "assert_golden", None)


def assert_golden_dir(folder: Path, files: dict[str, str]) -> None:
    assert_golden = _shared_golden_helper()
    update = os.environ.get("FLOWC_UPDATE_GOLDEN", "") not in ("", "0", "false", "no")
    if update and folder.exists():
        shutil.rmtree(folder)
    for path, text in files.items():
        target = folder / path
        if assert_golden is not None:
            assert_golden(target, text)
        elif update:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        else:
            assert target.exists(), f"{target} missing: run with FLOWC_UPDATE_GOLDEN=1"
            assert target.read_text() == text, f"{target} differs: FLOWC_UPDATE_GOLDEN=1 updates"
    existing = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert existing == sorted(files)


@pytest.mark.parametrize("case,plan_fn", [("k8s-chain", chain_plan), ("k8s-full", full_plan)])
def test_golden(case, plan_fn):
    assert_golden_dir(GOLDEN / case / "k8s", build(plan_fn()))


# ------------------------------------------------------------------------------------------
# The examples/ flows, compiled by the front end: every check above, generically, plus goldens

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/flow.yml"))


def generic_problems(files: dict[str, str], plan: Plan,
                     versions: tuple[str, ...] = K8S_VERSIONS) -> list[str]:
    """Every check of this module that holds for any plan, as a list of problems."""
    docs = docs_of(files)
    problems = [e for doc in docs for v in versions for e in schema_errors(doc, v)]
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    labels = [pod["metadata"]["labels"] for _, pod in pods(docs)]
    for name, svc in services.items():
        sel = svc["spec"]["selector"].items()
        if sum(sel <= lab.items() for lab in labels) != 1:
            count = sum(sel <= lab.items() for lab in labels)
            problems.append(f"Service {name} selects {count} pods")
    for workload, pod in pods(docs):
        name = workload["metadata"]["name"]
        spec = pod["spec"]
        if spec["securityContext"].get("runAsNonRoot") is not True:
            problems.append(f"{name}: pod may run as root")
        for c in spec["containers"]:
            csc = c["securityContext"]
            if (csc.get("allowPrivilegeEscalation") is not False
                    or csc.get("capabilities") != {"drop": ["ALL"]}
                    or csc.get("readOnlyRootFilesystem") is not True):
                problems.append(f"{name}: container securityContext not restricted")
            if not all(p in c for p in ("readinessProbe", "livenessProbe", "startupProbe")):
                problems.append(f"{name}: probes missing")
            if ":" not in c["image"].split("/")[-1] or c["image"].endswith(":latest"):
                problems.append(f"{name}: image {c['image']} not pinned")
            if "--addresses" in c["args"]:
                addresses = json.loads(c["args"][c["args"].index("--addresses") + 1])
                expected = {d.name for d in plan.deployments
                            if d.is_external or d.placement != "gateway"}
                if set(addresses) != expected:
                    problems.append(f"gateway addresses {sorted(addresses)} != {sorted(expected)}")
                for addr in [a for v in addresses.values() for a in v if a.startswith("dns:///")]:
                    svc = addr[len("dns:///"):].split(".")[0]
                    port = int(addr.rsplit(":", 1)[1])
                    if svc not in services or port not in {
                            p["port"] for p in services[svc]["spec"]["ports"]}:
                        problems.append(f"gateway address {addr} matches no Service port")
    return problems


@pytest.mark.parametrize("case", EXAMPLES)
def test_example_flows(case, tmp_path):
    from flowc.compiler import load

    plan = load(ROOT / "examples" / case / "flow.yml", env={},
                display_name=f"examples/{case}/flow.yml")
    files = build(plan, context=f"../../../../../examples/{case}")
    assert generic_problems(files, plan) == []
    assert kustomize(tmp_path, files) == len(docs_of(files))
    assert build(plan, context=f"../../../../../examples/{case}") == files
    assert_golden_dir(GOLDEN / case / "k8s", files)


def test_generic_checks_catch_a_broken_manifest():
    files = build(full_plan())
    broken = dict(files)
    broken["gateway.yaml"] = files["gateway.yaml"].replace("runAsNonRoot: true",
                                                           "runAsNonRoot: false")
    broken["gateway.yaml"] = broken["gateway.yaml"].replace("app.kubernetes.io/name: gateway\n  ",
                                                            "app.kubernetes.io/name: gw\n  ", 1)
    problems = generic_problems(broken, full_plan())
    assert any("may run as root" in p for p in problems)
    assert generic_problems(files, full_plan()) == []


def test_configmap_holds_exactly_the_plans_json():
    plan = full_plan()
    configmap = next(d for d in docs_of(build(plan)) if d["kind"] == "ConfigMap")
    assert configmap["data"]["plan.json"] == plan.to_json()


def test_object_name_clashes_are_located_errors():
    plan = chain_plan()
    sharded = Deployment("a", ExecutorRef("docker", image="x/a:1"), ("gateway",), shards=2,
                         source="flow.yml:3:5")
    clash = Deployment("a_head", ExecutorRef("docker", image="x/b:1"), ("a",),
                       source="flow.yml:7:5")
    files, diags = render("k8s", Plan(plan.flow, plan.gateway, (sharded, clash), ("a_head",)),
                          OPTIONS)
    assert files == {}
    assert {(d.code, str(d.span)) for d in diags} == {("FC712", "flow.yml:7:5")}


def test_invalid_labels_are_refused():
    plan = chain_plan()
    dep = plan.deployments[0]
    bad = Deployment(**{**dep.__dict__, "targets": {"k8s": {
        "labels": {"team": "not ok!", "-bad-key": "x"}, "annotations": {"ok/key": "any text"}}}})
    files, diags = render("k8s", Plan(plan.flow, plan.gateway, (bad, plan.deployments[1]),
                                      plan.responders), OPTIONS)
    assert files == {}
    assert sorted(d.code for d in diags) == ["FC708", "FC708"]
    assert all(str(d.span) == "flow.yml:5:5" for d in diags)


def test_http_only_gateway_is_ready_on_get_status_and_exposes_both_ports():
    plan = chain_plan()
    gw = Gateway(protocols=("http",), ports=(8000,),
                 resources=Resources({"cpu": "100m", "memory": "128Mi"}))
    files = build(Plan(plan.flow, gw, plan.deployments, plan.responders))
    docs = docs_of(files)
    gateway = gateway_of(docs)
    c = gateway["spec"]["template"]["spec"]["containers"][0]
    assert c["readinessProbe"]["httpGet"] == {"path": "/status", "port": 8000}
    assert c["ports"] == [{"name": "grpc", "containerPort": 8080, "protocol": "TCP"},
                          {"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert c["args"][c["args"].index("--http-port") + 1] == "8000"
    service = next(d for d in docs if d["kind"] == "Service"
                   and d["metadata"]["name"] == gateway["metadata"]["name"])
    assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [("grpc", 8080),
                                                                         ("http", 8000)]
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy"
                  and d["metadata"]["name"] == gateway["metadata"]["name"])
    assert [p["port"] for p in policy["spec"]["ingress"][0]["ports"]] == [8080, 8000]
    assert "port-forward service/gateway 8080:8080 8000:8000" in files["README.md"]
    assert [e for d in docs for v in K8S_VERSIONS for e in schema_errors(d, v)] == []


def test_grpc_and_http_gateway_keeps_the_grpc_probe():
    plan = chain_plan()
    gw = Gateway(protocols=("grpc", "http"), ports=(9000, 9001))
    gateway = gateway_of(docs_of(build(Plan(plan.flow, gw, plan.deployments, plan.responders))))
    c = gateway["spec"]["template"]["spec"]["containers"][0]
    assert c["readinessProbe"]["grpc"] == {"port": 9000}
    assert [(p["name"], p["containerPort"]) for p in c["ports"]] == [("grpc", 9000),
                                                                    ("http", 9001)]


def test_flowc_build_cli_writes_the_target_and_check_finds_no_drift(tmp_path, capsys):
    from flowc.compiler.cli import main

    out = tmp_path / "deploy"
    flow = str(ROOT / "examples" / "shards" / "flow.yml")
    argv = ["build", flow, "--target", "k8s", "-o", str(out), "--image", "team/shards:1.0",
            "--namespace", "search", "--create-namespace"]
    assert main(argv) == 0
    assert (out / "kustomization.yaml").exists() and (out / "namespace.yaml").exists()
    assert main([*argv, "--check"]) == 0
    (out / "gateway.yaml").write_text("changed\n")
    assert main([*argv, "--check"]) == 1
    assert main(["build", flow, "--target", "k8s", "-o", str(tmp_path / "x")]) == 1
    assert "FC703" in capsys.readouterr().err


def test_values_the_api_server_would_refuse_are_located_errors():
    plan = chain_plan()
    dep = plan.deployments[0]
    bad = Deployment(**{**dep.__dict__,
                        "resources": Resources({"cpu": "lots", "memory": "512Mi"}),
                        "env": {"9LIVES": "x", "OK_NAME": "y"},
                        "targets": {"k8s": {"storage": "big", "tolerations": [
                            {"key": "gpu", "operator": "Exists", "colour": "red"}]}}})
    files, diags = render("k8s", Plan(plan.flow, plan.gateway, (bad, plan.deployments[1]),
                                      plan.responders), OPTIONS)
    assert files == {}
    assert sorted((d.code, str(d.span)) for d in diags) == [
        ("FC708", "flow.yml:5:5"), ("FC708", "flow.yml:5:5"),
        ("FC713", "flow.yml:5:5"), ("FC713", "flow.yml:5:5")]
    messages = " ".join(d.message for d in diags)
    assert "cpu" in messages and "9LIVES" in messages and "big" in messages
    assert "colour" in messages


def test_identical_across_processes_with_different_hash_seeds():
    """Sets and dict order must never leak into output: two interpreters, two hash seeds."""
    import sys

    script = ("import json, sys\n"
              "from flowc.compiler import load\nfrom flowc.targets import render\n"
              "plan = load(sys.argv[1], env={}, display_name='examples/shards/flow.yml')\n"
              "files, _ = render('k8s', plan, {'image': 'team/x:1.0', 'context': '..'})\n"
              "print(json.dumps(files, sort_keys=True))\n")
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", script,
                                 str(ROOT / "examples" / "shards" / "flow.yml")],
                                capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and json.loads(outputs[0])


def _many(n: int, payload: str = "") -> Plan:
    deps = tuple(Deployment(f"e{i}", ExecutorRef("docker", image=f"team/e{i}:1.0",
                                                 uses_with={"blob": payload} if payload else {}),
                            (f"e{i - 1}",) if i else ("gateway",), source=f"flow.yml:{i + 5}:5")
                 for i in range(n))
    return Plan(FlowInfo("many", "flow.yml"), Gateway(), deps, (deps[-1].name,))


def test_large_plans_use_compact_json_and_too_large_ones_are_refused():
    plan = _many(40, "x" * 14_000)  # about 600 KB of plan
    files = build(plan)
    configmap = next(d for d in docs_of(files) if d["kind"] == "ConfigMap")
    text = configmap["data"]["plan.json"]
    assert "\n  " not in text and json.loads(text) == plan.to_dict()
    assert kustomize_ok(files)
    files, diags = render("k8s", _many(40, "x" * 30_000), OPTIONS)
    assert files == {} and [d.code for d in diags] == ["FC710"]


def kustomize_ok(files: dict[str, str]) -> bool:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return kustomize(Path(tmp), files) == len(docs_of(files))


def test_long_address_lists_move_into_the_configmap():
    deps = tuple(Deployment(f"executor_with_a_rather_long_descriptive_name_{i:04d}",
                            ExecutorRef("docker", image="team/e:1.0"), ("gateway",),
                            source=f"flow.yml:{i + 5}:5") for i in range(800))
    plan = Plan(FlowInfo("many", "flow.yml"), Gateway(), deps, (deps[-1].name,))
    docs = docs_of(build(plan))
    args = gateway_of(docs)["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--addresses") + 1] == "@/etc/flowc/addresses.json"
    configmap = next(d for d in docs if d["kind"] == "ConfigMap")
    addresses = json.loads(configmap["data"]["addresses.json"])
    assert len(addresses) == 800 and all(len(v) == 1 for v in addresses.values())
    assert max(len(a) for a in args) < 131_072


def test_object_names_the_api_would_refuse_are_located_errors():
    # `serviceAccountName: Bad_SA`, a Secret `Bad Name` or a key `k/../x` used to be written
    # as they were and refused only by `kubectl apply`
    plan = chain_plan()
    dep = plan.deployments[0]
    odd = Deployment(**{**dep.__dict__, "service_account": "Bad_SA",
                        "image_pull_secrets": ("regcred", "Reg Cred"),
                        "env_from_secret": {"TOKEN": SecretRef("Bad Name", "k/../x"),
                                            "OK": SecretRef("fine.name", "fine_key-1.x")},
                        "sources": {"/service_account": "7:22", "/image_pull_secrets/1": "8:35",
                                    "/env_from_secret/TOKEN/name": "11:9"}})
    gateway = Gateway(**{**plan.gateway.__dict__, "service_account": "Gateway_SA"})
    files, diags = render("k8s", Plan(plan.flow, gateway, (odd, *plan.deployments[1:]),
                                      plan.responders), OPTIONS)
    assert files == {}
    assert sorted((d.code, str(d.span), d.message.split(" of ")[0]) for d in diags) == [
        ("FC713", "flow.yml:11:9", "`env_from_secret.TOKEN.name`"),
        ("FC713", "flow.yml:1:1", "`service_account: Gateway_SA`"),
        ("FC713", "flow.yml:5:5", "`env_from_secret.TOKEN.key`"),
        ("FC713", "flow.yml:7:22", "`service_account: Bad_SA`"),
        ("FC713", "flow.yml:8:35", "image pull secret `Reg Cred`"),
    ]
    fine = Deployment(**{**odd.__dict__, "service_account": "encoder-sa.v2",
                         "image_pull_secrets": ("regcred",),
                         "env_from_secret": {"OK": SecretRef("fine.name", "fine_key-1.x")}})
    assert build(Plan(plan.flow, plan.gateway, (fine, *plan.deployments[1:]), plan.responders))
