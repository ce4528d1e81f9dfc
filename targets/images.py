"""Dockerfiles and a build script for the images that run local-code executors and the gateway.

Every container target (k8s, compose) needs the same thing for executors written as Python in the
Flow's directory: an image holding flowc, the executor's files at the same relative paths the plan
names (so `uses` is never rewritten to a file the image may not hold), and its requirements. This
module turns `common.resolve_images()`'s decision into files; it does no I/O and builds nothing.

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

from flowc.compiler.diagnostics import Diagnostic, error
from flowc.compiler.plan import Deployment, ExecutorRef, Plan
from flowc.targets.common import (
    APP_DIR, Images, dns_label, flowc_version, is_local_code, span_from_source,
    template,
)

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
