"""Dockerfiles and a build script for the images that run local-code executors and the gateway.

Every container target (k8s, compose) needs the same thing for executors written as Python in the
Flow's directory: an image holding flowc, the executor's files at the same relative paths the plan
names (so `uses` is never rewritten to a file the image may not hold), and its requirements. This
module decides which image runs each container (`resolve_images`) and turns that decision into
files; it does no I/O and builds nothing.

Decisions (also written into each output README):
- `ARG BASE_IMAGE`, by default `python:3.11.11-slim-bookworm` (pinned by tag), or the image
  `flowc build --base-image` names; `--build-arg BASE_IMAGE=...` overrides it at build time.
- flowc is installed from the wheel of the flowc that generated the files, shipped in the build
  context under a folder named by its hash (`Wheel.folder`): never from a package index, so the
  image runs the runtime the plan was compiled for. Its dependencies and the executors'
  `requirements.txt` come from the package index, or only from a wheelhouse (`WHEELHOUSE=dir`).
- The build context is `context/` in the output, made of just the files the images need (the
  wheel, each executor's folder at `app/<same path>`, read by the CLI layer without `.git`,
  virtual environments, caches, `.env` files and keys), so no `.dockerignore` is needed: podman
  4.3 and Docker's classic builder ignore BuildKit's per-Dockerfile one.
- Two stages: a virtualenv at /opt/flowc built with pip, then copied into a clean stage (the
  wheelhouse never lands in the image). Each executor's folder is copied to `/app/<same path>`.
- The image runs as the non-root user 10001 with `ENTRYPOINT ["flowc-runtime"]`; `/workspace`
  (and each written workspace) exists and belongs to that user, so a fresh volume mounted there is
  writable under Docker too. Artifacts pass `worker|head|gateway ...` as arguments.
- One image (one folder `images/<first user>/`) per distinct image name: entries sharing `--image`
  share one image that contains all of their folders.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import shlex
from dataclasses import dataclass, field
from typing import Any, Mapping

from flowc.compiler.diagnostics import Diagnostic, error
from flowc.compiler.imageref import image_problem, parse_image
from flowc.compiler.names import dns_label
from flowc.compiler.plan import Deployment, ExecutorRef, Plan
from flowc.targets.layout import APP_DIR
from flowc.compiler.syntax import Span
from flowc.targets.locations import entry_span, flow_span, gateway_span, span_from_source
from flowc.targets.templating import template

# -- which image runs each container -----------------------------------------------------

def image_reference_problem(ref: str) -> str | None:
    """Why `ref` cannot be used as a pinned image (None when it can).

    Artifacts must be reproducible: an untagged reference or `:latest` changes under the user's
    feet, so both are refused; a digest pins whatever the tag says. The grammar is Docker's
    (`flowc.compiler.imageref`, which `flowc validate` checks too).
    """
    parsed = parse_image(ref or "")
    if parsed is None:
        return f"`{ref}` is not a valid image reference: {image_problem(ref or '')}"
    if parsed.digest:
        return None
    if not parsed.tag:
        return f"`{ref}` has no tag, so it means `:latest` and is not pinned"
    if parsed.tag == "latest":
        return f"`{ref}` uses the `latest` tag, so it is not pinned"
    return None


def is_local_code(ref: ExecutorRef) -> bool:
    """An executor that runs from files in the Flow's directory (not from a docker:// image)."""
    return ref.kind != "docker"


@dataclass(frozen=True)
class Images:
    """Which image every container runs, and which images must be built from the Flow directory.

    `workers[(entry, role)]` is the image of that entry's workers for role 'executor',
    'uses_before' or 'uses_after' (hosted entries only). `gateway` runs the gateway and heads.
    `builds` maps each image built from local code to the entries whose files it must contain
    (Flow order; `gateway` stands for the gateway and its `placement: gateway` entries).
    """

    workers: dict[tuple[str, str], str] = field(default_factory=dict)
    gateway: str | None = None
    builds: dict[str, tuple[str, ...]] = field(default_factory=dict)


