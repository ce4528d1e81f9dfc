"""targets/wheel.py and targets/buildinputs.py: the wheel and executors' files `flowc build`
ships, deterministic, complete, and free of secrets."""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from flowc.compiler.plan import Deployment, ExecutorRef, FlowInfo, Gateway, Plan
from flowc.targets import wheel
from flowc.targets.buildinputs import read_sources

ROOT = Path(__file__).resolve().parents[2]


def test_constants_equal_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert list(wheel.DEPENDENCIES) == project["dependencies"]
    assert dict(wheel.SCRIPTS) == project["scripts"]
    assert wheel.SUMMARY == project["description"]
    assert wheel.REQUIRES_PYTHON == project["requires-python"]
    assert wheel.flowc_version() == project["version"]


def test_wheel_is_deterministic_and_complete():
    first = wheel.make_wheel(wheel.package_files())
    assert first.data == wheel.make_wheel(wheel.package_files()).data  # byte-identical
    assert first.filename == "flowc-0.1.0-py3-none-any.whl"
    archive = zipfile.ZipFile(io.BytesIO(first.data))
    names = archive.namelist()
    assert names == sorted(names[:-5]) + names[-5:] and names[-1].endswith(".dist-info/RECORD")
    for must in ("flowc/compiler/cli.py", "flowc/compiler/substitution.lark",
                 "flowc/schemas/flow.schema.json", "flowc/targets/templates/images/Dockerfile.j2",
                 "flowc/runtime/__main__.py", "flowc/runtime/flowc.proto",
                 "flowc/runtime/proto/flowc_pb2.py"):
        assert must in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    info = "flowc-0.1.0.dist-info"
    entry = archive.read(f"{info}/entry_points.txt").decode()
    assert "flowc-runtime = flowc.runtime.__main__:main" in entry
    metadata = archive.read(f"{info}/METADATA").decode()
    assert "Requires-Dist: grpcio>=1.85.1" in metadata and "Version: 0.1.0" in metadata
    record = archive.read(f"{info}/RECORD").decode().splitlines()
    assert len(record) == len(names)
    for line in record[:-1]:  # every file's hash and size as a wheel installer checks them
        path, digest, size = line.rsplit(",", 2)
        data = archive.read(path)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        assert (digest, int(size)) == (f"sha256={expected.decode()}", len(data))


def test_wheel_installs_with_pip(tmp_path: Path):
    """pip accepts it (no dependencies, no index: what pip checks of the wheel itself)."""
    built = wheel.make_wheel(wheel.package_files())
    path = tmp_path / built.filename
    path.write_bytes(built.data)
    target = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                             "--no-deps", "--target", str(target), str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (target / "flowc" / "runtime" / "worker.py").is_file()
    assert (target / "bin" / "flowc-runtime").is_file()


SECRETS = [".env", "executors/enc/.env", "prod.env", "executors/enc/staging.env",
           ".env.production", "executors/enc/.env.local", "tls.key", "executors/enc/id.key",
           "ca.pem", "certs/server.pem", ".git/config", "vendor/lib/.git/HEAD",
           ".venv/bin/python", "executors/enc/.venv/pyvenv.cfg",
           "executors/enc/__pycache__/model.cpython-312.pyc", "deploy/.flowc-manifest",
           "deploy/compose.yaml", "out/x.yaml"]
KEPT = ["executors/enc/model.py", "executors/enc/config.yml", "executors/enc/envs.py",
        "executors/enc/requirements.txt", "keys.py", "README.md", "flow.yml"]


def _plan(*paths: str) -> Plan:
    dep = Deployment("enc", ExecutorRef("file", path=paths[0], py_modules=paths[1:]),
                     ("gateway",))
    return Plan(flow=FlowInfo("f", "flow.yml"), gateway=Gateway(), deployments=(dep,),
                responders=("enc",))


def test_sources_leave_out_secrets_history_environments_and_build_output(tmp_path: Path):
    for name in SECRETS + KEPT:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {name}")
    sources = read_sources(_plan("executors/enc/config.yml", "keys.py"), tmp_path,
                           outdir=tmp_path / "out")
    assert sorted(sources) == sorted(KEPT)  # `keys.py` at the root: the whole Flow directory
    assert sources["flow.yml"] == b"content of flow.yml"
    only = read_sources(_plan("executors/enc/config.yml"), tmp_path)
    assert sorted(only) == [k for k in sorted(KEPT) if k.startswith("executors/enc/")]
