"""End-to-end tests under podman (docs/e2e.md).

Tests marked `e2e` start containers; they run with `make e2e` (FLOWC_E2E=1) and are skipped, with
that reason, in the unit suite. Under FLOWC_E2E=1 they are skipped only where podman cannot run
(not root, no apt), with a one-line reason; a machine that can run them but fails to set up
fails the tests. The harness's own helpers are tested without the marker, in the unit suite.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

import pytest

from tests.e2e import host, images, prepare, service

E2E_SWITCH = "FLOWC_E2E"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: starts containers under podman; run by `make e2e` (FLOWC_E2E=1)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(E2E_SWITCH) == "1":
        return
    skip = pytest.mark.skip(reason=f"e2e: run by `make e2e` ({E2E_SWITCH}=1)")
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


@dataclass(frozen=True)
class Podman:
    """What an e2e test needs: the environment for podman commands and the base images."""

    env: dict[str, str]
    images: images.BaseImages


@pytest.fixture(scope="session")
def podman() -> Podman:
    """A machine ready for podman: packages installed, base images built (cached)."""
    reason = host.why_not_runnable()
    if reason:
        pytest.skip(reason)
    try:
        names = prepare.prepare(log=lambda line: print(f"[e2e setup] {line}"))
    except (host.HostError, images.BuildError) as error:
        pytest.fail(f"e2e setup failed: {error}", pytrace=False)
    return Podman(host.podman_env(), names)


@pytest.fixture(scope="session")
def docker_host(podman: Podman) -> Iterator[str]:
    """DOCKER_HOST of a podman API service for the whole session (stopped at its end)."""
    with service.podman_api(podman.env) as url:
        yield url
