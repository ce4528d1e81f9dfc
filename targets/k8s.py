"""The Kubernetes target: manifests plus a kustomization, images and a README.

Per hosted entry (per shard when sharded) a Deployment — or a StatefulSet with volume claims when
persistence is asked — and a headless Service: the gateway and heads reach every replica with
`dns:///<svc>.<ns>.svc.cluster.local:8080` and balance client-side (gRPC round robin), so load
spreads without a service mesh. A head (Deployment + Service) fans out over shards and runs
uses_before/uses_after workers. The gateway gets a Deployment and a ClusterIP Service on the Flow's
port (else 8080). The plan is a ConfigMap mounted at /etc/flowc/plan.json. Every pod meets the Pod
Security Standards "restricted" profile. A `stateful: true` entry's StatefulSet also gets a
headless `<name>-raft` Service (its governing Service: pods have DNS names before they are ready)
and a NetworkPolicy keeping the Raft port 8081 to its own pods; each pod is the replica of its
ordinal. Objects are plain dicts written by `yamlout.to_yaml`.

Names: objects are named after the entry (DNS label) inside one namespace per Flow (`--namespace`,
else the Flow's name, as Jina does); `--create-namespace` adds the Namespace object.
"""

from __future__ import annotations

import hashlib
import json
import math
import posixpath
import re
from dataclasses import dataclass
from typing import Any, Mapping

from flowc.compiler.diagnostics import Diagnostic, Severity, error
from flowc.compiler.argv import Argv, compact_json, gateway_addresses, runtime_argv
from flowc.compiler.plan import (Deployment, Plan, Resources, Server, is_template,
                                template_secret_var)
from flowc.compiler.names import derived_name, dns_label, object_name
from flowc.targets.env import env_text
from flowc.targets.images import Images, flowc_version, resolve_images
from flowc.compiler.lower import GRPC, HTTP, MONITORING
from flowc.targets.layout import (APP_DIR, PLAN_PATH, RAFT_PORT, SERVER_PORT, gateway_port,
                                  gateway_ports, monitoring_port)
from flowc.targets.locations import flow_span, span_from_source
from flowc.targets.templating import template
from flowc.targets.yamlout import to_yaml, to_yaml_documents
from flowc.targets.images import USER_ID, BuildInputs, building_text, image_files
from flowc.targets.k8s_checks import Settings, check
from flowc.targets.k8s_network import allow_policy, default_deny
from flowc.targets.k8s_resources import container_resources

DEFAULT_STORAGE = "1Gi"
RAFT_PASSWORD_ENV = "FLOWC_RAFT_PASSWORD"  # what the runtime reads (runtime/stateful.py)
RAFT_SECRET_KEY = "password"  # the key of the Raft password in its Secret
STARTUP_PERIOD = 5  # seconds between startupProbe attempts
FOREVER_CAP_S = 86_400  # timeout_ready: -1 ("forever") is capped at one day of startup probing
CONFIGMAP_LIMIT = 1_048_576  # bytes of data a ConfigMap may hold
WORKSPACE_ROOT = "/workspace"
PLAN_DIR = posixpath.dirname(PLAN_PATH)  # the ConfigMap's mount: plan.json (+ addresses.json)
ARG_LIMIT = 100_000  # bytes; Linux caps one argument at 128 KiB (MAX_ARG_STRLEN)
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class Options:
    """What `flowc build --target k8s` accepts (other keys of the CLI mapping are ignored)."""

    image: str | None = None
    namespace: str | None = None
    create_namespace: bool = False
    service_monitor: bool = False  # a ServiceMonitor per monitored workload (Prometheus Operator)
    context: str = "."
    base_image: str | None = None  # `--base-image`: the Dockerfiles' ARG BASE_IMAGE default
    build: BuildInputs = BuildInputs()  # the wheel, executors' files, base image (images.py)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> "Options":
        namespace = options.get("namespace") or None
        if namespace is not None and (len(namespace) > 63 or not _LABEL.fullmatch(namespace)):
            raise ValueError(f"namespace `{namespace}` is not a DNS-1123 label "
                             "(lowercase letters, digits and '-', at most 63 characters)")
        return cls(image=options.get("image") or None, namespace=namespace,
                   create_namespace=bool(options.get("create_namespace")),
                   service_monitor=bool(options.get("service_monitor")),
                   context=options.get("context") or ".",
                   base_image=options.get("base_image") or None,
                   build=BuildInputs.from_mapping(options))


