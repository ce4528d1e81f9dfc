"""The Jina 3.34 reference environment of the differential tests (not a test module).

`FLOWC_JINA_REF` names a virtual environment with Jina 3.34 (`make jina-ref` makes one from
tests/jina/requirements.txt; `make test` sets the variable to it, so CI runs these tests). Unset,
the tests that need Jina are skipped, saying so; set to a folder without a Python in it, they fail
(a broken reference must not pass as a skip). Jina runs only in subprocesses of that
environment: flowc never imports it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

VARIABLE = "FLOWC_JINA_REF"
_ROOT = os.environ.get(VARIABLE, "")
JINA_PYTHON: Path | None = Path(_ROOT) / "bin" / "python" if _ROOT else None

requires_jina = pytest.mark.skipif(
    JINA_PYTHON is None,
    reason=f"set {VARIABLE}=<venv with jina 3.34> (`make jina-ref` makes one; `make test` sets it)")


def jina_python() -> str:
    """The reference interpreter; fails the test when the variable names no environment."""
    assert JINA_PYTHON is not None, f"{VARIABLE} is not set"
    if not JINA_PYTHON.exists():
        pytest.fail(f"{VARIABLE}={_ROOT}: no {JINA_PYTHON} (run `make jina-ref`)")
    return str(JINA_PYTHON)


# HTTP(S) through a proxy that refuses at once (the discard port on loopback), loopback itself
# excepted (gRPC honours these variables too): outside a network namespace, Jina's best-effort
# calls out (a Flow's public-IP lookup) fail at once and reach nothing.
NO_OUTSIDE = {name: "http://127.0.0.1:9" for name in
              ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}
NO_OUTSIDE.update({name: "localhost,127.0.0.1,::1" for name in ("no_proxy", "NO_PROXY")})


def jina_env(**extra: str) -> dict[str, str]:
    """The environment of a Jina subprocess: telemetry off, no version check, no colours, no
    calls out (NO_OUTSIDE)."""
    env = dict(os.environ, JINA_OPTOUT_TELEMETRY="1", JINA_CHECK_VERSION="False",
               JINA_LOG_LEVEL="ERROR", NO_COLOR="1", PYTHONUNBUFFERED="1", **NO_OUTSIDE)
    env.pop("PYTHONPATH", None)  # the reference environment must not see flowc's packages
    env.update(extra)
    return env
