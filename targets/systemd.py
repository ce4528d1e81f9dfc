"""The systemd target: template units per node, a target wanting every instance, an install script.

Layout of the output directory (what `install.sh` copies where):

- `units/<flow>.target` and `units/<flow>-<node>@.service` → `/etc/systemd/system/`
- `plan.json`, `addresses.json`, `env/*.env` → `<config_root>/<flow>/` (default `/etc/flowc`)
- the Flow directory (`context`) → `<install_root>/<flow>/` (the runtime's `--base-dir`)
- a virtualenv holding flowc → the parent of `bin/` in `runtime_path` (`/opt/flowc`)

Nodes: `<entry>` (workers; instance `<replica>` or `<shard>-<replica>` when sharded),
`<entry>-head`, `<entry>-uses-before`, `<entry>-uses-after` and `gateway` (instance `0`). systemd
cannot compute a port from `%i`, so every instance reads a per-instance environment file
(`env/<node>@<instance>.env`: FLOWC_PORT, FLOWC_SHARD, FLOWC_REPLICA, FLOWC_SHARDS; a
`stateful: true` entry's replicas read their shard's Raft addresses from `raft-peers.json`,
written once) and `ExecStart=` names `${FLOWC_PORT}` and friends. Ports (documented in the
README): the gateway on the Flow's port (8080 when unset) on the gateway's host; every other
server on 127.0.0.1 from `base_port` upward in server order (`Plan.servers`: needs first; per
entry: uses_before, the workers shard by shard, uses_after, the head), skipping ports already
taken; a stateful replica's Raft node takes the number after its replica's port.

Secrets: `env_from_secret` → `LoadCredential=<VAR>:<config_root>/<flow>/secrets/<name>/<key>`;
the runtime reads `%d/<VAR>` (the credentials directory) into `VAR` through
`--env-from-file VAR=PATH`. A secret's value is never written anywhere. Stateful replicas load
their Raft password the same way (`LoadCredential=FLOWC_RAFT_PASSWORD:<config_root>/<flow>/
raft-password`), from a file install.sh creates with a random value (umask 077) when missing.
"""

from __future__ import annotations

import hashlib
import math
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Mapping

from flowc.compiler.diagnostics import Diagnostic, error, has_errors, warning
from flowc.compiler.argv import (Argv, compact_json, gateway_addresses, port_key,
                                raft_peer_groups, runtime_argv)
from flowc.compiler.plan import GRPC, Deployment, Plan, Server
from flowc.compiler.syntax import Span
from flowc.compiler.names import derived_name, dns_label
from flowc.compiler.lower import MONITORING, WEB_PURPOSES
from flowc.targets.layout import check_gateway_host, gateway_host, gateway_ports
from flowc.targets.locations import entry_span, env_span, gateway_span, span_from_source
from flowc.targets.env import ENV_NAME, env_values
from flowc.targets.images import Wheel
from flowc.targets.templating import template

DEFAULT_RUNTIME = "/opt/flowc/bin/flowc-runtime"
RAFT_PEERS_FILE = "raft-peers.json"  # entry → shards → Raft addresses, read by every replica
RAFT_PASSWORD_VAR = "FLOWC_RAFT_PASSWORD"  # the credential's name and the runtime's variable
RAFT_PASSWORD_FILE = "raft-password"  # in the config folder; install.sh makes it if missing
LOCAL_HOST = "127.0.0.1"
_ABS_PATH = re.compile(r"^/[A-Za-z0-9_./@+-]*$")  # no spaces or specifiers: safe in unit files


@dataclass(frozen=True)
class Options:
    """systemd target options (the shared `flowc build` options are accepted and ignored)."""

    runtime_path: str = DEFAULT_RUNTIME  # absolute: ExecStart= never searches $PATH
    base_port: int = 50000
    config_root: str = "/etc/flowc"
    install_root: str = "/opt/flowc/flows"
    context: str = ".."  # the Flow's directory, relative to the output directory
    gateway_host: str | None = None  # the gateway's bind address (layout.gateway_host)
    wheel: Wheel | None = None  # flowc's wheel, shipped for install.sh (flowc.targets.wheel)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> "Options":
        options = options or {}
        defaults = cls()
        port = options.get("base_port")
        return cls(
            runtime_path=str(options.get("runtime_path") or defaults.runtime_path),
            base_port=defaults.base_port if port in (None, "") else int(port),
            config_root=str(options.get("config_root") or defaults.config_root).rstrip("/"),
            install_root=str(options.get("install_root") or defaults.install_root).rstrip("/"),
            context=str(options.get("context") or defaults.context),
            gateway_host=check_gateway_host(options.get("gateway_host")),
            wheel=options.get("wheel"),
        )