def resolve_images(plan: Plan, image: str | None) -> tuple[Images, list[Diagnostic]]:
    """Decide every container's image; report missing or unpinned images at the entry.

    Rules (documented in the output README): a `docker://` executor runs its own image; an
    executor from local code runs its entry's `image:` else `--image`, built from the Flow
    directory by `build-images.sh`; the gateway (and every head) runs the gateway's `image:` else
    `--image`, also built from the Flow directory since `placement: gateway` entries run inside
    it. `uses` is never rewritten: the image holds the same relative files the plan names.
    """
    diags: list[Diagnostic] = []
    workers: dict[tuple[str, str], str] = {}
    builds: dict[str, list[str]] = {}

    def check(ref: str, span: Span | None, what: str) -> bool:
        problem = image_reference_problem(ref)
        if problem:
            diags.append(error("FC704", f"{what}: {problem}", span,
                               hint="name a fixed tag such as `name:1.2.0` or a digest "
                                    "`@sha256:...`"))
        return problem is None

    for dep in plan.deployments:
        if not dep.hosted:
            continue
        span = span_from_source(dep.source)
        for role, ref in dep.roles():
            what = f"`{dep.name}`" + ("" if role == "executor" else f" ({role})")
            if not is_local_code(ref):
                if check(ref.image or "", entry_span(dep, "uses" if role == "executor" else role),
                         f"the image of {what}"):
                    workers[(dep.name, role)] = ref.image or ""
                continue
            chosen = dep.image or image
            if not chosen:
                diags.append(error(
                    "FC703", f"{what} runs local code ({_describe(ref)}), so it needs an image "
                    "built from the Flow directory, and none is named", span,
                    hint=f"pass `--image NAME:TAG` to `flowc build`, or set `image: NAME:TAG` on "
                         f"`{dep.name}`"))
                continue
            source = "its `image:`" if dep.image else "`--image`"
            if check(chosen, entry_span(dep, "image") if dep.image else span,
                     f"the image for {what} ({source})"):
                workers[(dep.name, role)] = chosen
                users = builds.setdefault(chosen, [])
                if dep.name not in users:
                    users.append(dep.name)

    gateway_image = plan.gateway.image or image
    flow = flow_span(plan)
    if not gateway_image:
        diags.append(error(
            "FC705", "the gateway needs an image with flowc in it, and none is named", flow,
            hint="pass `--image NAME:TAG` to `flowc build` (the image build-images.sh builds "
                 "from the Flow directory), or set `image:` in the Flow's `gateway:` section"))
    elif check(gateway_image, gateway_span(plan, "image") if plan.gateway.image else flow,
               "the gateway's image"):
        users = builds.setdefault(gateway_image, [])
        users.append("gateway")
    else:
        gateway_image = None
    return (Images(workers, gateway_image, {k: tuple(v) for k, v in builds.items()}), diags)


def _describe(ref: ExecutorRef) -> str:
    if ref.kind == "file":
        return f"`uses: {ref.path}`"
    if ref.kind == "class":
        return f"class `{ref.jtype}`"
    return "an inline executor"


FLOWC_VERSION = "0.1.0"  # = pyproject's version (a test keeps them equal); no metadata scan


def flowc_version() -> str:
    """The flowc version pinned into generated images and READMEs.

    A constant rather than `importlib.metadata` (about 30 ms at start-up, a tenth of a build).
    """
    return FLOWC_VERSION


# -- the build files --------------------------------------------------------------------------

BASE_IMAGE = "python:3.11.11-slim-bookworm"
USER_ID = 10001
BUILD_SCRIPT = "build-images.sh"
CONTEXT_DIR = "context"  # the build context in the output: only the files the images need
VENV = "/opt/flowc"  # the runtime's virtualenv inside images
WORKSPACE_ROOT = "/workspace"  # the runtime's default workspace (XDG_CACHE_HOME) in containers
STAGING = "/tmp/flowc"  # where the install stage receives wheels and requirements


