"""targets/images.py: Dockerfiles, build context and build-images.sh for local-code executors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.targets.images import resolve_images
from flowc.targets.images import BASE_IMAGE, BuildInputs, Wheel, image_files

WHEEL = Wheel("flowc-0.1.0-py3-none-any.whl", b"PK fixture wheel")
SOURCES = {"executors/enc/config.yml": b"jtype: Enc\n", "executors/enc/model.py": b"x = 1\n",
           "executors/enc/requirements.txt": b"numpy\n", "own/own.py": b"",
           "light/light.py": b""}


def _plan(*deps: Deployment) -> Plan:
    return Plan(flow=FlowInfo("f", "flow.yml"), gateway=Gateway(), deployments=deps,
                responders=(deps[-1].name,))


def _files(plan: Plan, image: str | None = "team/flow:1.0",
           inputs: BuildInputs = BuildInputs(WHEEL, SOURCES)) -> tuple[dict, list]:
    images, diags = resolve_images(plan, image)
    assert diags == []
    return image_files(plan, images, inputs)


ENC = Deployment("enc", ExecutorRef("file", path="executors/enc/config.yml",
                                    py_modules=("executors/enc/model.py",)), ("gateway",),
                 source="flow.yml:4:5")
OWN = Deployment("own_img", ExecutorRef("class", jtype="Own", py_modules=("own/own.py",)),
                 ("enc",), image="team/own:2", source="flow.yml:8:5")
DOCK = Deployment("dock", ExecutorRef("docker", image="x/y:1"), ("own_img",))
GW = Deployment("light", ExecutorRef("inline", config={"jtype": "Light"},
                                     py_modules=("light/light.py",)), ("dock",),
                placement="gateway")


def test_one_dockerfile_per_image_and_a_context_of_just_the_needed_files():
    files, diags = _files(_plan(ENC, OWN, DOCK, GW))
    assert diags == []
    wheel = f"context/{WHEEL.folder}/{WHEEL.filename}"
    assert sorted(files) == sorted(
        ["build-images.sh", "images/enc/Dockerfile", "images/own-img/Dockerfile",
         "context/wheelhouse/README.md", wheel] + [f"context/app/{p}" for p in SOURCES])
    assert files[wheel] == WHEEL.data and files["context/app/own/own.py"] == b""
    assert WHEEL.folder == "wheels/" + WHEEL.sha256[:16]
    shared = files["images/enc/Dockerfile"]  # --image: enc and the gateway (with `light`)
    assert f"ARG BASE_IMAGE={BASE_IMAGE}\n" in shared and ":latest" not in shared
    assert shared.count("FROM ${BASE_IMAGE}") == 2  # install stage, then a clean one
    assert (f"RUN python3 -m venv /opt/flowc && /opt/flowc/bin/pip install ${{PIP_OPTIONS}} "
            f"/tmp/flowc/{WHEEL.folder}/{WHEEL.filename}") in shared
    assert "flowc==" not in shared  # never from an index
    assert 'COPY ["app/executors/enc", "/app/executors/enc"]' in shared
    assert 'COPY ["app/light", "/app/light"]' in shared
    assert ("RUN /opt/flowc/bin/pip install ${PIP_OPTIONS} -r "
            "/tmp/flowc/app/executors/enc/requirements.txt") in shared
    assert "light/requirements.txt" not in shared  # known absent: no shell test
    assert "install -d -o 10001 -g 10001 -m 0755 /workspace" in shared
    lines = shared.splitlines()
    assert lines[-1] == 'ENTRYPOINT ["flowc-runtime"]'
    assert lines[-2].startswith("USER 10001")
    assert "WORKDIR /app" in lines and "COPY --from=install /opt/flowc /opt/flowc" in lines
    own = files["images/own-img/Dockerfile"]
    assert 'COPY ["app/own", "/app/own"]' in own and "executors/enc" not in own


def test_base_image_option_and_written_workspaces():
    plan = _plan(ENC)
    plan = Plan(FlowInfo("f", "flow.yml", workspace="ws"), plan.gateway, plan.deployments,
                plan.responders)
    files, _ = _files(plan, inputs=BuildInputs(WHEEL, SOURCES, "localhost/py:3.11"))
    text = files["images/enc/Dockerfile"]
    assert "ARG BASE_IMAGE=localhost/py:3.11\n" in text
    assert "-m 0755 /app/ws /workspace" in text
    assert "localhost/py:3.11" in files["build-images.sh"]


def test_without_read_inputs_requirements_are_tested_at_build_time():
    files, _ = _files(_plan(ENC), inputs=BuildInputs())
    text = files["images/enc/Dockerfile"]
    assert "RUN if [ -f /tmp/flowc/app/executors/enc/requirements.txt ]" in text
    assert '"flowc==0.1.0"' in text
    assert not any(name.startswith("context/app/") for name in files)


def test_build_script_builds_every_image_from_the_context(tmp_path: Path):
    files, _ = _files(_plan(ENC, OWN, DOCK))
    script = files["build-images.sh"]
    assert '-f images/enc/Dockerfile -t team/flow:1.0 "$context"' in script
    assert "x/y:1" not in script  # docker:// images are pulled, never built
    path = tmp_path / "out" / "build-images.sh"
    path.parent.mkdir()
    path.write_text(script)
    (tmp_path / "out" / "context" / "wheelhouse").mkdir(parents=True)
    (tmp_path / "out" / "context" / "wheelhouse" / "README.md").write_text("x")
    assert subprocess.run(["sh", "-n", str(path)]).returncode == 0
    # A fake client records its arguments and what the context held.
    log = tmp_path / "calls"
    fake = tmp_path / "docker"
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n'
                    f'for a; do last=$a; done; ls "$last/wheelhouse" >> "{log}"\n')
    fake.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "DOCKER": str(fake), "BUILD_OPTS": "--pull=never"}
    assert subprocess.run(["sh", str(path), "--no-cache"], env=env).returncode == 0
    assert log.read_text().splitlines() == [
        "build --pull=never --no-cache -f images/enc/Dockerfile -t team/flow:1.0 context",
        "README.md",
        "build --pull=never --no-cache -f images/own-img/Dockerfile -t team/own:2 context",
        "README.md"]
    log.unlink()
    house = tmp_path / "house"
    house.mkdir()
    (house / "dep-1.0-py3-none-any.whl").write_text("w")
    env = {"PATH": "/usr/bin:/bin", "DOCKER": str(fake), "WHEELHOUSE": str(house)}
    assert subprocess.run(["sh", str(path)], env=env).returncode == 0
    calls = log.read_text().splitlines()
    assert calls[0].startswith("build --build-arg PIP_OPTIONS=--no-index --find-links "
                               "/tmp/flowc/wheelhouse -f images/enc/Dockerfile -t team/flow:1.0")
    assert calls[1:3] == ["README.md", "dep-1.0-py3-none-any.whl"]  # a copy of the context
    assert not (tmp_path / "out" / "context" / "wheelhouse" / "dep-1.0-py3-none-any.whl").exists()


def test_flow_root_files_copy_the_whole_directory():
    root = Deployment("r", ExecutorRef("class", jtype="R", py_modules=("r.py",)), ("gateway",))
    files, _ = _files(_plan(root, ENC), inputs=BuildInputs(WHEEL, {"r.py": b"",
                                                                   "requirements.txt": b""}))
    text = files["images/r/Dockerfile"]
    assert 'COPY ["app", "/app"]' in text and "executors/enc" not in text
    assert "-r /tmp/flowc/app/requirements.txt" in text


def test_files_outside_the_flow_directory_are_located_errors():
    out = Deployment("out", ExecutorRef("file", path="../elsewhere/config.yml"), ("gateway",),
                     source="flow.yml:9:3")
    _, diags = _files(_plan(out))
    assert [(d.code, str(d.span)) for d in diags] == [("FC706", "flow.yml:9:3")]


def test_only_docker_images_still_build_the_gateway_image():
    files, _ = _files(_plan(DOCK), inputs=BuildInputs(WHEEL, {}))
    assert sorted(files) == ["build-images.sh", "context/wheelhouse/README.md",
                             f"context/{WHEEL.folder}/{WHEEL.filename}",
                             "images/gateway/Dockerfile"]
    assert '"app' not in files["images/gateway/Dockerfile"]


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
