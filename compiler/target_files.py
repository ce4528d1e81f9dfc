"""The files `flowc build` renders for a target, shared by the CLI and the Python API
(`Flow.to_kubernetes_yaml`, `Flow.to_docker_compose_yaml`), so both write the same files
through the same targets (`flowc.targets.render`): there is one renderer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import flowc.targets as targets
from flowc.compiler.diagnostics import Diagnostic
from flowc.compiler.plan import Plan


def render_target(plan: Plan, target: str, flow_dir: Path, outdir: Path,
                  options: Mapping[str, Any]) -> tuple[dict[str, str | bytes], list[Diagnostic]]:
    """`{path: text}` of `target` for `plan` written into `outdir`; `flow_dir` is the Flow file's
    directory (the build context). The wheel and executors' files the output ships are read
    here (`OSError` when one cannot be): rendering itself does no I/O."""
    given = {**options, "context": os.path.relpath(flow_dir, outdir.resolve())}
    # 27 ms (wheel, zipfile) that only a build pays
    from flowc.targets.buildinputs import gather

    row = targets.TARGETS.get(target)
    given.update(gather(row.ships if row else (), plan, flow_dir, outdir))
    return targets.render(target, plan, given)
