"""The docker-compose target, checked by the Docker Compose v2 binary itself (`config -q`)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from flowc.compiler.plan import Deployment, ExecutorRef, Plan
from flowc.targets import compose
from flowc.targets import render as render_target

_spec = importlib.util.spec_from_file_location("flowc_target_tools",
                                               Path(__file__).with_name("tools.py"))
tools = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tools)

IMAGE = "acme/flow:1.0.0"
PLANS = tools.case_plans()
CASES = sorted(PLANS) + tools.EXAMPLES
HARDENING = {"read_only": True, "tmpfs": ["/tmp"], "cap_drop": ["ALL"],
             "security_opt": ["no-new-privileges:true"], "user": "10001:10001"}


def _case(name: str) -> tuple[Plan, dict]:
    """A named case: a hand-built plan, or an example compiled by the front end."""
    if name in PLANS:
        return PLANS[name], {}
    return tools.example_plan(name), {"context": tools.example_context(name)}


def _render(plan: Plan, **options) -> dict[str, str]:
    files, diags = compose.render(plan, compose.Options(image=IMAGE, **options))
    assert [d for d in diags if d.severity >= 2] == [], diags
    return files


def _config(tmp_path: Path, files: dict[str, str]) -> dict:
    """Write the files, give each file secret a value, and run the compose binary on them."""
    tools.write_tree(tmp_path, files)
    doc = YAML(typ="safe").load(files["compose.yaml"])
    for source in doc.get("secrets", {}).values():
        if "file" in source:
            path = tmp_path / source["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(tools.SECRET_VALUE)
    binary = tools.compose_binary()
    quiet = subprocess.run([binary, "-f", "compose.yaml", "config", "-q"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    full = subprocess.run([binary, "-f", "compose.yaml", "config", "--format", "json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert full.returncode == 0, full.stderr
    return json.loads(full.stdout)


@pytest.mark.parametrize("case", CASES)
def test_compose_binary_accepts_every_case(case, tmp_path):
    plan, options = _case(case)
    files = _render(plan, **options)
    config = _config(tmp_path, files)
    services = config["services"]
    assert services, "no services"
    for name, service in services.items():
        assert service["healthcheck"]["test"][:3] == ["CMD", "flowc-runtime", "health"], name
        for key, value in HARDENING.items():
            assert service[key] == value, (name, key)
        for dep, how in service.get("depends_on", {}).items():
            assert how["condition"] == "service_healthy"
            assert "healthcheck" in services[dep], f"{name} waits for {dep}, which has none"
    assert tools.SECRET_VALUE not in "".join(files.values())
    # YAML 1.1 readers (compose itself) and YAML 1.2 readers see the same document, and compose
    # interpolated nothing: its view of every command and environment is exactly ours.
    yaml_11 = YAML(typ="safe")
    yaml_11.version = (1, 1)
    ours = YAML(typ="safe").load(files["compose.yaml"])
    assert yaml_11.load(files["compose.yaml"]) == ours
    for name, service in ours["services"].items():
        assert services[name]["command"] == service["command"]
        assert services[name].get("environment", {}) == service.get("environment", {})
        assert services[name]["labels"] == service["labels"]


@pytest.mark.parametrize("case", CASES)
def test_goldens(case):
    plan, options = _case(case)
    tools.assert_golden_tree(tools.GOLDEN / case / "compose", _render(plan, **options))


@pytest.mark.parametrize("case", CASES)
def test_output_is_deterministic_and_survives_the_plan_json(case):
    plan, options = _case(case)
    first = _render(plan, **options)
    assert _render(plan, **options) == first
    assert _render(Plan.from_json(plan.to_json()), **options) == first
    assert render_target("compose", plan, {"image": IMAGE, **options})[0] == first


def test_values_reach_the_containers_unchanged_by_interpolation_or_yaml_1_1(tmp_path):
    files = _render(PLANS["plan-secrets"])
    config = _config(tmp_path, files)
    env = config["services"]["fetch-rep-0"]["environment"]
    # `compose config` re-escapes `$` in what it prints; the container gets a single `$`.
    assert env["NOTE"].replace("$$", "$") == "costs $5 on 1:20"
    assert env["on"] == "on"
    assert config["services"]["gateway"]["ports"][0]["published"] == "45"
    ours_11 = YAML(typ="safe")
    ours_11.version = (1, 1)
    as_11 = ours_11.load(files["compose.yaml"])
    as_12 = YAML(typ="safe").load(files["compose.yaml"])
    assert as_11 == as_12
    assert as_11["services"]["gateway"]["ports"] == ["127.0.0.1:45:45"]  # quoted: 45:45 is 2745 in YAML 1.1


def test_gateway_lists_every_replica_and_waits_for_them():
    doc = YAML(typ="safe").load(_render(PLANS["plan-chain"])["compose.yaml"])
    services = doc["services"]
    assert sorted(services) == ["encoder-rep-0", "gateway", "ranker-rep-0", "ranker-rep-1"]
    gateway = services["gateway"]["command"]
    assert gateway[:3] == ["gateway", "--plan", "/etc/flowc/plan.json"]
    assert json.loads(gateway[gateway.index("--addresses") + 1]) == {
        "encoder": ["encoder-rep-0:8080"],
        "ranker": ["ranker-rep-0:8080", "ranker-rep-1:8080"]}
    assert sorted(services["gateway"]["depends_on"]) == ["encoder-rep-0", "ranker-rep-0",
                                                         "ranker-rep-1"]
    assert services["gateway"]["ports"] == ["127.0.0.1:8080:8080"]
    worker = services["ranker-rep-1"]["command"]
    assert worker[worker.index("--replica") + 1] == "1"
    assert worker[worker.index("--deployment") + 1] == "ranker"
    assert services["encoder-rep-0"]["environment"] == {
        "FLAG": "yes", "LOG_LEVEL": "info", "MODEL": "small", "XDG_CACHE_HOME": "/workspace"}
    # timeout_ready -1 waits a day before the healthcheck counts failures
    assert services["ranker-rep-0"]["healthcheck"]["start_period"] == "86400s"
    assert doc["configs"] == {"plan": {"file": "./plan.json"}}


def test_shards_get_a_head_that_waits_for_its_shards_and_hooks():
    doc = YAML(typ="safe").load(_render(PLANS["plan-sharded"])["compose.yaml"])
    services = doc["services"]
    head = services["indexer-head"]
    args = head["command"]
    assert args[0] == "head"
    assert json.loads(args[args.index("--shards") + 1]) == [
        ["indexer-shard-0-rep-0:8080", "indexer-shard-0-rep-1:8080"],
        ["indexer-shard-1-rep-0:8080", "indexer-shard-1-rep-1:8080"]]
    assert args[args.index("--uses-before") + 1] == "indexer-uses-before:8080"
    assert args[args.index("--uses-after") + 1] == "indexer-uses-after:8080"
    assert sorted(head["depends_on"]) == [
        "indexer-shard-0-rep-0", "indexer-shard-0-rep-1", "indexer-shard-1-rep-0",
        "indexer-shard-1-rep-1", "indexer-uses-after", "indexer-uses-before"]
    assert list(services["gateway"]["depends_on"]) == ["indexer-head"]
    before = services["indexer-uses-before"]["command"]
    assert before[before.index("--role") + 1] == "uses_before"
    shard = services["indexer-shard-1-rep-0"]["command"]
    assert shard[shard.index("--shard") + 1] == "1"
    # the Flow's relative workspace lives under /app, on the entry's named volume
    assert services["indexer-shard-0-rep-0"]["volumes"] == [
        {"type": "volume", "source": "indexer-workspace", "target": "/app/ws"}]
    assert services["gateway"]["ports"] == ["127.0.0.1:51000:51000"]


def test_secrets_are_compose_secrets_never_values():
    files = _render(PLANS["plan-secrets"])
    doc = YAML(typ="safe").load(files["compose.yaml"])
    assert doc["secrets"] == {"api-token": {"file": "./secrets/api/token"},
                              "db-creds-password": {"file": "./secrets/db-creds/password"}}
    fetch = doc["services"]["fetch-rep-0"]
    assert fetch["secrets"] == [{"source": "api-token", "target": "api-token"},
                                {"source": "db-creds-password", "target": "db-creds-password"}]
    args = fetch["command"]
    pairs = [args[i + 1] for i, a in enumerate(args) if a == "--env-from-file"]
    assert pairs == ["API_TOKEN=/run/secrets/api-token",
                     "DB_PASSWORD=/run/secrets/db-creds-password",
                     "DSN=/run/secrets/db-creds-password"]
    assert "DSN" not in fetch["environment"]
    assert files[".gitignore"] == "secrets/\n"
    env_files = _render(PLANS["plan-secrets"], secrets_from="environment")
    env_doc = YAML(typ="safe").load(env_files["compose.yaml"])
    assert env_doc["secrets"]["db-creds-password"] == {
        "environment": "FLOWC_SECRET_DB_CREDS_PASSWORD"}


def test_external_and_gateway_placed_entries_get_no_service():
    doc = YAML(typ="safe").load(_render(PLANS["plan-secrets"])["compose.yaml"])
    assert sorted(doc["services"]) == ["fetch-rep-0", "gateway"]
    args = doc["services"]["gateway"]["command"]
    assert json.loads(args[args.index("--addresses") + 1]) == {
        "fetch": ["fetch-rep-0:8080"], "remote": ["grpcs://search.example:443"]}


def test_docker_executors_run_their_image_and_keep_user_volumes():
    doc = YAML(typ="safe").load(_render(PLANS["plan-docker"])["compose.yaml"])
    clip = doc["services"]["clip-rep-2"]
    assert clip["image"] == "jinaai/clip:1.2.0"
    assert "./models:/models:ro" in clip["volumes"]
    assert clip["labels"] == {"dev.flowc.component": "executor", "dev.flowc.entry": "clip",
                              "dev.flowc.flow": "docker", "team": "search", "tier": "on"}
    assert doc["services"]["gateway"]["image"] == IMAGE


def test_local_code_without_an_image_is_a_located_error():
    files, diags = compose.render(PLANS["plan-chain"], compose.Options())
    assert files == {}
    codes = {(d.code, d.span.line if d.span else None) for d in diags}
    assert ("FC703", 6) in codes and ("FC703", 10) in codes


def test_generated_name_collision_is_reported():
    plan = PLANS["plan-sharded"]
    clash = Deployment(name="indexer_shard_0", executor=ExecutorRef(kind="docker",
                                                                    image="a/b:1.0"),
                       needs=("indexer",), replicas=2, source="flow.yml:20:5")
    plan = dataclasses.replace(plan, deployments=plan.deployments + (clash,))
    files, diags = compose.render(plan, compose.Options(image=IMAGE))
    assert files == {}
    assert [d.code for d in diags] == ["FC730", "FC730"]  # rep-0 and rep-1 both clash
    assert "`indexer-shard-0-rep-0`" in diags[0].message and diags[0].span.line == 20


def test_gateway_replicas_warn_and_mixed_secret_env_is_an_error():
    plan = PLANS["plan-secrets"]
    fetch = dataclasses.replace(plan.deployments[0], env={
        "URL": {"$template": "postgres://u:${{ ENV.DB_PASSWORD }}@db"}})
    files, diags = compose.render(dataclasses.replace(
        plan, deployments=(fetch,) + plan.deployments[1:],
        gateway=dataclasses.replace(plan.gateway, replicas=2)), compose.Options(image=IMAGE))
    assert files == {}
    assert sorted(d.code for d in diags) == ["FC709", "FC731"]
    assert next(d for d in diags if d.code == "FC709").span.line == 5


def test_bad_option_is_a_diagnostic_not_a_traceback():
    files, diags = render_target("compose", PLANS["plan-chain"], {"image": IMAGE,
                                                             "secrets_from": "vault"})
    assert files == {} and [d.code for d in diags] == ["FC711"]



def test_every_code_the_compose_and_systemd_targets_emit_is_catalogued_in_their_range():
    from flowc.compiler.diagnostics import CATALOGUE
    from flowc.targets import systemd

    for module in (compose, systemd):
        codes = set(re.findall(r'"(FC\d{3})"', Path(module.__file__).read_text()))
        assert codes, module
        for code in codes:
            assert CATALOGUE[code].phase == "target", code
            assert 730 <= int(code[2:]) <= 759 or code in {"FC703", "FC704", "FC705"}, code


def test_http_gateway_publishes_every_protocols_port(tmp_path):
    plan = PLANS["plan-chain"]
    plan = dataclasses.replace(plan, gateway=dataclasses.replace(
        plan.gateway, protocols=("http", "grpc"), ports=(8000, 9000)))
    files = _render(plan)
    gateway = YAML(typ="safe").load(files["compose.yaml"])["services"]["gateway"]
    assert gateway["ports"] == ["127.0.0.1:9000:9000", "127.0.0.1:8000:8000"]
    command = gateway["command"]
    assert command[command.index("--port") + 1] == "9000"
    assert command[command.index("--http-port") + 1] == "8000"
    # SERVING on gRPC health only once the HTTP app is up: one healthcheck covers both
    assert gateway["healthcheck"]["test"][-1] == "127.0.0.1:9000"
    assert "ports 9000 (gRPC), 8000 (HTTP" in files["README.md"]
    assert '- "0.0.0.0:8000:8000"' in files["README.md"]
    published = _config(tmp_path, files)["services"]["gateway"]["ports"]
    assert sorted(p["published"] for p in published) == ["8000", "9000"]
