"""The HTTP gateway's /docs and /redoc pages render in a real browser with no network but
loopback (issue 12 §1): headless Chromium (Debian's `chromium`, installed by `make tools`) loads
the page with every other host unresolvable, runs its JavaScript, and the DOM it leaves lists
the executors' endpoints. A page that fetched Swagger UI from a CDN would render nothing."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import time

import pytest
import uvicorn

from flowc.runtime.http_gateway import build_app
from tests.ports import free_port
from tests.runtime.test_http_gateway import context

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="no chromium (`make tools` installs Debian's package)")


@pytest.fixture
def docs_server():
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(context(title="Shouter")), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def rendered(url: str) -> str:
    """The DOM after the page's scripts ran (other hosts cannot be resolved)."""
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--virtual-time-budget=10000", "--dump-dom", url],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_swagger_ui_renders_the_endpoints_offline(docs_server):
    dom = rendered(f"{docs_server}/docs")
    assert 'class="swagger-ui' in dom
    for path in ("/shout", "/fail", "/stats", "/status", "/dry_run"):
        assert f'data-path="{path}"' in dom, f"{path} not listed"
    assert "Shouter" in dom


def test_redoc_renders_the_endpoints_offline(docs_server):
    dom = rendered(f"{docs_server}/redoc")
    assert "Endpoint /shout" in dom
    assert "Shouter" in dom