@dataclass(frozen=True)
class Wheel:
    """A wheel's file name and bytes (`flowc.targets.wheel` makes flowc's own)."""

    filename: str
    data: bytes

    @property
    def sha256(self) -> str:

        return hashlib.sha256(self.data).hexdigest()

    @property
    def folder(self) -> str:
        """`wheels/<16 hex digits of its sha256>`: a new folder (and a new `RUN pip install`
        line, which podman caches by its text) whenever the wheel changes."""
        return f"wheels/{self.sha256[:16]}"


@dataclass(frozen=True)
class BuildInputs:
    """What the image build files ship besides text, read by the CLI layer before `render`.

    `wheel`: flowc's wheel (`flowc.targets.wheel.build_wheel`); without it images install
    `flowc==<version>` from the package index. `sources`: {Flow-relative path: bytes} of the
    executors' folders (`flowc.targets.buildinputs.read_sources`); they become
    `context/app/<path>`. `base_image`: the default of the Dockerfiles' `ARG BASE_IMAGE`.
    """

    wheel: Wheel | None = None
    sources: Mapping[str, bytes] | None = None
    base_image: str | None = None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> "BuildInputs":
        base = options.get("base_image") or None
        if base is not None:
            problem = image_reference_problem(str(base))
            if problem:
                raise ValueError(f"`--base-image`: {problem}")
        return cls(wheel=options.get("wheel"), sources=options.get("sources"),
                   base_image=base)


def _refs(dep: Deployment) -> list[ExecutorRef]:
    return [ref for _, ref in dep.roles()]


def image_folders(deps: list[Deployment]) -> tuple[list[str], list[Diagnostic]]:
    """The Flow-relative folders an image must contain for `deps`, outermost only, sorted."""
    found: set[str] = set()
    diags: list[Diagnostic] = []
    for dep in deps:
        for ref in _refs(dep):
            if not is_local_code(ref):
                continue
            for path in ([ref.path] if ref.path else []) + list(ref.py_modules):
                norm = posixpath.normpath(path)
                if posixpath.isabs(norm) or norm == ".." or norm.startswith("../"):
                    diags.append(error(
                        "FC706", f"`{dep.name}` uses `{path}`, which is outside the Flow "
                        "directory, so it cannot be copied into the image",
                        span_from_source(dep.source),
                        hint="move the file under the Flow's directory and name it relative to "
                             "the Flow file"))
                    continue
                found.add(posixpath.dirname(norm) or ".")
    if "." in found:
        return ["."], diags
    outer = [f for f in sorted(found)
             if not any(f.startswith(o + "/") for o in found if o != f)]
    return outer, diags


def built_deployments(plan: Plan, users: tuple[str, ...]) -> list[Deployment]:
    """The deployments whose code an image used by `users` (entries, 'gateway') runs."""
    return [d for d in plan.deployments
            if (d.name in users and d.hosted)
            or ("gateway" in users and d.placement == "gateway" and not d.is_external)]


def build_folder(images: Images, image: str) -> str:
    """`images/<first user>`: the folder holding the Dockerfile of `image`."""
    return f"images/{dns_label(images.builds[image][0])}"


def _app(folder: str) -> str:
    return APP_DIR if folder == "." else posixpath.join(APP_DIR, folder)


def _in_context(folder: str) -> str:
    return "app" if folder == "." else f"app/{folder}"


def _workspaces(plan: Plan, deps: list[Deployment]) -> list[str]:
    """The workspace directories the image's servers write: the default one and every written
    `workspace` (absolute as written, relative under /app), created for the runtime user."""
    found = {WORKSPACE_ROOT}
    for workspace in [plan.flow.workspace] + [d.workspace for d in deps]:
        if workspace:
            found.add(posixpath.normpath(workspace) if workspace.startswith("/")
                      else posixpath.normpath(posixpath.join(APP_DIR, workspace)))
    return sorted(found - {"/"})


