"""`flowc new`: the files of a new executor package or a new Flow project, as `{path: text}`.

Like `jina hub new`, but offline: everything comes from templates in this package
(`templates/new/`), and the CLI layer writes the files. What is generated must pass
`flowc validate` and its own tests as written (tests/compiler/test_new.py runs both).

Decisions:
- The executor's Dockerfile follows the targets' image conventions (`/app`, uid 10001 owning
  `/workspace`, `ENTRYPOINT ["flowc-runtime"]`) and sets `FLOWC_USES`, so a Flow can run it as
  `uses: docker://...` with every target.
- GPU bases are pinned by tag: PyTorch's and TensorFlow's official GPU images carry their
  framework; JAX has no such image, so it installs `jax[cuda12]` (CUDA comes from pip wheels) on
  the CPU base.
"""

from __future__ import annotations

import re

from flowc.targets.images import BASE_IMAGE, flowc_version
from flowc.targets.layout import APP_DIR
from flowc.targets.templating import template

GPU_BASES = {
    "torch": ("pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime", "PyTorch 2.5.1 with CUDA 12.4"),
    "tf": ("tensorflow/tensorflow:2.18.0-gpu", "TensorFlow 2.18.0 with CUDA"),
    "jax": (BASE_IMAGE, "Python 3.11; JAX brings CUDA 12 as pip wheels"),
}
JAX_VERSION = "0.4.35"
IMAGE_UID = 10001
WORKSPACE = "/workspace"
DEFAULT_FLOW_PORT = 54321
_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a new executor or Flow (None when it can): it becomes a folder,
    an entry name (a DNS label in k8s) and, in CamelCase, a Python class name."""
    if not _NAME.fullmatch(name):
        return (f"`{name}` is not a usable name: use lower-case letters and digits, words "
                f"separated by `-` or `_`, starting with a letter (e.g. `text-encoder`)")
    if len(name) > 40:
        return f"`{name}` is {len(name)} characters long; keep names to 40 (k8s adds suffixes)"
    return None


def class_name(name: str) -> str:
    """`text-encoder` → `TextEncoder`."""
    return "".join(part.capitalize() for part in re.split(r"[-_]", name))


def render_executor(name: str, gpu: str | None = None) -> dict[str, str]:
    """The files of an executor package `name/` (paths relative to its folder)."""
    base, base_note = GPU_BASES[gpu] if gpu else (BASE_IMAGE, "Python 3.11, CPU")
    values = dict(name=name, cls=class_name(name), gpu=gpu, base=base, base_note=base_note,
                  version=flowc_version(), app=APP_DIR, uid=IMAGE_UID, workspace=WORKSPACE,
                  jax_version=JAX_VERSION)
    names = ("executor.py", "config.yml", "requirements.txt", "Dockerfile", "test_executor.py",
             "README.md")
    return {file: template(f"new/executor/{file}.j2").render(**values) for file in names}


def render_flow(name: str, executor: str, gpu: str | None = None) -> dict[str, str]:
    """The files of a Flow project `name/`: the Flow, its executor package under
    `executors/<executor>/`, a test, a pre-commit configuration and a CI workflow."""
    values = dict(name=name, executor=executor, cls=class_name(executor),
                  port=DEFAULT_FLOW_PORT, version=flowc_version())
    files = {
        "flow.yml": template("new/flow/flow.yml.j2").render(**values),
        "tests/test_flow.py": template("new/flow/test_flow.py.j2").render(**values),
        ".pre-commit-config.yaml": template("new/flow/pre-commit-config.yaml.j2").render(**values),
        ".github/workflows/flowc.yml": template("new/flow/ci.yml.j2").render(**values),
        "README.md": template("new/flow/README.md.j2").render(**values),
    }
    for path, text in render_executor(executor, gpu).items():
        files[f"executors/{executor}/{path}"] = text
    return files
