"""Make this machine ready for the e2e tests, idempotently: podman's Debian packages, then the
base images. `make e2e-setup` runs it; the e2e conftest calls `prepare()` too, so `make e2e` alone
works from a cold machine.

Usage: python -m tests.e2e.prepare   (from the repository root; exit 0 also when skipped,
printing why, since a machine that cannot run podman is not an error of the project)
"""

from __future__ import annotations

import sys
import time

from tests.e2e import host, images


def prepare(log: images.Log = print) -> images.BaseImages:
    """Install what is missing and build what is out of date; raise HostError or BuildError."""
    started = time.monotonic()
    installed = host.ensure_packages()
    log(f"packages: {'installed ' + ' '.join(installed) if installed else 'present'} "
        f"({time.monotonic() - started:.1f} s)")
    names, _ = images.ensure_base_images(host.podman_env(), log)
    log(f"e2e setup done in {time.monotonic() - started:.1f} s; "
        f"export CONTAINERS_CONF={host.CONTAINERS_CONF} to use podman by hand")
    return names


def main() -> int:
    reason = host.why_not_runnable()
    if reason:
        print(f"e2e setup skipped: {reason}")
        return 0
    try:
        prepare()
    except (host.HostError, images.BuildError) as error:
        print(f"e2e setup failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
