"""Dockerfiles and a build script for the images that run local-code executors and the gateway.

Every container target (k8s, compose) needs the same thing for executors written as Python in the
Flow's directory: an image holding flowc, the executor's files at the same relative paths the plan
names (so `uses` is never rewritten to a file the image may not hold), and its requirements. This
module decides which image runs each container (`resolve_images`) and turns that decision into
files; it does no I/O and builds nothing.

Decisions (also written into each output README):
- Base image `python:3.11.11-slim-bookworm`, pinned by tag.
- flowc is installed from the package index at the version that generated the files
  (`flowc==<version>`); the build argument `FLOWC_REQUIREMENT` (read by build-images.sh from the
  environment) replaces it with any pip requirement, e.g. a wheel URL or a VCS URL.
- The build context is the Flow directory (`options.context`, relative to the output directory);
  each executor's folder is copied to `/app/<same path>`; `requirements.txt` in that folder is
  installed when present (checked by the shell at build time: rendering cannot look at files).
- The image runs as the non-root user 10001 with `ENTRYPOINT ["flowc-runtime"]`; artifacts pass
  `worker|head|gateway ...` as arguments.
- One image (one folder `images/<first user>/`) per distinct image name: entries sharing `--image`
  share one image that contains all of their folders.
- `Dockerfile.dockerignore` beside each Dockerfile (read by BuildKit) keeps `.git`, caches,
  virtual environments and `.env` files out of the image.
"""

from __future__ import annotations

import posixpath
import shlex

from dataclasses import dataclass, field

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


def _refs(dep: Deployment) -> list[ExecutorRef]:
    return [ref for _, ref in dep.roles()]


def _folders(deps: list[Deployment]) -> tuple[list[str], list[Diagnostic]]:
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


def build_folder(images: Images, image: str) -> str:
    """`images/<first user>`: the folder holding the Dockerfile of `image`."""
    return f"images/{dns_label(images.builds[image][0])}"


def dockerfile(plan: Plan, image: str, users: tuple[str, ...], folders: list[str]) -> str:
    """The Dockerfile text for one built image (users: entry names and/or 'gateway')."""
    copies = [(f, APP_DIR if f == "." else posixpath.join(APP_DIR, f)) for f in folders]
    requirements = [posixpath.join(APP_DIR, f, "requirements.txt") if f != "."
                    else posixpath.join(APP_DIR, "requirements.txt") for f in folders]
    return template("images/Dockerfile.j2").render(
        flow=plan.flow.name, image=image, users=", ".join(users), base=BASE_IMAGE,
        version=flowc_version(), app=APP_DIR, uid=USER_ID,
        copies=[(_json_str(src), _json_str(dst)) for src, dst in copies],
        requirements=[shlex.quote(r) for r in requirements],
    )


def image_files(plan: Plan, images: Images,
                context: str) -> tuple[dict[str, str], list[Diagnostic]]:
    """`images/<user>/Dockerfile` per built image and `build-images.sh` building them all.

    `context` is the Flow directory relative to the output directory (the build context).
    Returns no files when nothing needs building.
    """
    files: dict[str, str] = {}
    diags: list[Diagnostic] = []
    builds = []
    for image in sorted(images.builds, key=lambda i: build_folder(images, i)):
        users = images.builds[image]
        deps = [d for d in plan.deployments
                if (d.name in users and d.hosted)
                or ("gateway" in users and d.placement == "gateway" and not d.is_external)]
        folders, problems = _folders(deps)
        diags.extend(problems)
        folder = build_folder(images, image)
        files[f"{folder}/Dockerfile"] = dockerfile(plan, image, users, folders)
        files[f"{folder}/Dockerfile.dockerignore"] = template(
            "images/Dockerfile.dockerignore.j2").render()
        builds.append((shlex.quote(f"{folder}/Dockerfile"), shlex.quote(image)))
    if builds:
        files[BUILD_SCRIPT] = template("images/build-images.sh.j2").render(
            flow=plan.flow.name, context=shlex.quote(context or "."), builds=builds)
    return files, diags


def _json_str(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)
