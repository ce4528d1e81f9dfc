"""The docker-compose target: one service per server, wired as the plan says, hardened.

Output: `compose.yaml`, `plan.json` (mounted into every container as a compose config at
`/etc/flowc/plan.json`), `README.md`, `.gitignore` (keeps `secrets/` out of git) and, when
executors run local code, `images/<entry>/Dockerfile` + `build-images.sh` (from `images.py`).

Services (names are DNS labels): `<entry>-rep-<r>` per replica, `<entry>-shard-<s>-rep-<r>`
when sharded, `<entry>-head`, `<entry>-uses-before`, `<entry>-uses-after`, and `gateway`.
Every server listens on 8080 inside its container (the gateway on the Flow's port, published
as `"<port>:<port>"` on every host interface, as `docker run -p` users expect); the replicas of
a `stateful: true` entry also run a Raft node on 8081 (`expose`d, never published), listening on
the container's own address (its service name, resolved), and each gets its shard's Raft
addresses (`<service>:8081`) in `--raft-peers`; their Raft password is the compose secret
`flowc-raft-password` (`secrets/flowc-raft/password`, which the README's command creates with
a random value before `up`), like any `env_from_secret`. The gateway gets
every replica's address in `--addresses` and balances itself; heads get their shards in
`--shards`. `depends_on` with `condition: service_healthy` follows the graph (the gateway on
everything it routes to, a head on its shards), and every service has a healthcheck running
`flowc-runtime health`. Secrets (`env_from_secret`) are compose `secrets:` read from files under
`secrets/` (or from the environment with the option `secrets_from: environment`), mounted at
`/run/secrets/<id>`; the runtime exports each as its variable (`--env-from-file VAR=PATH`).
"""

from __future__ import annotations

import math
import posixpath
import re
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping


from flowc.compiler.diagnostics import Diagnostic, error, has_errors, warning
from flowc.compiler.argv import compact_json, runtime_argv
from flowc.compiler.plan import GRPC, RAFT, Deployment, Plan, SecretRef, Server
from flowc.compiler.syntax import Span
from flowc.compiler.argv import RUNTIME
from flowc.compiler.names import derived_name, dns_label
from flowc.targets.images import Images, resolve_images
from flowc.targets.layout import (
    APP_DIR, LOOPBACK, PLAN_PATH, RAFT_PORT, SERVER_PORT, check_gateway_host, gateway_host,
    gateway_ports, monitoring_port)
from flowc.targets.locations import entry_span, env_span, gateway_span, span_from_source
from flowc.targets.env import ENV_NAME, env_text, env_values
from flowc.targets.templating import template
from flowc.targets.yamlout import to_yaml
from flowc.targets.images import USER_ID, BuildInputs, building_text, image_files

NETWORK = "flowc"
# the stateful replicas' Raft password, passed like an `env_from_secret` entry
RAFT_PASSWORD = ("FLOWC_RAFT_PASSWORD", SecretRef("flowc-raft", "password"))
WORKSPACE_ROOT = "/workspace"
HEALTH_INTERVAL = "5s"  # also how soon `up --wait` sees a started service healthy
READY_CAP_S = 86_400  # start_period when timeout_ready is -1 (wait "forever")
SECRET_SOURCES = ("file", "environment")


@dataclass(frozen=True)
class Options:
    """compose target options (other shared `flowc build` options are ignored)."""

    image: str | None = None
    context: str = ".."  # the Flow's directory relative to the output directory (build context)
    secrets_from: str = "file"  # 'file': secrets/<name>/<key>; 'environment': FLOWC_SECRET_...
    gateway_host: str | None = None  # where the gateway's port is published (layout.gateway_host)
    base_image: str | None = None  # `--base-image`: the Dockerfiles' ARG BASE_IMAGE default
    build: BuildInputs = BuildInputs()  # the wheel, executors' files, base image (images.py)
    network: str | None = None  # `--network`: the compose network's name (default <flow>-flowc)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> "Options":
        options = options or {}
        source = str(options.get("secrets_from") or "file")
        if source not in SECRET_SOURCES:
            raise ValueError(f"`secrets_from` is `{source}`; use `file` or `environment`")
        return cls(image=options.get("image") or None,
                   context=str(options.get("context") or ".."), secrets_from=source,
                   gateway_host=check_gateway_host(options.get("gateway_host")),
                   base_image=options.get("base_image") or None,
                   build=BuildInputs.from_mapping(options),
                   network=_network_name(options.get("network")))