@dataclass(frozen=True)
class Instance:
    """One running server: its instance string (`%i`), port and per-instance environment."""

    id: str
    port: int
    env: tuple[tuple[str, str], ...]
    server: str = ""  # the plan's server it runs


@dataclass
class Unit:
    """One template unit `<flow>-<node>@.service` and the instances the target wants."""

    node: str
    description: str
    command: str  # worker | head | gateway
    args: list[str]
    instances: list[Instance] = field(default_factory=list)
    after: list[str] = field(default_factory=list)  # instance unit names started before this
    env: list[tuple[str, str]] = field(default_factory=list)  # shared by every instance
    credentials: list[tuple[str, str]] = field(default_factory=list)  # (VAR, file)
    timeout_start: str = "infinity"
    state: str = ""  # StateDirectory= (relative to /var/lib): the workspace and HOME
    # the Flow's `workspace` as the runtime resolves it: `<state>/workspace` is bound there
    workspace: str | None = None
    user: str = ""  # User= of the dynamic user
    privileged_port: bool = False  # listens below 1024: keeps CAP_NET_BIND_SERVICE only


class _Ports:
    """Deterministic port numbers: sequential from a base, skipping ports already taken."""

    def __init__(self, base: int, taken: set[int]):
        self.next = base
        self.taken = set(taken)

    def take(self) -> int:
        while self.next in self.taken:
            self.next += 1
        self.taken.add(self.next)
        return self.next


def render(plan: Plan, options: Options) -> tuple[dict[str, str | bytes], list[Diagnostic]]:
    """Render the plan into unit files, env files, plan.json, addresses.json, install.sh, README."""
    diags = _check_options(options)
    flow = plan.flow.name
    conf = f"{options.config_root}/{flow}"
    base_dir = f"{options.install_root}/{flow}"
    units, addresses, peers = _units(plan, options, conf, base_dir, diags)
    if has_errors(diags):
        return {}, diags

    files: dict[str, str | bytes] = {
        "plan.json": plan.to_json(),
        "addresses.json": compact_json(addresses) + "\n",
    }
    if peers:
        files[RAFT_PEERS_FILE] = compact_json(peers) + "\n"
    service = template("systemd/service.j2")
    for unit in units:
        files[f"units/{flow}-{unit.node}@.service"] = service.render(
            flow=flow, unit=unit, runtime=options.runtime_path, conf=conf, base_dir=base_dir)
        if unit.env:
            files[f"env/{unit.node}.env"] = _env_file(unit.env)
        for inst in unit.instances:
            files[f"env/{unit.node}@{inst.id}.env"] = _env_file(inst.env)
    wanted = [f"{flow}-{u.node}@{i.id}.service" for u in units for i in u.instances]
    files[f"units/{flow}.target"] = template("systemd/target.j2").render(flow=flow, wanted=wanted)
    secrets = sorted({path for u in units for var, path in u.credentials
                      if var != RAFT_PASSWORD_VAR})
    context = dict(flow=flow, units=units, conf=conf, base_dir=base_dir, options=options,
                   gateway_host=gateway_host(plan, options.gateway_host),
                   secrets=secrets, venv=_venv_of(options.runtime_path), plan=plan,
                   raft_password=f"{conf}/{RAFT_PASSWORD_FILE}" if peers else "",
                   web_text="".join(f", {p.upper()} on port {n}" for p, n in
                                    gateway_ports(plan).items() if p in WEB_PURPOSES),
                   context_q=shlex.quote(options.context),
                   wheel=(f"{options.wheel.folder}/{options.wheel.filename}"
                          if options.wheel else None))
    if options.wheel:
        files[f"{options.wheel.folder}/{options.wheel.filename}"] = options.wheel.data
    files["install.sh"] = template("systemd/install.sh.j2").render(**context)
    files["README.md"] = template("systemd/README.md.j2").render(**context)
    return dict(sorted(files.items())), diags


