"""targets/images.py: Dockerfiles and build-images.sh for local-code executors and the gateway."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.targets.images import resolve_images
from flowc.targets.images import BASE_IMAGE, image_files


def _plan(*deps: Deployment) -> Plan:
    return Plan(flow=FlowInfo("f", "flow.yml"), gateway=Gateway(), deployments=deps,
                responders=(deps[-1].name,))


def _files(plan: Plan, image: str | None = "team/flow:1.0",
           context: str = "..") -> tuple[dict, list]:
    images, diags = resolve_images(plan, image)
    assert diags == []
    return image_files(plan, images, context)


ENC = Deployment("enc", ExecutorRef("file", path="executors/enc/config.yml",
                                    py_modules=("executors/enc/model.py",)), ("gateway",),
                 source="flow.yml:4:5")
OWN = Deployment("own_img", ExecutorRef("class", jtype="Own", py_modules=("own/own.py",)),
                 ("enc",), image="team/own:2", source="flow.yml:8:5")
DOCK = Deployment("dock", ExecutorRef("docker", image="x/y:1"), ("own_img",))
GW = Deployment("light", ExecutorRef("inline", config={"jtype": "Light"},
                                     py_modules=("light/light.py",)), ("dock",),
                placement="gateway")


def test_one_dockerfile_per_image_with_the_files_its_users_need():
    files, diags = _files(_plan(ENC, OWN, DOCK, GW))
    assert diags == []
    assert sorted(files) == ["build-images.sh", "images/enc/Dockerfile",
                             "images/enc/Dockerfile.dockerignore", "images/own-img/Dockerfile",
                             "images/own-img/Dockerfile.dockerignore"]
    ignored = files["images/enc/Dockerfile.dockerignore"].splitlines()
    assert "**/.env" in ignored and ".git" in ignored  # secrets and history stay out
    shared = files["images/enc/Dockerfile"]  # --image: enc and the gateway (with `light`)
    assert f"FROM {BASE_IMAGE}\n" in shared and ":latest" not in shared
    assert 'COPY ["executors/enc", "/app/executors/enc"]' in shared
    assert 'COPY ["light", "/app/light"]' in shared
    assert "own" not in shared.split("(runs:")[1].split(")")[0]
    assert ("RUN if [ -f /app/executors/enc/requirements.txt ]; then pip install -r "
            "/app/executors/enc/requirements.txt; fi") in shared
    lines = shared.splitlines()
    assert lines[-1] == 'ENTRYPOINT ["flowc-runtime"]'
    assert lines[-2].startswith("USER 10001")
    assert "WORKDIR /app" in lines
    own = files["images/own-img/Dockerfile"]
    assert 'COPY ["own", "/app/own"]' in own and "executors/enc" not in own


def test_build_script_builds_every_image_from_the_flow_directory(tmp_path: Path):
    files, _ = _files(_plan(ENC, OWN, DOCK), context="../my flow")
    script = files["build-images.sh"]
    assert "CONTEXT='../my flow'" in script
    assert '-f images/enc/Dockerfile -t team/flow:1.0 "$CONTEXT"' in script
    assert '-f images/own-img/Dockerfile -t team/own:2 "$CONTEXT"' in script
    assert "x/y:1" not in script  # docker:// images are pulled, never built
    path = tmp_path / "build-images.sh"
    path.write_text(script)
    assert subprocess.run(["sh", "-n", str(path)]).returncode == 0
    # Run it with a fake docker client: it must call `build` once per image with those args.
    log = tmp_path / "calls"
    fake = tmp_path / "docker"
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    fake.chmod(0o755)
    (tmp_path / "images").mkdir()
    env = {"PATH": "/usr/bin:/bin", "DOCKER": str(fake), "FLOWC_REQUIREMENT": "flowc @ x.whl"}
    assert subprocess.run(["sh", str(path)], env=env).returncode == 0
    calls = log.read_text().splitlines()
    assert calls == [
        "build --build-arg FLOWC_REQUIREMENT=flowc @ x.whl -f images/enc/Dockerfile "
        "-t team/flow:1.0 ../my flow",
        "build --build-arg FLOWC_REQUIREMENT=flowc @ x.whl -f images/own-img/Dockerfile "
        "-t team/own:2 ../my flow",
    ]


def test_flow_root_files_copy_the_whole_directory():
    root = Deployment("r", ExecutorRef("class", jtype="R", py_modules=("r.py",)), ("gateway",))
    files, _ = _files(_plan(root, ENC))
    text = files["images/r/Dockerfile"]
    assert 'COPY [".", "/app"]' in text and "executors/enc" not in text
    assert "RUN if [ -f /app/requirements.txt ]" in text


def test_files_outside_the_flow_directory_are_located_errors():
    out = Deployment("out", ExecutorRef("file", path="../shared/config.yml"), ("gateway",),
                     source="flow.yml:9:3")
    _, diags = _files(_plan(out))
    assert [(d.code, str(d.span)) for d in diags] == [("FC706", "flow.yml:9:3")]


def test_only_docker_images_still_build_the_gateway_image():
    files, _ = _files(_plan(DOCK))
    assert sorted(files) == ["build-images.sh", "images/gateway/Dockerfile",
                             "images/gateway/Dockerfile.dockerignore"]
    assert "COPY" not in files["images/gateway/Dockerfile"]


def test_deterministic():
    assert _files(_plan(ENC, OWN, DOCK, GW)) == _files(_plan(ENC, OWN, DOCK, GW))


def test_shellcheck_when_available(tmp_path: Path):
    shellcheck = shutil.which("shellcheck")
    files, _ = _files(_plan(ENC, OWN, DOCK))
    path = tmp_path / "build-images.sh"
    path.write_text(files["build-images.sh"])
    if shellcheck:
        result = subprocess.run([shellcheck, str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
    else:  # POSIX sh syntax at least
        assert subprocess.run(["sh", "-n", str(path)]).returncode == 0