_NETWORK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _network_name(value: Any) -> str | None:
    """`--network`, checked as Docker checks network names (a letter or digit first)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _NETWORK_NAME.match(value):
        raise ValueError(f"`network` is {value!r}; a network name is letters, digits, `_`, "
                         f"`.` and `-`, starting with a letter or digit")
    return value


@dataclass
class _Ctx:
    plan: Plan
    images: Images
    diags: list[Diagnostic]
    services: dict[str, dict]
    owners: dict[str, str]  # service name -> what it runs (for collision messages)
    secrets: dict[str, SecretRef]  # compose secret id -> reference
    volumes: set[str]


def render(plan: Plan, options: Options) -> tuple[dict[str, str | bytes], list[Diagnostic]]:
    """Render the plan into compose.yaml, plan.json, README.md and the image build files."""
    images, diags = resolve_images(plan, options.image)
    if has_errors(diags):
        return {}, diags
    ctx = _Ctx(plan, images, diags, {}, {}, {}, set())
    host = _published_host(plan, options, diags)
    for server in plan.servers:
        if server.kind == "gateway":
            _gateway(ctx, server, host)
        else:
            _server(ctx, server)
    build_files, problems = image_files(plan, images, options.build)
    diags.extend(problems)
    if has_errors(diags):
        return {}, diags

    document: dict[str, Any] = {"name": plan.flow.name,
                                "services": {k: ctx.services[k] for k in sorted(ctx.services)},
                                "networks": {NETWORK: {"name": options.network
                                                       or f"{plan.flow.name}-{NETWORK}"}},
                                "configs": {"plan": {"file": "./plan.json"}}}
    if ctx.volumes:
        document["volumes"] = {v: {} for v in sorted(ctx.volumes)}
    if ctx.secrets:
        document["secrets"] = {sid: _secret_source(sid, ref, options)
                               for sid, ref in sorted(ctx.secrets.items())}
    files = dict(build_files)
    files["compose.yaml"] = ("# Generated by flowc: rebuild with `flowc build --target compose`, "
                             "do not edit.\n" + to_yaml(_no_interpolation(document)))
    files["plan.json"] = plan.to_json()
    files[".gitignore"] = "secrets/\n"
    files["README.md"] = template("compose/README.md.j2").render(
        flow=plan.flow.name, builds=bool(build_files), host=host,
        building=building_text(options.build), **_port_words(plan, host),
        gateway_service=derived_name("entry", plan.gateway.name),
        secrets=[(sid, _secret_source(sid, ref, options))
                 for sid, ref in sorted(ctx.secrets.items())],
        raft=(_secret_source(_secret_id(RAFT_PASSWORD[1]), RAFT_PASSWORD[1], options)
              if any(d.stateful and d.hosted for d in plan.deployments) else None),
        services=sorted(ctx.services), options=options, user=USER_ID)
    return dict(sorted(files.items())), diags


# --------------------------------------------------------------------------------------------
# Services


def service_name(plan: Plan, server: Server) -> str:
    """The compose service running `server` (names.py's table: `<entry>-rep-<r>`,
    `<entry>-shard-<s>-rep-<r>`, `<entry>-head`, `<entry>-uses-before`, ..., the gateway's)."""
    if server.kind == "gateway":
        return derived_name("entry", server.name)
    entry = str(server.deployment)
    if server.role == "executor":
        form = "shard_replica" if plan.deployment(entry).shards > 1 else "replica"
        return derived_name(form, entry, server.shard or 0, server.replica or 0)
    return derived_name(server.role, entry)


def _address(plan: Plan, server: Server, purpose: str) -> str:
    """Servers reach each other by service name on the Flow's network."""
    return f"{service_name(plan, server)}:{RAFT_PORT if purpose == RAFT else SERVER_PORT}"


def _server(ctx: _Ctx, server: Server) -> None:
    """The service of one executor replica, uses_before/uses_after worker or head."""
    dep = ctx.plan.deployment(str(server.deployment))
    span = span_from_source(dep.source)
    watch = monitoring_port(ctx.plan, server)
    argv = runtime_argv(ctx.plan, server, partial(_address, ctx.plan), plan_path=PLAN_PATH,
                        port=str(SERVER_PORT), base_dir=APP_DIR,
                        monitoring_port=None if watch is None else str(watch))
    if server.kind == "head":
        service = _service(ctx, ctx.images.gateway or "", argv.render()[1:],
                           f"the head of `{dep.name}`", {}, {}, partial(entry_span, dep),
                           labels=_labels(ctx, dep.targets, dep.name, "head"),
                           workspace=None, ready=dep.timeout_ready)
        service["depends_on"] = _depends([service_name(ctx.plan, ctx.plan.server(n)) for n in
                                          _callees(server)])
        if watch is not None:
            service["expose"] = [str(watch)]  # Prometheus scrapes it on the Flow's network
        _add(ctx, service_name(ctx.plan, server), f"the head of `{dep.name}`", span, service)
        return
    raft = RAFT in server.ports
    if raft:  # a stateful shard's replicas reach each other's Raft nodes by service name
        argv.set("--raft-peers", compact_json([_address(ctx.plan, peer, RAFT)
                                               for peer in ctx.plan.raft_peers(server)]))
    volume = derived_name("workspace", dep.name)
    ctx.volumes.add(volume)
    service = _service(
        ctx, ctx.images.workers[(dep.name, server.role)], argv.render()[1:], f"`{dep.name}`",
        dep.env, {**dep.env_from_secret, **dict([RAFT_PASSWORD])} if raft else dep.env_from_secret,
        partial(entry_span, dep), labels=_labels(ctx, dep.targets, dep.name, server.role),
        workspace=(volume, _workspace_dir(ctx.plan, dep)), ready=dep.timeout_ready,
        binds=dep.volumes)
    exposed = [str(n) for n in ((RAFT_PORT,) if raft else ()) + ((watch,) if watch else ())]
    if exposed:  # its Raft node, for the other replicas; `/metrics`, for Prometheus
        service["expose"] = exposed
    _add(ctx, service_name(ctx.plan, server), f"`{dep.name}` ({server.role})", span, service)


def _callees(server: Server) -> list[str]:
    """The servers a head or the gateway calls (what its container waits for)."""
    named = [n for group in server.shards for n in group]
    named += [n for n in (server.uses_before, server.uses_after) if n is not None]
    return named + [n for names in server.routes.values() for n in names]


def _published_host(plan: Plan, options: Options, diags: list[Diagnostic]) -> str:
    """The host address the gateway's port is published on (loopback unless asked)."""
    host = gateway_host(plan, options.gateway_host)
    try:
        return check_gateway_host(host) or LOOPBACK
    except ValueError:
        diags.append(error("FC734", f"the gateway's `host` is `{host}`, and compose publishes a "
                           "port on an IP address of the host", gateway_span(plan, "host"),
                           hint="write an IP address (127.0.0.1, 0.0.0.0), or leave `host` out "
                                "and use `flowc build --gateway-host`"))
        return LOOPBACK


def _published(host: str, port: int) -> str:
    """A `ports:` entry publishing `port` on `host` only (IPv6 addresses in brackets)."""
    return f"[{host}]:{port}:{port}" if ":" in host else f"{host}:{port}:{port}"


def _port_words(plan: Plan, host: str) -> dict[str, Any]:
    """The README's words for the gateway's published ports (gRPC, then HTTP/WebSocket)."""
    ports = gateway_ports(plan)
    published = ", ".join(f'`"{_published(host, n)}"`' for n in ports.values())
    if len(ports) == 1:
        return {"port_words": f"port {ports[GRPC]}", "published_words": published,
                "ports": list(ports.values())}
    names = {GRPC: "gRPC", "http": "HTTP, `/docs` lists its endpoints", "websocket": "WebSocket"}
    words = ", ".join(f"{n} ({names.get(p, p)})" for p, n in ports.items())
    return {"port_words": f"ports {words}", "published_words": published,
            "ports": list(ports.values())}


def _gateway(ctx: _Ctx, server: Server, host: str) -> None:
    plan, gw = ctx.plan, ctx.plan.gateway
    web = gateway_ports(plan)
    port = web.pop(GRPC)
    if gw.replicas > 1:
        ctx.diags.append(warning(
            "FC731", f"the gateway asks for {gw.replicas} replicas; the compose target runs one "
            f"gateway, since only one container can publish port {port}", None,
            hint="scale the executors instead, or use the k8s target for several gateways"))
    ready = [d.timeout_ready for d in plan.deployments if d.hosted]
    watch = monitoring_port(plan, server)
    argv = runtime_argv(plan, server, partial(_address, plan), plan_path=PLAN_PATH, port=str(port),
                        base_dir=APP_DIR, web_ports={p: str(n) for p, n in web.items()},
                        monitoring_port=None if watch is None else str(watch))
    volume = derived_name("workspace", "gateway")
    ctx.volumes.add(volume)
    service = _service(ctx, ctx.images.gateway or "", argv.render()[1:], "the gateway", gw.env,
                       gw.env_from_secret, partial(gateway_span, plan),
                       labels=_labels(ctx, gw.targets, None, "gateway"),
                       workspace=(volume, _workspace_dir(plan, None)),
                       ready=-1 if any(t < 0 for t in ready) else max(ready, default=600_000),
                       port=port)
    service["ports"] = [_published(host, n) for n in (port, *web.values())]
    if watch is not None:  # `/metrics` on the Flow's network, and where the gateway is published
        service["expose"] = [str(watch)]
        service["ports"].append(_published(host, watch))
    routed = [service_name(plan, plan.server(n)) for n in _callees(server)]
    if routed:
        service["depends_on"] = _depends(routed)
    _add(ctx, service_name(ctx.plan, server), "the gateway", None, service)


def _service(ctx: _Ctx, image: str, args: list[str], who: str, env: dict, secrets: dict,
             at: Callable[..., Span | None], *, labels: dict[str, str],
             workspace: tuple[str, str | None] | None, ready: int, port: int = SERVER_PORT,
             binds: tuple[str, ...] = ()) -> dict:
    """One hardened service running `flowc-runtime <args>` (the images' entrypoint); `at(*keys)`
    locates the keys of the entry (or gateway) it runs, for diagnostics."""
    environment, aliases = _environment(ctx, who, {**ctx.plan.flow.env, **env}, secrets, at)
    mounts: list[Any] = [{"type": "volume", "source": workspace[0],
                          "target": workspace[1] or WORKSPACE_ROOT}] if workspace else []
    if workspace and not workspace[1]:
        environment["XDG_CACHE_HOME"] = WORKSPACE_ROOT
    mounts += list(binds)
    service_secrets = []
    for var, ref in sorted({**secrets, **aliases}.items()):
        sid = _secret_id(ref)
        ctx.secrets[sid] = ref
        args = args + ["--env-from-file", f"{var}=/run/secrets/{sid}"]
        if sid not in [s["source"] for s in service_secrets]:
            service_secrets.append({"source": sid, "target": sid})
    service: dict[str, Any] = {
        "image": image,
        "command": args,
        "user": f"{USER_ID}:{USER_ID}",
        "read_only": True,
        "tmpfs": ["/tmp"],
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "restart": "on-failure",
        "stop_grace_period": "30s",
        "networks": [NETWORK],
        "configs": [{"source": "plan", "target": PLAN_PATH}],
        "healthcheck": {"test": ["CMD", RUNTIME, "health", f"127.0.0.1:{port}"],
                        # no `start_interval`: Docker Engine 25+ only; podman 4.3's Docker API
                        # and docker.io 20.10 (Debian 12) refuse it, so a short interval instead
                        "interval": HEALTH_INTERVAL, "timeout": "5s", "retries": 3,
                        "start_period": _seconds(ready)},
    }
    service["labels"] = dict(sorted(labels.items()))
    if environment:
        service["environment"] = dict(sorted(environment.items()))
    if service_secrets:
        service["secrets"] = sorted(service_secrets, key=lambda s: s["source"])
    if mounts:
        service["volumes"] = mounts
    return service


def _labels(ctx: _Ctx, targets: dict, entry: str | None, component: str) -> dict[str, str]:
    """flowc's own labels (to find a flow's containers) over `targets.compose.labels`."""
    labels = {str(k): env_text(v)
              for k, v in ((targets or {}).get("compose") or {}).get("labels", {}).items()}
    labels.update({"dev.flowc.flow": ctx.plan.flow.name, "dev.flowc.component": component})
    if entry:
        labels["dev.flowc.entry"] = entry
    return labels


def _add(ctx: _Ctx, name: str, what: str, span: Span | None, service: dict) -> None:
    if name in ctx.services:
        ctx.diags.append(error(
            "FC730", f"{what} and {ctx.owners[name]} would both be the compose service "
            f"`{name}`", span, hint="rename one of the entries"))
        return
    ctx.services[name] = service
    ctx.owners[name] = what


def _depends(names: list[str]) -> dict:
    return {n: {"condition": "service_healthy"} for n in sorted(set(names))}


def _seconds(ms: int) -> str:
    return f"{READY_CAP_S}s" if ms is None or ms < 0 else f"{max(1, math.ceil(ms / 1000))}s"


def _workspace_dir(plan: Plan, dep: Deployment | None) -> str | None:
    """The container path of the workspace (the same rule as the k8s target): an absolute
    `workspace` as written, a relative one under /app; None means the runtime's default."""
    workspace = (dep.workspace if dep else None) or plan.flow.workspace
    if not workspace:
        return None
    if workspace.startswith("/"):
        return workspace.rstrip("/") or "/"

    return posixpath.normpath(posixpath.join(APP_DIR, workspace))


# --------------------------------------------------------------------------------------------
# Environment and secrets


def _environment(ctx: _Ctx, who: str, env: dict, secrets: dict, at: Callable[..., Span | None]
                 ) -> tuple[dict[str, str], dict[str, SecretRef]]:
    """Plain env values, and env entries that are exactly one secret variable (they read the
    same secret). A value mixing a secret with other text cannot be expressed: an error."""
    for name in sorted(env):
        if not ENV_NAME.match(name):
            ctx.diags.append(error("FC732", f"env `{name}` of {who} is not a usable environment "
                                   "variable name", env_span(at, name),
                                   hint="use letters, digits and `_`, not starting with a digit"))
    typed, problems = env_values(who, {k: v for k, v in env.items() if ENV_NAME.match(k)},
                                 secrets, at)
    ctx.diags += problems
    for var in secrets:
        if not ENV_NAME.match(var):
            ctx.diags.append(error("FC732", f"`env_from_secret` variable `{var}` of {who} is not "
                                   "a usable environment variable name",
                                   at("env_from_secret", var)))
    return ({k: v.text for k, v in typed.items() if v.secret is None},
            {k: v.secret for k, v in typed.items() if v.secret is not None})


def _secret_id(ref: SecretRef) -> str:
    """A compose secret name for one (secret, key) pair: `<name>-<key>`, filename-safe."""
    key = re.sub(r"[^A-Za-z0-9_.-]+", "-", ref.key).strip("-.") or "key"
    return f"{dns_label(ref.name)}-{key}"


def _secret_source(sid: str, ref: SecretRef, options: Options) -> dict[str, str]:
    if options.secrets_from == "environment":
        return {"environment": "FLOWC_SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", sid).upper()}
    key = re.sub(r"[^A-Za-z0-9_.-]+", "-", ref.key).strip("-.") or "key"
    return {"file": f"./secrets/{dns_label(ref.name)}/{key}"}


def _no_interpolation(value: Any) -> Any:
    """Compose interpolates `${VAR}` and `$VAR` everywhere in the file: double every `$` so
    values reach the containers exactly as the plan has them."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: _no_interpolation(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_interpolation(v) for v in value]
    return value