# --------------------------------------------------------------------------------------------
# Building the units


def _units(plan: Plan, options: Options, conf: str, base_dir: str,
           diags: list[Diagnostic]
           ) -> tuple[list[Unit], dict[str, list[str]], dict[str, list[list[str]]]]:
    """Every unit in start order, the gateway's `--addresses` (entry → addresses) and the
    stateful replicas' peers file (entry → each shard's Raft addresses)."""
    ports = _server_ports(plan, options, diags)
    ctx = _Context(plan, conf, base_dir, ports, _user_name(plan.flow.name))
    units: list[Unit] = []
    for dep in plan.order():
        if not dep.hosted:
            continue
        docker = [ref for _, ref in dep.roles() if ref.kind == "docker"]
        if docker:
            diags.append(error(
                "FC740", f"`{dep.name}` runs the container image `{docker[0].image}`, and the "
                "systemd target starts plain processes, not containers",
                span_from_source(dep.source),
                hint="use `--target compose` or `--target k8s` for docker:// executors, or point "
                     "`uses` at the executor's Python code or YAML"))
            continue
        units += _entry_units(ctx, dep, diags)
    gateway = plan.servers[-1]
    if plan.gateway.replicas > 1:
        diags.append(warning(
            "FC741", f"the gateway asks for {plan.gateway.replicas} replicas; the systemd target "
            f"runs one gateway on port {ports[gateway.name]} (one host cannot bind it twice)",
            None, hint="put a load balancer in front of several hosts to scale the gateway"))
    units.append(_gateway_unit(ctx, gateway, options, units, diags))
    _check_names(units, flow_of=plan.flow.name, diags=diags)
    _check_ports(units, options, diags)
    address_of = partial(_address, ports)
    return (units, gateway_addresses(plan, gateway, address_of),
            raft_peer_groups(plan, address_of))


def _server_ports(plan: Plan, options: Options, diags: list[Diagnostic]) -> dict[str, int]:
    """Every server's ports (`port_key` names, as the local target's): the ones the Flow fixes,
    then counting up from `base_port` in server order, skipping the taken ones."""
    fixed = _fixed_ports(plan, diags)
    own = gateway_ports(plan)  # the gateway's, one per protocol
    counter = _Ports(options.base_port, set(fixed.values()) | set(own.values()))
    ports = {}
    for server in plan.servers:
        for purpose in server.ports:
            key = port_key(server, purpose)
            if server.kind == "gateway" and purpose in own:
                ports[key] = own[purpose]
            elif purpose == GRPC and server.name in fixed:
                ports[key] = fixed[server.name]
            else:
                ports[key] = counter.take()
    return ports


def _address(ports: dict[str, int], server: Server, purpose: str) -> str:
    return f"{LOCAL_HOST}:{ports[port_key(server, purpose)]}"


def _gateway_unit(ctx: _Context, server: Server, options: Options, units: list[Unit],
                  diags: list[Diagnostic]) -> Unit:
    plan = ctx.plan
    env, creds, secret_args = _environment(plan.flow.env, plan.gateway.env,
                                           plan.gateway.env_from_secret, ctx.conf, "gateway",
                                           partial(gateway_span, plan), diags)
    argv = _argv(ctx, server, host=gateway_host(plan, options.gateway_host))
    argv.set("--addresses", f"@{ctx.conf}/addresses.json")
    routed = {n for names in server.routes.values() for n in names}
    after = [_instance_name(plan.flow.name, u, i) for u in units for i in u.instances
             if i.server in routed]
    port = ctx.ports[server.name]
    gateway = Unit(
        node=derived_name("entry", "gateway"), command="gateway",
        description=f"flowc {plan.flow.name}: gateway", args=_words(argv) + secret_args,
        env=env, credentials=creds, after=after, timeout_start="infinity", user=ctx.user,
        state=f"flowc/{plan.flow.name}/gateway", workspace=_workspace(plan, None, ctx.base_dir))
    gateway.instances.append(Instance("0", port, (("FLOWC_PORT", str(port)),)
                                      + _monitoring_env(ctx, server), server.name))
    gateway.privileged_port = min(ctx.ports[port_key(server, p)] for p in server.ports) < 1024
    return gateway


