"""README's "Try it" block runs as written, with bash, from the root of a copy of the checkout's
examples (the block writes into `out/`), with `.venv/bin` on PATH as the README says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def try_it_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Try it", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "README has no ```sh block under 'Try it'"
    return match.group(1)


def test_try_it_runs_as_written(tmp_path: Path) -> None:
    block = try_it_block()
    assert "flowc run" in block and "flowc post" in block and "flowc new" in block
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    (tmp_path / "run").mkdir()
    script = "set -euo pipefail\nset -m\n" + block + "wait\n"
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300, start_new_session=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "examples/chain/flow.yml: ok" in result.stdout
    assert '"text": "HELLO! [demo]"' in result.stdout  # the chain's answer
    assert "3 passed" in result.stdout           # the new project's own tests
    assert (tmp_path / "out" / "chain" / "compose.yaml").is_file()
    assert "Traceback" not in result.stderr