# --------------------------------------------------------------------------------------------
# Rendering context


@dataclass(frozen=True)
class _Ctx:
    plan: Plan
    options: Options
    namespace: str
    images: Images
    plan_name: str
    plan_hash: str

    def dns(self, service: str, port: int = SERVER_PORT) -> str:
        return f"dns:///{service}.{self.namespace}.svc.cluster.local:{port}"


def render(plan: Plan, options: Options) -> tuple[dict[str, str | bytes], list[Diagnostic]]:
    """Render the plan into Kubernetes manifests; no I/O (see the module docstring)."""
    diags: list[Diagnostic] = []
    images, image_diags = resolve_images(plan, options.image)
    diags += image_diags
    settings, more = check(plan)
    diags += more
    plan_json = _configmap_json(plan.to_dict())
    if len(plan_json.encode()) > CONFIGMAP_LIMIT:
        diags.append(error("FC710", f"the plan is {len(plan_json.encode())} bytes, more than "
                           "a ConfigMap holds (1 MiB)", flow_span(plan),
                           hint="split the Flow into several Flows"))
    files, build_diags = image_files(plan, images, options.build)
    diags += build_diags
    if any(d.severity is Severity.ERROR for d in diags):
        return {}, diags

    ctx = _Ctx(plan, options, options.namespace or plan.flow.name, images,
               object_name(plan.flow.name, "plan"),
               hashlib.sha256(plan_json.encode()).hexdigest())
    manifests: dict[str, str] = {}
    if options.create_namespace:
        manifests["namespace.yaml"] = to_yaml(_namespace(ctx))
    entry_docs: dict[str, list[dict]] = {}
    for dep in plan.order():
        if dep.hosted:
            entry_docs[dep.name] = _entry(ctx, dep, settings[dep.name])
            manifests[f"executors/{dns_label(dep.name)}.yaml"] = to_yaml_documents(
                entry_docs[dep.name])
    gateway = plan.servers[-1]
    addresses = gateway_addresses(plan, gateway, lambda server, _: ctx.dns(workload(plan,
                                                                                   server)))
    data = {"plan.json": plan_json}
    addresses_arg = compact_json(addresses)
    if len(addresses_arg.encode()) > ARG_LIMIT:  # Linux refuses longer single arguments
        data["addresses.json"] = addresses_arg + "\n"
        addresses_arg = "@" + posixpath.join(PLAN_DIR, "addresses.json")
        size = sum(len(v.encode()) for v in data.values())
        if size > CONFIGMAP_LIMIT:
            return {}, diags + [error("FC710", f"the plan and the gateway's addresses are {size} "
                                      "bytes, more than a ConfigMap holds (1 MiB)",
                                      flow_span(plan), hint="split the Flow into several Flows")]
    manifests["plan.yaml"] = to_yaml(_configmap(ctx, data))
    manifests["network-policy.yaml"] = to_yaml(default_deny(plan.flow.name, ctx.namespace))
    gateway_docs = _gateway(ctx, addresses_arg, settings["gateway"])
    manifests["gateway.yaml"] = to_yaml_documents(gateway_docs)
    clashes = _clashes(plan, entry_docs, gateway_docs)
    if clashes:
        return {}, diags + clashes
    manifests["kustomization.yaml"] = to_yaml({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(manifests),
    })
    files.update(manifests)
    files["README.md"] = template("k8s/README.md.j2").render(
        flow=plan.flow.name, namespace=ctx.namespace, create_namespace=options.create_namespace,
        builds=sorted(images.builds), port=gateway_port(plan), version=flowc_version(),
        **_web_readme(plan),
        building=building_text(options.build),
        gateway_image=images.gateway,
        raft_secrets=sorted({raft_secret_name(plan, d) for d in plan.deployments
                             if d.stateful and d.hosted}))
    return dict(sorted(files.items())), diags