def _argv(ctx: _Context, server: Server, host: str = LOCAL_HOST) -> Argv:
    """The server's command line as its unit runs it: the port from the instance's environment."""
    return runtime_argv(ctx.plan, server, partial(_address, ctx.ports),
                        plan_path=f"{ctx.conf}/plan.json", host=host, port="${FLOWC_PORT}",
                        web_ports={p: str(ctx.ports[port_key(server, p)])
                                   for p in server.ports if p in WEB_PURPOSES},
                        base_dir=ctx.base_dir, monitoring_port="${FLOWC_MONITORING_PORT}")


def _monitoring_env(ctx: _Context, server: Server) -> tuple[tuple[str, str], ...]:
    """An instance's `/metrics` port in its environment (`monitoring: true`), as FLOWC_PORT."""
    if MONITORING not in server.ports:
        return ()
    return (("FLOWC_MONITORING_PORT", str(ctx.ports[port_key(server, MONITORING)])),)


def _words(argv: Argv) -> list[str]:
    """ExecStart= words: values written literally (`%`, `$` escaped), except the instance's
    own variables (`${FLOWC_...}`)."""
    return [word if word.startswith("${FLOWC_") else _arg(word) for word in argv.render()[2:]]


@dataclass
class _Context:
    plan: Plan
    conf: str
    base_dir: str
    ports: dict[str, int]  # port_key → port
    user: str


def _entry_units(ctx: _Context, dep: Deployment, diags: list[Diagnostic]) -> list[Unit]:
    """One entry's units, in server order (workers, uses_before, uses_after, head): one
    template unit for the executor replicas (an instance per shard × replica), one per other
    server."""
    flow = ctx.plan.flow.name
    env, creds, secret_args = _environment(ctx.plan.flow.env, dep.env, dep.env_from_secret,
                                           ctx.conf, dep.name, partial(entry_span, dep), diags)
    state = f"flowc/{flow}/{dns_label(dep.name)}"
    timeout = _timeout(dep.timeout_ready)
    servers = ctx.plan.servers_of(dep.name)
    replicas = [s for s in servers if s.kind == "worker" and s.role == "executor"]

    def unit(node: str, what: str, argv: Argv, **kw: Any) -> Unit:
        return Unit(node=node, description=f"flowc {flow}: {what}", command=argv.command,
                    args=_words(argv) + (secret_args if argv.command == "worker" else []),
                    timeout_start=timeout, user=ctx.user, **kw)

    argv = _argv(ctx, replicas[0]).set("--shard", "${FLOWC_SHARD}").set(
        "--replica", "${FLOWC_REPLICA}")
    if dep.stateful:  # every replica's Raft address is in the Flow's peers file
        argv.set("--raft-peers", f"@{ctx.conf}/{RAFT_PEERS_FILE}")
    main = unit(derived_name("entry", dep.name), f"{dep.name} worker %i", argv, env=env,
                credentials=creds, state=state, workspace=_workspace(ctx.plan, dep, ctx.base_dir))
    if dep.stateful:  # the password, as a credential (`%d`: the unit's credentials directory)
        main.args += ["--env-from-file", f"{RAFT_PASSWORD_VAR}=%d/{RAFT_PASSWORD_VAR}"]
        main.credentials = main.credentials + [(RAFT_PASSWORD_VAR,
                                                f"{ctx.conf}/{RAFT_PASSWORD_FILE}")]
    units: list[Unit] = []
    for server in servers:
        port = ctx.ports[server.name]
        if server.role == "executor":
            if main not in units:
                units.append(main)
            main.instances.append(Instance(
                f"{server.shard}-{server.replica}" if dep.shards > 1 else str(server.replica),
                port, (("FLOWC_PORT", str(port)), ("FLOWC_REPLICA", str(server.replica)),
                       ("FLOWC_SHARD", str(server.shard))) + _monitoring_env(ctx, server),
                server.name))
        elif server.kind == "worker":
            role = unit(derived_name(server.role, dep.name),
                        f"{dep.name} {server.role.replace('_', ' ')}", _argv(ctx, server),
                        env=env, credentials=creds, state=state,
                        workspace=_workspace(ctx.plan, dep, ctx.base_dir))
            units.append(_single(role, server, port, _monitoring_env(ctx, server)))
        else:
            argv = _argv(ctx, server)
            shards = argv.get("--shards")
            head = unit(derived_name("head", dep.name), f"{dep.name} head",
                        argv.set("--shards", "${FLOWC_SHARDS}"),
                        after=[_instance_name(flow, u, i) for u in units for i in u.instances],
                        state=f"flowc/{flow}/{derived_name('head', dep.name)}")
            units.append(_single(head, server, port, (("FLOWC_SHARDS", str(shards)),)
                                 + _monitoring_env(ctx, server)))
    return units


