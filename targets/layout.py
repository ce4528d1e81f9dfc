"""Where things are in a generated deployment: ports and paths inside each container, and the
address the gateway is reachable at."""

from __future__ import annotations

import ipaddress

from flowc.compiler.lower import GRPC, MONITORING, gateway_purposes
from flowc.compiler.plan import Plan, Server


SERVER_PORT = 8080  # every worker and head listens here inside its own container/pod
RAFT_PORT = 8081  # a stateful replica's Raft node, inside its own container/pod
RUNTIME = "flowc-runtime"
PLAN_PATH = "/etc/flowc/plan.json"  # where container targets mount the plan
APP_DIR = "/app"  # the base directory inside generated images (`--base-dir`)
# Prometheus `/metrics` inside a container/pod (`monitoring: true`) unless `port_monitoring`
# says otherwise: Jina's Kubernetes export uses 9090 too (GrpcConnectionPool.K8S_PORT_MONITORING)
MONITORING_PORT = 9090


def monitoring_port(plan: Plan, server: Server) -> int | None:
    """The `/metrics` port of `server` inside its own container/pod, None when it has none:
    its entry's (or the gateway's) `port_monitoring`, else MONITORING_PORT."""
    if MONITORING not in server.ports:
        return None
    node = plan.gateway if server.deployment is None else plan.deployment(server.deployment)
    return int(node.observability.get("port_monitoring") or MONITORING_PORT)


def gateway_port(plan: Plan) -> int:
    """The gateway's gRPC port: the Flow's `port` for it when set, else the shared default."""
    return gateway_ports(plan)[GRPC]


def gateway_ports(plan: Plan, default: int = SERVER_PORT) -> dict[str, int]:
    """The gateway's port per purpose (grpc first, then the Flow's other protocols): the port
    the Flow fixed for that protocol (`port` lists one per `protocol`, in order), else counting
    up from `default`, skipping the fixed ones."""
    gw = plan.gateway
    fixed = dict(zip(gw.protocols, gw.ports)) if len(gw.ports) == len(gw.protocols) else {}
    taken, number, out = set(fixed.values()), default, {}
    for purpose in gateway_purposes(gw.protocols):
        if purpose in fixed:
            out[purpose] = int(fixed[purpose])
            continue
        while number in taken:
            number += 1
        out[purpose] = number
        taken.add(number)
    return out


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
