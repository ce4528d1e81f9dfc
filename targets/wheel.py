"""The flowc wheel shipped with `flowc build` output, made from the running flowc's own files.

Images and systemd installs must run the same runtime as the flowc that compiled the plan, and the
package index has no flowc. flowc is pure Python, so the wheel is a zip of the installed packages'
files (the same files `pyproject.toml` packages: every `.py` plus its package data) with the
`*.dist-info` a wheel needs. It is deterministic (sorted entries, fixed timestamps and modes, fixed
compression level): the same flowc always gives the same bytes, so the folder named by its hash
(`images.Wheel.folder`) changes only when flowc does, as podman's `RUN pip install` cache needs.

Reading the packages is I/O: only the CLI layer calls `build_wheel` and passes the result to
`render` through the `wheel` option.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import zipfile
from functools import lru_cache
from pathlib import Path

from flowc.targets.images import Wheel, flowc_version

NAME = "flowc"
TAG = "py3-none-any"
SUMMARY = ("Validate, resolve and compile Jina-style Flow YAML to Kubernetes, docker-compose, "
           "systemd and local processes, with the gRPC runtime they all run.")
REQUIRES_PYTHON = ">=3.11"
LICENSE = "Apache-2.0"
# = pyproject's [project] dependencies and scripts (tests/targets/test_wheel.py keeps them equal).
DEPENDENCIES = (
    "ruamel.yaml>=0.18", "jsonschema>=4.18", "lark>=1.1.9", "jinja2>=3.1", "networkx>=3.1",
    "docarray>=0.40", "grpcio>=1.85.1", "grpcio-health-checking>=1.85.1",
    "grpcio-reflection>=1.85.1", "protobuf>=7.35.1",
    "pysyncobj>=0.3.17", "cryptography>=42", "watchfiles>=0.18", "websockets>=13",
    "fastjsonschema>=2.22.3,<3", "fastapi>=0.115", "uvicorn>=0.30", "httptools>=0.6",
    "fastapi-offline>=1.7", "setproctitle>=1.3", "prometheus-client>=0.20",
    "opentelemetry-sdk>=1.25", "opentelemetry-exporter-otlp-proto-grpc>=1.25",
)
SCRIPTS = (("flowc", "flowc.compiler.cli:main"), ("flowc-runtime", "flowc.runtime.__main__:main"))
# package -> (folder relative to the `flowc.<first>` package found on disk, data file patterns);
# = pyproject's `packages` and `package-data`.
PACKAGES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "flowc.compiler": ("flowc.compiler", ".", ("*.lark",)),
    "flowc.schemas": ("flowc.schemas", ".", ("*.json",)),
    "flowc.targets": ("flowc.targets", ".", ("templates/*/*.j2", "templates/*/*/*.j2")),
    "flowc.runtime": ("flowc.runtime", ".", ("*.proto",)),
    "flowc.runtime.proto": ("flowc.runtime", "proto", ()),
}
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold


def wheel_filename(version: str | None = None) -> str:
    return f"{NAME}-{version or flowc_version()}-{TAG}.whl"


def _package_dir(package: str) -> Path:
    """The folder a flowc package is imported from, without importing it (no grpc at build)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package {package} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def package_files() -> dict[str, bytes]:
    """{path inside the wheel: bytes} of every file flowc's packages install."""
    found: dict[str, bytes] = {}
    for package, (anchor, sub, patterns) in PACKAGES.items():
        folder = (_package_dir(anchor) / sub).resolve()
        prefix = package.replace(".", "/")
        paths = set(folder.glob("*.py"))
        for pattern in patterns:
            paths.update(folder.glob(pattern))
        for path in sorted(paths):
            if path.is_file():
                found[f"{prefix}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return found


def _metadata(version: str) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {NAME}", f"Version: {version}",
             f"Summary: {SUMMARY}", f"License: {LICENSE}", f"Requires-Python: {REQUIRES_PYTHON}"]
    lines += [f"Requires-Dist: {dep}" for dep in DEPENDENCIES]
    return "\n".join(lines) + "\n"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def make_wheel(files: dict[str, bytes], version: str | None = None) -> Wheel:
    """A deterministic wheel holding `files` (path in the wheel → bytes) and flowc's dist-info."""
    version = version or flowc_version()
    info = f"{NAME}-{version}.dist-info"
    entries = dict(files)
    entries[f"{info}/METADATA"] = _metadata(version).encode()
    entries[f"{info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: flowc (" + version + ")\n"
                                "Root-Is-Purelib: true\nTag: " + TAG + "\n").encode()
    entries[f"{info}/entry_points.txt"] = ("[console_scripts]\n" + "".join(
        f"{name} = {target}\n" for name, target in SCRIPTS)).encode()
    entries[f"{info}/top_level.txt"] = f"{NAME}\n".encode()
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n"
                     for path, data in sorted(entries.items()))
    entries[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # dist-info last, as pip and installers expect (RECORD at the very end)
        for path in sorted(entries, key=lambda p: (p.startswith(info), p == f"{info}/RECORD", p)):
            item = zipfile.ZipInfo(path, date_time=_EPOCH)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = (0o100644 << 16)
            item.create_system = 3  # unix, so the mode above is read
            archive.writestr(item, entries[path], compresslevel=9)
    return Wheel(wheel_filename(version), buffer.getvalue())


@lru_cache(maxsize=1)
def build_wheel() -> Wheel:
    """The wheel of the running flowc (cached: its files do not change while it runs)."""
    return make_wheel(package_files())