def dockerfile(plan: Plan, image: str, users: tuple[str, ...], folders: list[str],
               inputs: BuildInputs) -> str:
    """The Dockerfile text for one built image (users: entry names and/or 'gateway')."""
    if inputs.sources is None:  # not read: install a requirements.txt if the build finds one
        maybe = list(folders)
        known: list[str] = []
    else:
        maybe = []
        known = [f for f in folders if posixpath.normpath(
            posixpath.join(f, "requirements.txt")) in inputs.sources]
    wheel = inputs.wheel
    return template("images/Dockerfile.j2").render(
        flow=plan.flow.name, image=image, users=", ".join(users),
        base=inputs.base_image or BASE_IMAGE, version=flowc_version(), app=APP_DIR,
        uid=USER_ID, venv=VENV, staging=STAGING,
        wheel=(f"{STAGING}/{wheel.folder}/{wheel.filename}" if wheel else None),
        wheel_copy=((_json_str(f"{wheel.folder}/"), _json_str(f"{STAGING}/{wheel.folder}/"))
                    if wheel else None),
        copies=[(_json_str(_in_context(f)), _json_str(_app(f))) for f in folders],
        known=[(_json_str(posixpath.join(_in_context(f), "requirements.txt")),
                _json_str(posixpath.join(STAGING, _in_context(f), "requirements.txt")),
                shlex.quote(posixpath.join(STAGING, _in_context(f), "requirements.txt")))
               for f in known],
        maybe=[(_json_str(_in_context(f)), _json_str(posixpath.join(STAGING, _in_context(f))),
                shlex.quote(posixpath.join(STAGING, _in_context(f), "requirements.txt")))
               for f in maybe],
        workspaces=" ".join(shlex.quote(w) for w in _workspaces(
            plan, built_deployments(plan, users))),
    )


def image_files(plan: Plan, images: Images, inputs: BuildInputs = BuildInputs()
                ) -> tuple[dict[str, str | bytes], list[Diagnostic]]:
    """`images/<user>/Dockerfile` per built image, `build-images.sh` building them all, and the
    build context `context/` (the flowc wheel, the executors' folders). No files when nothing
    needs building."""
    files: dict[str, str | bytes] = {}
    diags: list[Diagnostic] = []
    builds = []
    for image in sorted(images.builds, key=lambda i: build_folder(images, i)):
        users = images.builds[image]
        folders, problems = image_folders(built_deployments(plan, users))
        diags.extend(problems)
        folder = build_folder(images, image)
        files[f"{folder}/Dockerfile"] = dockerfile(plan, image, users, folders, inputs)
        builds.append((shlex.quote(f"{folder}/Dockerfile"), shlex.quote(image)))
    if not builds:
        return files, diags
    files.update(context_files(inputs))
    files[BUILD_SCRIPT] = template("images/build-images.sh.j2").render(
        flow=plan.flow.name, builds=builds, context=CONTEXT_DIR, staging=STAGING,
        base=inputs.base_image or BASE_IMAGE)
    return files, diags


def building_text(inputs: BuildInputs) -> str:
    """The READMEs' paragraph on how build-images.sh builds the images."""
    return template("images/building.md.j2").render(base=inputs.base_image or BASE_IMAGE,
                                                    uid=USER_ID).rstrip("\n")


def context_files(inputs: BuildInputs) -> dict[str, str | bytes]:
    """`context/`: the wheel in its hash-named folder, the executors' files under `app/`, and an
    empty `wheelhouse/` that build-images.sh fills (in a copy) from WHEELHOUSE."""
    files: dict[str, str | bytes] = {
        f"{CONTEXT_DIR}/wheelhouse/README.md": template("images/wheelhouse.md.j2").render()}
    if inputs.wheel is not None:
        files[f"{CONTEXT_DIR}/{inputs.wheel.folder}/{inputs.wheel.filename}"] = inputs.wheel.data
    for path, data in sorted((inputs.sources or {}).items()):
        files[f"{CONTEXT_DIR}/app/{path}"] = data
    return files


def _json_str(text: str) -> str:

    return json.dumps(text, ensure_ascii=False)