def _clashes(plan: Plan, entry_docs: dict[str, list[dict]],
             gateway_docs: list[dict]) -> list[Diagnostic]:
    """Objects two entries would both own (`a` sharded makes `a-head`; an entry may be `a-head`)."""
    owner: dict[tuple[str, str], str] = {}
    out = []
    for name, docs in [*entry_docs.items(), ("gateway", gateway_docs)]:
        for doc in docs:
            key = (doc["kind"], doc["metadata"]["name"])
            if key in owner and owner[key] != name:
                first = owner[key]
                dep = plan.deployment(name) if name != "gateway" else plan.deployment(first)
                out.append(error("FC712", f"`{first}` and `{name}` both need the {key[0]} "
                                 f"`{key[1]}` in Kubernetes", span_from_source(dep.source),
                                 hint=f"rename `{name}`"))
            owner.setdefault(key, name)
    return out


def _configmap_json(data: dict) -> str:
    """The plan as the ConfigMap holds it: `Plan.to_json()`'s readable text when that fits,
    else compact JSON (same content). Indented JSON is encoded in pure Python, so it is only
    tried when the compact text (C-encoded) leaves room for the indentation."""
    compact = compact_json(data) + "\n"
    if len(compact.encode()) > CONFIGMAP_LIMIT // 2:
        return compact
    pretty = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return pretty if len(pretty.encode()) <= CONFIGMAP_LIMIT else compact


# --------------------------------------------------------------------------------------------
# Objects


def _labels(ctx: _Ctx, name: str, component: str, extra: dict) -> tuple[dict, dict]:
    """(selector labels, all labels): the selector is a subset, so Services always match."""
    selector = {"app.kubernetes.io/instance": ctx.plan.flow.name, "app.kubernetes.io/name": name}
    labels = {**extra, **selector, "app.kubernetes.io/component": component,
              "app.kubernetes.io/managed-by": "flowc",
              "app.kubernetes.io/part-of": ctx.plan.flow.name}
    return selector, dict(sorted(labels.items()))


def _meta(ctx: _Ctx, name: str, labels: dict, annotations: dict | None = None) -> dict:
    meta: dict[str, Any] = {"name": name, "namespace": ctx.namespace, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    return meta


def _namespace(ctx: _Ctx) -> dict:
    labels = {"app.kubernetes.io/managed-by": "flowc",
              "app.kubernetes.io/part-of": ctx.plan.flow.name,
              "pod-security.kubernetes.io/enforce": "restricted"}
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ctx.namespace, "labels": labels}}


def _configmap(ctx: _Ctx, data: dict[str, str]) -> dict:
    _, labels = _labels(ctx, ctx.plan_name, "plan", {})
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(ctx, ctx.plan_name, labels),
            "data": dict(sorted(data.items()))}


def _service(ctx: _Ctx, name: str, selector: dict, labels: dict, port: int, *,
             headless: bool, port_name: str = "grpc",
             more: tuple[tuple[str, int], ...] = ()) -> dict:
    spec: dict[str, Any] = {"type": "ClusterIP"}
    if headless:
        spec["clusterIP"] = "None"
    spec["selector"] = selector
    spec["ports"] = [{"name": port_name, "port": port, "targetPort": port, "protocol": "TCP"}]
    if port_name != "raft":  # pysyncobj's own protocol has no registered name
        spec["ports"][0]["appProtocol"] = "grpc" if port_name == "grpc" else "http"
    spec["ports"] += [{"name": purpose, "port": number, "targetPort": number, "protocol": "TCP",
                       "appProtocol": "kubernetes.io/ws" if purpose == "websocket" else "http"}
                      for purpose, number in more]
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(ctx, name, labels),
            "spec": spec}


def _web_readme(plan: Plan) -> dict[str, str]:
    """The README's words for the gateway's HTTP/WebSocket ports ('' for a gRPC-only one)."""
    web = [(p, n) for p, n in gateway_ports(plan).items() if p != GRPC]
    docs = {HTTP: ": `/docs` lists its endpoints"}
    return {"web_text": "".join(f"\nand on port {n} ({p.upper()}{docs.get(p, '')})"
                                for p, n in web),
            "web_forward": "".join(f" {n}:{n}" for _, n in web),
            "web_list": "".join(f", {n}" for _, n in web)}


