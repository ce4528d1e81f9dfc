"""NetworkPolicies of the k8s target: a Flow's pods accept only the Flow's own traffic.

- `<flow>.default-deny` selects every pod of the Flow (label `app.kubernetes.io/instance`) and
  allows no ingress: a pod nothing below admits traffic to is unreachable.
- One policy per set of pods (named like its workload) opens its serving port to the pods that
  call it: the gateway's port to anyone (clients come from outside the Flow; put an Ingress or
  your own policy in front to narrow it), a head's and an unsharded entry's port to the gateway,
  a shard's and a uses_before/uses_after worker's port to its head.
- A `stateful: true` entry's Raft port only to the same entry's pods, in the same namespace
  (`namespaceSelector` on `kubernetes.io/metadata.name`), since a Raft peer decides the state.

Egress is left open: executors commonly call model hubs, databases and other services, and DNS
must keep working; restrict it with a policy of your own where the Flow's calls are known.
Only ingress is selected by these policies, so they never cut a pod's outgoing traffic.
"""

from __future__ import annotations

from typing import Any

from flowc.compiler.names import dns_label
from flowc.targets.layout import RAFT_PORT

NAMESPACE_LABEL = "kubernetes.io/metadata.name"  # set by Kubernetes on every namespace (1.21+)


def default_deny(flow: str, namespace: str) -> dict:
    """Deny all ingress to the Flow's pods (the dot keeps the name apart from workload names)."""
    labels = {"app.kubernetes.io/component": "network-policy",
              "app.kubernetes.io/instance": flow, "app.kubernetes.io/managed-by": "flowc",
              "app.kubernetes.io/part-of": flow}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"{dns_label(flow)}.default-deny", "namespace": namespace,
                         "labels": labels},
            "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/instance": flow}},
                     "policyTypes": ["Ingress"]}}


def allow_policy(meta: dict, selector: dict[str, str], port: int, callers: list[dict] | None,
                 raft: bool, namespace: str, more_ports: tuple[int, ...] = (),
                 scraped: int | None = None) -> dict:
    """Open `port` (and `more_ports`: a gateway's HTTP/WebSocket ports) of the pods `selector`
    picks to the pods `callers` picks (None: anyone), for a Raft group its Raft port to its
    own pods in `namespace`, and the `/metrics` port `scraped` to any pod (Prometheus runs in a
    namespace of its own, whose labels flowc cannot know)."""
    serving: dict[str, Any] = {"ports": [{"port": p, "protocol": "TCP"}
                                         for p in (port, *more_ports)]}
    if callers is not None:
        serving = {"from": [{"podSelector": {"matchLabels": c}} for c in callers], **serving}
    rules = [serving] if callers is None or callers else []  # `from: []` would admit anyone
    if raft:
        rules.append({"from": [{"namespaceSelector": {"matchLabels": {NAMESPACE_LABEL: namespace}},
                                "podSelector": {"matchLabels": selector}}],
                      "ports": [{"port": RAFT_PORT, "protocol": "TCP"}]})
    if scraped is not None:
        rules.append({"ports": [{"port": scraped, "protocol": "TCP"}]})
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta,
            "spec": {"podSelector": {"matchLabels": selector}, "policyTypes": ["Ingress"],
                     "ingress": rules}}