def _single(unit: Unit, server: Server, port: int, env: tuple = ()) -> Unit:
    unit.instances.append(Instance("0", port, (("FLOWC_PORT", str(port)),) + env, server.name))
    return unit


def _workspace(plan: Plan, dep: Deployment | None, base_dir: str) -> str | None:
    """Where the runtime puts an executor's workspace when the Flow names one: the path as
    written, a relative one under the base directory. The unit binds its state directory there,
    since `ProtectSystem=strict` and `DynamicUser=` leave nothing else writable. None: the
    runtime's default (the cache folder under HOME, already the state directory)."""
    workspace = (dep.workspace if dep is not None else None) or plan.flow.workspace
    if not workspace:
        return None
    return posixpath.normpath(posixpath.join(base_dir, workspace))


def _instance_name(flow: str, unit: Unit, inst: Instance) -> str:
    return f"{flow}-{unit.node}@{inst.id}.service"


def _fixed_ports(plan: Plan, diags: list[Diagnostic]) -> dict[str, int]:
    """Ports the user fixed (`port:`), by server name: one per executor replica (in server
    order: shard by shard), else the scheme applies."""
    out: dict[str, int] = {}
    for dep in plan.deployments:
        if not dep.ports or not dep.hosted:
            continue
        replicas = [s.name for s in plan.servers_of(dep.name) if s.role == "executor"]
        count = len(replicas)
        if len(dep.ports) != count:
            diags.append(warning(
                "FC742", f"`{dep.name}` fixes {len(dep.ports)} port(s) for {count} server(s); the "
                "systemd target numbers its servers from `base_port` instead",
                span_from_source(dep.source),
                hint="give one port per shard × replica, or leave `port` out"))
            continue
        out.update(zip(replicas, (int(port) for port in dep.ports)))
    return out


def _check_names(units: list[Unit], flow_of: str, diags: list[Diagnostic]) -> None:
    seen: dict[str, Unit] = {}
    for unit in units:
        if unit.node in seen:
            diags.append(error(
                "FC730", f"two different servers would both be the unit "
                f"`{flow_of}-{unit.node}@.service` ({unit.command} and "
                f"{seen[unit.node].command})", None,
                hint="rename one of the entries"))
        seen.setdefault(unit.node, unit)


def _check_ports(units: list[Unit], options: Options, diags: list[Diagnostic]) -> None:
    seen: dict[int, str] = {}
    for unit in units:
        for inst in unit.instances:
            where = f"{unit.node}@{inst.id}"
            if not 1 <= inst.port <= 65535:
                diags.append(error("FC743", f"port {inst.port} of `{where}` is out of range", None,
                                   hint=f"choose a lower `base_port` (now {options.base_port})"))
            elif inst.port in seen:
                diags.append(error(
                    "FC744", f"`{where}` and `{seen[inst.port]}` both listen on port {inst.port}",
                    None, hint="change the fixed `port:` of one of them"))
            else:
                seen[inst.port] = where


def _check_options(options: Options) -> list[Diagnostic]:
    diags = []
    for name in ("runtime_path", "config_root", "install_root"):
        value = getattr(options, name)
        if not _ABS_PATH.match(value):
            diags.append(error(
                "FC745", f"systemd option `{name}` must be an absolute path without spaces or "
                f"`%`, not `{value}`", None, hint="e.g. /opt/flowc/bin/flowc-runtime"))
    if not 1 <= options.base_port <= 65535:
        diags.append(error("FC743", f"`base_port` {options.base_port} is out of range", None,
                           hint="choose a port between 1024 and 65000"))
    return diags