def _ready_get(unit: _Unit) -> dict:
    port = dict(unit.web_ports)["http"]
    return {"path": unit.ready_path, "port": port}


def _probes(port: int, timeout_ready: int, grpc: bool, http_get: dict | None = None) -> dict:
    """Readiness/liveness on the standard gRPC health service (an HTTP-only gateway: `GET
    /status`, answered only once its nodes are SERVING); startup covers timeout_ready."""
    action = {"httpGet": http_get} if http_get else \
        {"grpc": {"port": port}} if grpc else {"tcpSocket": {"port": port}}
    seconds = FOREVER_CAP_S if timeout_ready < 0 else timeout_ready / 1000
    startup = max(1, math.ceil(seconds / STARTUP_PERIOD))
    return {
        "livenessProbe": {**action, "periodSeconds": 20, "timeoutSeconds": 5,
                          "failureThreshold": 3},
        "readinessProbe": {**action, "periodSeconds": 10, "timeoutSeconds": 5,
                           "failureThreshold": 3},
        "startupProbe": {**action, "periodSeconds": STARTUP_PERIOD, "timeoutSeconds": 5,
                         "failureThreshold": startup},
    }


def _env(env: dict, secrets: dict, extra: dict | None = None) -> list[dict]:
    items: dict[str, dict] = {}
    for name, value in {**env, **(extra or {})}.items():
        if is_template(value):  # k8s_checks refused any other than one declared secret
            ref = secrets[template_secret_var(value)]
            items[name] = {"name": name, "valueFrom": {"secretKeyRef": {"name": ref.name,
                                                                        "key": ref.key}}}
        else:
            items[name] = {"name": name, "value": env_text(value)}
    for name, ref in secrets.items():
        items[name] = {"name": name, "valueFrom": {"secretKeyRef": {"name": ref.name,
                                                                    "key": ref.key}}}
    return [items[k] for k in sorted(items)]


