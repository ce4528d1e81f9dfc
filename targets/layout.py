"""Where things are in a generated deployment: ports and paths inside each container, and the
address the gateway is reachable at."""

from __future__ import annotations

import ipaddress

from flowc.compiler.plan import Plan


SERVER_PORT = 8080  # every worker and head listens here inside its own container/pod
RAFT_PORT = 8081  # a stateful replica's Raft node, inside its own container/pod
RUNTIME = "flowc-runtime"
PLAN_PATH = "/etc/flowc/plan.json"  # where container targets mount the plan
APP_DIR = "/app"  # the base directory inside generated images (`--base-dir`)


def gateway_port(plan: Plan) -> int:
    """The gateway's port: the Flow's `port` when set, else the shared default."""
    return plan.gateway.ports[0] if plan.gateway.ports else SERVER_PORT


LOOPBACK = "127.0.0.1"  # where compose and systemd expose the gateway unless told otherwise


def gateway_host(plan: Plan, option: str | None) -> str:
    """The host address the gateway is reachable at (compose publishes its port there, systemd
    binds it): `flowc build --gateway-host`, else the Flow's `gateway: host:` when written, else
    loopback. Loopback by default, so building a Flow never exposes it to the network unasked;
    `--gateway-host 0.0.0.0` exposes it on every IPv4 interface."""
    if option:
        return option
    written = "/host" in plan.gateway.sources  # the plan records where `host` was written
    return plan.gateway.host if written else LOOPBACK


def check_gateway_host(value: str | None) -> str | None:
    """`--gateway-host` must be an IP address (compose publishes on an address, not a name)."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"`gateway_host` is `{value}`; give an IP address such as 127.0.0.1 "
                         "(this machine only) or 0.0.0.0 (every interface)") from None