def _timeout(ms: int) -> str:
    """`timeout_ready` (ms, −1 = forever) as TimeoutStartSec=."""
    return "infinity" if ms is None or ms < 0 else f"{max(1, math.ceil(ms / 1000))}s"


def _environment(flow_env: dict, env: dict, secrets: dict, conf: str, owner: str,
                 at: Callable[..., Span | None], diags: list[Diagnostic]
                 ) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """The Flow's `env` under the node's own `env` as plain (name, value) pairs; the credentials
    (`env_from_secret` → (VAR, file)); and the runtime arguments exporting them. An env value
    that is exactly one secret variable reads that credential too; one mixing a secret with
    other text cannot be expressed without writing the secret: an error. `at(*keys)` locates
    the owner's keys for diagnostics."""
    creds = _credentials(secrets, conf, owner, at, diags)
    args = [a for var, _ in creds for a in ("--env-from-file", f"{var}=%d/{var}")]
    merged = {**flow_env, **env}
    for key in sorted(merged):
        if not ENV_NAME.match(key):
            diags.append(error("FC746", f"`{owner}`: `{key}` is not a usable environment "
                                        "variable name", env_span(at, key),
                               hint="use letters, digits and `_`, not starting with a digit"))
    typed, problems = env_values(f"`{owner}`", {k: v for k, v in merged.items()
                                                if ENV_NAME.match(k)}, secrets, at)
    diags += problems
    plain = [(key, value.text) for key, value in typed.items() if value.secret is None]
    for key, value in typed.items():  # a secret under another name: the credential it reads
        if value.secret is not None:
            args += ["--env-from-file", f"{key}=%d/{value.var}"]
    return plain, creds, args


def _credentials(secrets: dict, conf: str, owner: str, at: Callable[..., Span | None],
                 diags: list[Diagnostic]
                 ) -> list[tuple[str, str]]:
    """`env_from_secret` as (VAR, credential file) pairs, sorted by variable."""
    out = []
    for var in sorted(secrets):
        ref = secrets[var]
        if not ENV_NAME.match(var):
            diags.append(error("FC746", f"`{owner}`: `{var}` is not a usable environment "
                                        "variable name", at("env_from_secret", var),
                               hint="use letters, digits and `_`, not starting with a digit"))
            continue
        out.append((var, f"{conf}/secrets/{dns_label(ref.name)}/{_file_part(ref.key)}"))
    return out


def _user_name(flow: str) -> str:
    """One dynamic user per flow (systemd shares its UID between the units naming it), so the
    replicas of an entry can share their state directory. At most 31 characters."""
    name = f"flowc-{flow}"
    if len(name) <= 31:
        return name
    return name[:22].rstrip("-") + "-" + hashlib.sha256(name.encode()).hexdigest()[:8]


def _file_part(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")
    return cleaned or "key"


def _venv_of(runtime_path: str) -> str:
    """The virtualenv install.sh creates: `<venv>/bin/flowc-runtime` → `<venv>`; none when the
    runtime lives in a system prefix (`/usr/bin/...`), which install.sh must not touch."""
    parts = runtime_path.rstrip("/").split("/")
    venv = "/".join(parts[:-2])
    if parts[-1] != "flowc-runtime" or len(parts) < 4 or parts[-2] != "bin" or \
            venv in ("/usr", "/usr/local", "/opt"):
        return ""
    return venv


# --------------------------------------------------------------------------------------------
# Formatting


def _arg(text: str) -> str:
    """One literal ExecStart= word: `%` and `$` doubled, quoted when it holds blanks or quotes."""
    text = text.replace("%", "%%").replace("$", "$$")
    if re.search(r"[\s\"'\\;]", text) or not text:
        return '"' + re.sub(r'(["\\])', r"\\\1", text) + '"'
    return text


def _env_quote(value: str) -> str:
    """A value for an EnvironmentFile=: double-quoted, with `\\ " $ `` escaped (no expansion)."""
    return '"' + re.sub(r'([\\"$`])', r"\\\1", value) + '"'


def _env_file(pairs) -> str:
    return "".join(f"{k}={_env_quote(v)}\n" for k, v in pairs)