def _with_raft_env(env: list[dict], secret: str) -> list[dict]:
    """A Raft replica's own variables: its password from the Secret (never a value in the
    manifest) and its pod IP (downward API), the address its Raft node listens on."""
    own = [{"name": "FLOWC_POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
           {"name": RAFT_PASSWORD_ENV,
            "valueFrom": {"secretKeyRef": {"name": secret, "key": RAFT_SECRET_KEY}}}]
    names = {e["name"] for e in own}
    return sorted([e for e in env if e["name"] not in names] + own, key=lambda e: e["name"])


def raft_secret_name(plan: Plan, dep: Deployment) -> str:
    """The Secret with a stateful entry's Raft password: `raft_configuration.
    password_from_secret`, else `<flow>-raft` (documented in the generated README)."""
    given = (dep.raft_configuration or {}).get("password_from_secret")
    return str(given) if given else f"{dns_label(plan.flow.name)}-raft"


def _workspace_dir(ctx: _Ctx, dep: Deployment | None) -> str | None:
    """Where the runtime writes the workspace in the container (None: the default cache dir)."""
    workspace = (dep.workspace if dep else None) or ctx.plan.flow.workspace
    if not workspace:
        return None
    if workspace.startswith("/"):
        return workspace.rstrip("/") or "/"
    return posixpath.normpath(posixpath.join(APP_DIR, workspace))


@dataclass(frozen=True)
class _Unit:
    """One set of identical pods: a worker set, a head, or the gateway."""

    name: str
    component: str
    image: str
    args: list
    port: int
    replicas: int
    timeout_ready: int
    resources: Resources
    env: dict
    secrets: dict
    service_account: str | None
    pull_secrets: tuple
    settings: Settings
    workspace: str | None
    volumes: tuple = ()
    stateful: bool = False
    raft: bool = False  # a `stateful: true` entry's replicas: a Raft port, Service and policy
    raft_secret: str = ""  # the Secret holding their Raft password (key `password`)
    callers: tuple[str, ...] | None = ()  # units whose pods may call its port (None: anyone)
    grpc: bool = True
    headless: bool = True
    gpus: bool = True
    web_ports: tuple[tuple[str, int], ...] = ()  # the gateway's (purpose, port) beside gRPC
    ready_path: str | None = None  # an HTTP-only gateway: its readiness is `GET` on this path
    monitoring: int | None = None  # the `/metrics` port (`monitoring: true`), as Jina's


def _pod_and_claims(ctx: _Ctx, unit: _Unit, labels: dict) -> tuple[dict, list[dict]]:
    mounts = [{"name": "plan", "mountPath": PLAN_DIR, "readOnly": True},
              {"name": "tmp", "mountPath": "/tmp"},
              {"name": "workspace", "mountPath": unit.workspace or WORKSPACE_ROOT}]
    volumes: list[dict] = [
        {"name": "plan", "configMap": {"name": ctx.plan_name}},
        {"name": "tmp", "emptyDir": {}},
    ]
    claims: list[str] = []
    if unit.stateful:
        claims.append("workspace")
    else:
        volumes.append({"name": "workspace", "emptyDir": {}})
    for i, spec in enumerate(unit.volumes):
        parts = str(spec).split(":")
        path = parts[1] if len(parts) > 1 else parts[0]
        mount = {"name": f"volume-{i}", "mountPath": path}
        if len(parts) > 2 and parts[2] == "ro":
            mount["readOnly"] = True
        mounts.append(mount)
        claims.append(f"volume-{i}")
    extra_env = {} if unit.workspace else {"XDG_CACHE_HOME": WORKSPACE_ROOT}
    container: dict[str, Any] = {
        "name": unit.component,
        "image": unit.image,
        "imagePullPolicy": "IfNotPresent",
        "args": unit.args,
        "ports": [{"name": "grpc" if unit.grpc else "http", "containerPort": unit.port,
                   "protocol": "TCP"}] + ([{"name": "raft", "containerPort": RAFT_PORT,
                                            "protocol": "TCP"}] if unit.raft else [])
        + [{"name": purpose, "containerPort": number, "protocol": "TCP"}
           for purpose, number in unit.web_ports]
        + ([{"name": MONITORING, "containerPort": unit.monitoring, "protocol": "TCP"}]
           if unit.monitoring else []),
        "env": _env(unit.env, unit.secrets, extra_env) if not unit.raft else
        _with_raft_env(_env(unit.env, unit.secrets, extra_env), unit.raft_secret),
        "resources": container_resources(unit.resources, unit.gpus),
        **_probes(unit.port, unit.timeout_ready, unit.grpc,
                  http_get=_ready_get(unit) if unit.ready_path else None),
        "securityContext": {"allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "runAsUser": USER_ID, "runAsGroup": USER_ID,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "volumeMounts": mounts,
    }
    spec: dict[str, Any] = {"automountServiceAccountToken": unit.service_account is not None}
    if unit.service_account:
        spec["serviceAccountName"] = unit.service_account
    if unit.pull_secrets:
        spec["imagePullSecrets"] = [{"name": s} for s in unit.pull_secrets]
    if unit.settings.node_selector:
        spec["nodeSelector"] = unit.settings.node_selector
    if unit.settings.tolerations:
        spec["tolerations"] = unit.settings.tolerations
    spec["securityContext"] = {"fsGroup": USER_ID, "runAsGroup": USER_ID, "runAsNonRoot": True,
                               "runAsUser": USER_ID, "seccompProfile": {"type": "RuntimeDefault"}}
    spec["terminationGracePeriodSeconds"] = 30
    spec["containers"] = [container]
    spec["volumes"] = volumes
    annotations = {**unit.settings.annotations, "flowc.dev/plan-sha256": ctx.plan_hash}
    pod = {"metadata": {"labels": labels, "annotations": dict(sorted(annotations.items()))},
           "spec": spec}
    storage = {"requests": {"storage": unit.settings.storage or DEFAULT_STORAGE}}
    claim_docs = []
    for claim in claims:
        claim_spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": storage}
        if unit.settings.storage_class:
            claim_spec["storageClassName"] = unit.settings.storage_class
        claim_docs.append({"metadata": {"name": claim}, "spec": claim_spec})
    return pod, claim_docs


def _workload_and_service(ctx: _Ctx, unit: _Unit) -> list[dict]:
    selector, labels = _labels(ctx, unit.name, unit.component, unit.settings.labels)
    pod, claims = _pod_and_claims(ctx, unit, labels)
    annotations = unit.settings.annotations or None
    spec: dict[str, Any] = {"replicas": unit.replicas, "selector": {"matchLabels": selector}}
    if unit.stateful:
        kind = "StatefulSet"
        spec["serviceName"] = derived_name("raft", unit.name) if unit.raft else unit.name
        spec["podManagementPolicy"] = "Parallel"
        spec["template"] = pod
        spec["volumeClaimTemplates"] = claims
    else:
        kind = "Deployment"
        spec["template"] = pod
    workload = {"apiVersion": "apps/v1", "kind": kind,
                "metadata": _meta(ctx, unit.name, labels, annotations), "spec": spec}
    watched = ((MONITORING, unit.monitoring),) if unit.monitoring else ()
    service = _service(ctx, unit.name, selector, labels, unit.port, headless=unit.headless,
                       port_name="grpc" if unit.grpc else "http", more=unit.web_ports + watched)
    callers = None if unit.callers is None else [
        _labels(ctx, name, "", {})[0] for name in unit.callers]
    policy = allow_policy(_meta(ctx, unit.name, labels), selector, unit.port, callers, unit.raft,
                          ctx.namespace, tuple(number for _, number in unit.web_ports),
                          scraped=unit.monitoring)
    monitor = [_service_monitor(ctx, unit.name, labels)] if watched and \
        ctx.options.service_monitor else []
    return [workload, service, policy] + (_raft_objects(ctx, unit, selector, labels)
                                          if unit.raft else []) + monitor


def _service_monitor(ctx: _Ctx, name: str, labels: dict) -> dict:
    """A Prometheus Operator ServiceMonitor scraping the Service's `monitoring` port, as Jina's
    Kubernetes export writes one (`--service-monitor`)."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": _meta(ctx, name, labels),
            "spec": {"endpoints": [{"port": MONITORING, "path": "/metrics"}],
                     "namespaceSelector": {"matchNames": [ctx.namespace]},
                     "selector": {"matchLabels": labels}}}


def _raft_objects(ctx: _Ctx, unit: _Unit, selector: dict, labels: dict) -> list[dict]:
    """A stateful entry's Raft plumbing: the StatefulSet's governing Service, which gives each
    pod a DNS name before it is ready (replicas elect a leader before any is SERVING). The
    unit's NetworkPolicy (k8s_network) opens the Raft port to the entry's own pods only."""
    name = derived_name("raft", unit.name)
    service = _service(ctx, name, selector, labels, RAFT_PORT, headless=True, port_name="raft")
    service["spec"]["publishNotReadyAddresses"] = True
    return [service]


def workload(plan: Plan, server: Server) -> str:
    """The workload (and Service) running `server`: one per shard of an entry's executor
    replicas (its pods are the replicas), one per uses_before/uses_after worker and head."""
    if server.kind == "gateway":
        return derived_name("entry", server.name)
    entry = str(server.deployment)
    if server.role == "executor":
        return (derived_name("shard", entry, server.shard or 0)
                if plan.deployment(entry).shards > 1 else derived_name("entry", entry))
    return derived_name(server.role, entry)


def _argv(ctx: _Ctx, server: Server, port: int = SERVER_PORT,
          web: dict[str, int] | None = None) -> Argv:
    watch = monitoring_port(ctx.plan, server)
    return runtime_argv(ctx.plan, server, lambda callee, _: ctx.dns(workload(ctx.plan, callee)),
                        plan_path=PLAN_PATH, port=str(port),
                        base_dir=None if server.kind == "head" else APP_DIR,
                        web_ports={k: str(v) for k, v in (web or {}).items()},
                        monitoring_port=None if watch is None else str(watch))


def _entry(ctx: _Ctx, dep: Deployment, settings: Settings) -> list[dict]:
    """Every object of one hosted entry: a workload and Service per shard (the replicas are
    its pods, so their arguments name no replica), per uses_before/uses_after and the head."""
    env = {**ctx.plan.flow.env, **dep.env}
    persistent = bool(settings.workload == "StatefulSet" or dep.volumes or dep.stateful
                      or settings.storage or settings.storage_class)
    # who calls the entry's pods: its head (shards, uses_before/after), else the gateway
    caller = derived_name("head" if dep.needs_head else "entry",
                          dep.name if dep.needs_head else ctx.plan.gateway.name)

    def unit(server: Server, args: list[str], replicas: int, **kw: Any) -> _Unit:
        role = server.role
        image = ctx.images.gateway if role == "head" else ctx.images.workers[(dep.name, role)]
        return _Unit(name=workload(ctx.plan, server), component=role.replace("_", "-"),
                     image=image or "", args=args,
                     callers=(derived_name("entry", ctx.plan.gateway.name),) if role == "head"
                     else (caller,), port=SERVER_PORT, replicas=replicas,
                     timeout_ready=dep.timeout_ready,
                     resources=kw.pop("resources", dep.resources), env=env,
                     secrets=dep.env_from_secret, service_account=dep.service_account,
                     pull_secrets=dep.image_pull_secrets, settings=settings,
                     workspace=_workspace_dir(ctx, dep),
                     monitoring=monitoring_port(ctx.plan, server), **kw)

    docs: list[dict] = []
    for server in ctx.plan.servers_of(dep.name):
        if server.role == "executor" and server.replica:
            continue
        argv = _argv(ctx, server)
        if server.role == "executor":
            argv.drop("--replica")
            if dep.shards == 1:
                argv.drop("--shard")
            name = workload(ctx.plan, server)
            if dep.stateful:  # pod <name>-<i> is replica i (its ordinal)
                raft = derived_name("raft", name)
                argv.set("--raft-peers", compact_json([
                    f"{name}-{peer.replica}.{raft}.{ctx.namespace}.svc.cluster.local:{RAFT_PORT}"
                    for peer in ctx.plan.raft_peers(server)])).set(
                    "--replica-from-hostname", None).set("--raft-host", "$(FLOWC_POD_IP)")
            docs += _workload_and_service(ctx, unit(
                server, argv.render()[1:], dep.replicas, volumes=dep.volumes,
                stateful=persistent, raft=dep.stateful,
                raft_secret=raft_secret_name(ctx.plan, dep)))
        elif server.kind == "worker":
            docs += _workload_and_service(ctx, unit(server, argv.render()[1:], 1, gpus=False))
        else:
            docs += _workload_and_service(ctx, unit(server, argv.render()[1:], 1,
                                                    resources=ctx.plan.gateway.resources,
                                                    gpus=False))
    return docs


def _gateway(ctx: _Ctx, addresses: str, settings: Settings) -> list[dict]:
    """The gateway; `addresses` is the `--addresses` argument (JSON, or @FILE when long)."""
    gw = ctx.plan.gateway
    ports = gateway_ports(ctx.plan)
    port = ports.pop(GRPC)
    ready = [d.timeout_ready for d in ctx.plan.deployments if d.hosted]
    timeout = -1 if any(t < 0 for t in ready) else max(ready, default=600_000)
    argv = _argv(ctx, ctx.plan.servers[-1], port, web=ports)
    args = argv.set("--addresses", addresses).render()[1:]
    http_only = GRPC not in gw.protocols and HTTP in ports
    debug = not gw.options.get("no_debug_endpoints")
    unit = _Unit(name=derived_name("entry", gw.name), component="gateway",
                 image=ctx.images.gateway or "",
                 args=args, port=port, replicas=gw.replicas, timeout_ready=timeout,
                 resources=gw.resources, env={**ctx.plan.flow.env, **gw.env},
                 secrets=gw.env_from_secret, service_account=gw.service_account,
                 pull_secrets=(), settings=settings, workspace=_workspace_dir(ctx, None),
                 grpc=True, headless=False, gpus=False, callers=None,
                 web_ports=tuple(ports.items()),
                 ready_path="/status" if http_only and debug else None,
                 monitoring=monitoring_port(ctx.plan, ctx.plan.servers[-1]))
    return _workload_and_service(ctx, unit)
