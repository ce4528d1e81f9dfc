"""Ground shared by every target: names, YAML emission, ports, images.

Targets only format a finished plan, so everything two targets would otherwise decide twice lives
here: how an entry's name becomes a DNS label, which strings YAML 1.1 readers (kubectl, docker
compose) would mistake for booleans or numbers, which port a server listens on inside its
container, and which image each container runs. Which servers exist, what they call and their
command lines are the lowering phase's (compiler/lower.py, compiler/argv.py).

Public API (stable; Brief H's compose/systemd targets use it):

- `span_from_source(source) -> Span | None` — `Deployment.source` ("file:line:col") back to a Span;
  `flow_span(plan)` — the Flow file, for problems of no single entry;
  `entry_span(dep, *keys)`, `gateway_span(plan, *keys)` — where a key (`"env", "X"`,
  `"targets", "k8s", "labels", K`) was written, else the nearest enclosing key, else the entry
  (the Flow file for the gateway); `env_span(at, name)` for an env name.
- `dns_label(name) -> str`, `object_name(*parts) -> str` — DNS-1123/1035 labels, ≤ 63 characters.
- `yaml_scalar(value) -> str`, `to_yaml(value) -> str`, `to_yaml_documents(docs) -> str`.
- `SERVER_PORT`, `RAFT_PORT`, `gateway_port(plan)`. Which servers an entry needs, what they
  call and their command lines come from the lowering phase (`flowc.compiler.lower`).
- `image_reference_problem(ref) -> str | None`, `is_local_code(ref)`,
  `resolve_images(plan, image) -> (Images, diags)` (FC703/FC704/FC705 located at the entry).
- `env_secret(who, name, value, secrets, at)` — the secret an env runtime reference reads,
  or FC709.
- `RUNTIME`, `PLAN_PATH`, `APP_DIR`; `template(name)` (jinja2, StrictUndefined);
  `flowc_version()`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from flowc.compiler.diagnostics import Diagnostic, error
from flowc.compiler.imageref import image_problem, parse_image
from flowc.compiler.names import MAX_LABEL, derived_name, dns_label, object_name  # noqa: F401
from flowc.compiler.plan import Deployment, ExecutorRef, Plan, SecretRef, template_secret_var
from flowc.compiler.positions import position_span
from flowc.compiler.syntax import Span

# --------------------------------------------------------------------------------------------
# Locations

def span_from_source(source: str | None) -> Span | None:
    """Turn a plan entry's `source` ("file:line:col") back into a Span for target diagnostics
    (`flowc.compiler.positions` reads what the planner wrote). None when there is none."""
    return position_span(source)


def flow_span(plan: Plan) -> Span:
    """The Flow file itself (as the user named it), for problems of no single entry."""
    return span_from_source(plan.flow.location) or Span(plan.flow.source, 1, 1, 1, 1)


def located(sources: dict, keys: tuple[str | int, ...], base: Span | None,
            exact: bool = False) -> Span | None:
    """Where the deepest of `keys` (a path into an entry or the gateway section) that `sources`
    knows was written, else `base` (the entry; its file is the one a `line:col` place is in);
    with `exact`, where `keys` itself was recorded, or None. `sources` is a plan's JSON pointer
    → place map (a key written where its parent is is not recorded: the parent answers)."""
    steps = ["/" + str(k).replace("~", "~0").replace("/", "~1") for k in keys]
    for n in range(len(steps), -1 if not exact else len(steps) - 1, -1):
        where = sources.get("".join(steps[:n]))
        if where:
            span = position_span(where, base)
            if span is None:
                break  # a place in a file nobody named: no better answer than none
            return span
    return None if exact else base


def entry_span(dep: Deployment, *keys: str | int, exact: bool = False) -> Span | None:
    """Where `keys` of an entry were written (e.g. `entry_span(dep, "env", name)`), or the entry
    (`exact`: None when that very key has no recorded place)."""
    return located(dep.sources, keys, span_from_source(dep.source), exact)


def env_span(at: Any, name: str) -> Span | None:
    """Where an environment variable name was written, given `at` (`partial(entry_span, dep)`
    or `partial(gateway_span, plan)`): under `env`, else under `env_from_secret`, else the
    nearest place known."""
    return (at("env", name, exact=True) or at("env_from_secret", name, exact=True)
            or at("env", name))


def gateway_span(plan: Plan, *keys: str | int, exact: bool = False) -> Span | None:
    """Where `keys` of the gateway were written, or the Flow file (`exact`: or None)."""
    flow = flow_span(plan)
    return located(plan.gateway.sources, keys, flow, exact)


# --------------------------------------------------------------------------------------------
# Names

# dns_label and object_name live in flowc.compiler.names, beside the table of every name the
# targets derive from an entry name (FORMS, DERIVED_NAMES), which `validate` checks for clashes.


# --------------------------------------------------------------------------------------------
# YAML emission (block style, YAML 1.1 and 1.2 safe)

# Plain scalars a YAML 1.1 or 1.2 reader resolves to something other than a string.
_IMPLICIT = re.compile(
    r"""^(?:
      [yYnN~=]|<<
    | (?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)
    | (?:null|Null|NULL)
    | [-+]?0b[0-1_]+                                   # 1.1 binary
    | [-+]?0o?[0-7_]+                                  # 1.1 / 1.2 octal
    | [-+]?(?:0|[1-9][0-9_]*)                          # decimal
    | [-+]?0x[0-9a-fA-F_]+                             # hex
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)? # 1.1 sexagesimal int and float
    | [-+]?(?:[0-9][0-9_]*)?\.[0-9._]*(?:[eE][-+]?[0-9]+)?  # float with a dot
    | [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+                 # 1.2 float without a dot (1e3)
    | [-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt\ ].*)?      # 1.1 timestamp
    )$""",
    re.VERBOSE,
)
# Characters a plain scalar may consist of here (deliberately narrower than YAML allows).
_PLAIN = re.compile(r"^-*[A-Za-z0-9_./][A-Za-z0-9_./:@+=,()-]*$")


def _plain_ok(text: str) -> bool:
    return (bool(_PLAIN.fullmatch(text)) and not _IMPLICIT.fullmatch(text)
            and not text.endswith(":") and not text.startswith("---"))


# Characters a scalar must not hold unescaped: outside YAML's c-printable set, plus NEL, the
# line/paragraph separators and the BOM, which readers fold or drop. A small (fast to compile)
# class, so long texts are checked in C rather than character by character.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_UNPRINTABLE_BLOCK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def _printable(ch: str) -> bool:
    return _UNPRINTABLE.match(ch) is None


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _double_quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _printable(ch):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def yaml_scalar(value: Any) -> str:
    """One scalar, written so YAML 1.1 and 1.2 readers both get back exactly `value`.

    Strings are plain only when no reader could take them for anything else (`yes`, `on`, `y`,
    `1:20`, `0777`, `1e3`, `~`, `2024-01-01` are quoted); everything else is double-quoted with
    YAML escapes. Floats always carry a dot so YAML 1.1 does not read `1e+20` as a string.
    """
    if type(value) is str:
        cached = _SCALARS.get(value)
        return cached if cached is not None else _remember(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text:
            mantissa, exp = text.split("e")
            if "." not in mantissa:
                mantissa += ".0"
            text = f"{mantissa}e{exp if exp[0] in '+-' else '+' + exp}"
        return text
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")
    return _remember(value)


_SCALARS: dict[str, str] = {}  # labels, flags and names repeat across thousands of objects


def _remember(value: str) -> str:
    text = _string(value)
    if len(_SCALARS) < 100_000 and len(value) < 200:
        _SCALARS[value] = text
    return text


def _string(value: str) -> str:
    if _plain_ok(value):
        return value
    if ('"' in value or "\\" in value) and not _UNPRINTABLE.search(value):
        return "'" + value.replace("'", "''") + "'"  # JSON arguments read better this way
    return _double_quoted(value)


def _literal_ok(text: str) -> bool:
    return ("\n" in text and not _UNPRINTABLE_BLOCK.search(text)
            and not text.startswith((" ", "\t", "\n"))
            and not _TRAILING_BLANK.search(text))


_TRAILING_BLANK = re.compile(r"[ \t]$", re.MULTILINE)


def _literal(text: str, indent: str) -> str:
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = [(indent + line) if line else "" for line in body.split("\n")]
    lines.extend("" for _ in range(trailing - 1))
    return f"|{chomp}\n" + "\n".join(lines)


_CONTAINERS = (dict, list, tuple)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, _CONTAINERS) or len(value) == 0


def _inline(value: Any, indent: str) -> str:
    if type(value) is str:
        if len(value) > 40 and "\n" in value and _literal_ok(value):
            return _literal(value, indent + "  ")
        return yaml_scalar(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    return yaml_scalar(value)


def _emit(value: Any, indent: str, out: list[str], lead: str) -> None:
    """Append `value`'s lines; `lead` starts the first line (the indent or a parent's `- `)."""
    if isinstance(value, dict):
        for key, item in value.items():
            k = yaml_scalar(key if type(key) is str else str(key))
            if isinstance(item, _CONTAINERS) and item:
                out.append(f"{lead}{k}:")
                inner = indent + "  " if isinstance(item, dict) else indent
                _emit(item, inner, out, inner)
            else:
                out.append(f"{lead}{k}: {_inline(item, indent)}")
            lead = indent
    else:
        for item in value:
            if isinstance(item, _CONTAINERS) and item:
                _emit(item, indent + "  ", out, lead + "- ")
            else:
                out.append(f"{lead}- {_inline(item, indent)}")
            lead = indent


def to_yaml(value: Any) -> str:
    """A block-style YAML document for plain data (dict/list/str/int/float/bool/None).

    Mapping keys keep the caller's order (callers sort where order is free); multi-line strings
    become literal blocks when that round-trips exactly, otherwise double-quoted scalars.
    """
    if _is_scalar(value):
        return _inline(value, "") + "\n"
    out: list[str] = []
    _emit(value, "", out, "")
    return "\n".join(out) + "\n"


def to_yaml_documents(docs: Iterable[Any]) -> str:
    """Several documents in one stream, separated by `---`."""
    return "---\n".join(to_yaml(d) for d in docs)




# --------------------------------------------------------------------------------------------
# Servers, roles and ports

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
    import ipaddress

    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"`gateway_host` is `{value}`; give an IP address such as 127.0.0.1 "
                         "(this machine only) or 0.0.0.0 (every interface)") from None


# --------------------------------------------------------------------------------------------
# Images

def image_reference_problem(ref: str) -> str | None:
    """Why `ref` cannot be used as a pinned image (None when it can).

    Artifacts must be reproducible: an untagged reference or `:latest` changes under the user's
    feet, so both are refused; a digest pins whatever the tag says. The grammar is Docker's
    (`flowc.compiler.imageref`, which `flowc validate` checks too).
    """
    parsed = parse_image(ref or "")
    if parsed is None:
        return f"`{ref}` is not a valid image reference: {image_problem(ref or '')}"
    if parsed.digest:
        return None
    if not parsed.tag:
        return f"`{ref}` has no tag, so it means `:latest` and is not pinned"
    if parsed.tag == "latest":
        return f"`{ref}` uses the `latest` tag, so it is not pinned"
    return None


def is_local_code(ref: ExecutorRef) -> bool:
    """An executor that runs from files in the Flow's directory (not from a docker:// image)."""
    return ref.kind != "docker"


@dataclass(frozen=True)
class Images:
    """Which image every container runs, and which images must be built from the Flow directory.

    `workers[(entry, role)]` is the image of that entry's workers for role 'executor',
    'uses_before' or 'uses_after' (hosted entries only). `gateway` runs the gateway and heads.
    `builds` maps each image built from local code to the entries whose files it must contain
    (Flow order; `gateway` stands for the gateway and its `placement: gateway` entries).
    """

    workers: dict[tuple[str, str], str] = field(default_factory=dict)
    gateway: str | None = None
    builds: dict[str, tuple[str, ...]] = field(default_factory=dict)


def resolve_images(plan: Plan, image: str | None) -> tuple[Images, list[Diagnostic]]:
    """Decide every container's image; report missing or unpinned images at the entry.

    Rules (documented in the output README): a `docker://` executor runs its own image; an
    executor from local code runs its entry's `image:` else `--image`, built from the Flow
    directory by `build-images.sh`; the gateway (and every head) runs the gateway's `image:` else
    `--image`, also built from the Flow directory since `placement: gateway` entries run inside
    it. `uses` is never rewritten: the image holds the same relative files the plan names.
    """
    diags: list[Diagnostic] = []
    workers: dict[tuple[str, str], str] = {}
    builds: dict[str, list[str]] = {}

    def check(ref: str, span: Span | None, what: str) -> bool:
        problem = image_reference_problem(ref)
        if problem:
            diags.append(error("FC704", f"{what}: {problem}", span,
                               hint="name a fixed tag such as `name:1.2.0` or a digest "
                                    "`@sha256:...`"))
        return problem is None

    for dep in plan.deployments:
        if not dep.hosted:
            continue
        span = span_from_source(dep.source)
        for role, ref in dep.roles():
            what = f"`{dep.name}`" + ("" if role == "executor" else f" ({role})")
            if not is_local_code(ref):
                if check(ref.image or "", entry_span(dep, "uses" if role == "executor" else role),
                         f"the image of {what}"):
                    workers[(dep.name, role)] = ref.image or ""
                continue
            chosen = dep.image or image
            if not chosen:
                diags.append(error(
                    "FC703", f"{what} runs local code ({_describe(ref)}), so it needs an image "
                    "built from the Flow directory, and none is named", span,
                    hint=f"pass `--image NAME:TAG` to `flowc build`, or set `image: NAME:TAG` on "
                         f"`{dep.name}`"))
                continue
            source = "its `image:`" if dep.image else "`--image`"
            if check(chosen, entry_span(dep, "image") if dep.image else span,
                     f"the image for {what} ({source})"):
                workers[(dep.name, role)] = chosen
                users = builds.setdefault(chosen, [])
                if dep.name not in users:
                    users.append(dep.name)

    gateway_image = plan.gateway.image or image
    flow = flow_span(plan)
    if not gateway_image:
        diags.append(error(
            "FC705", "the gateway needs an image with flowc in it, and none is named", flow,
            hint="pass `--image NAME:TAG` to `flowc build` (the image build-images.sh builds "
                 "from the Flow directory), or set `image:` in the Flow's `gateway:` section"))
    elif check(gateway_image, gateway_span(plan, "image") if plan.gateway.image else flow,
               "the gateway's image"):
        users = builds.setdefault(gateway_image, [])
        users.append("gateway")
    else:
        gateway_image = None
    return (Images(workers, gateway_image, {k: tuple(v) for k, v in builds.items()}), diags)


def _describe(ref: ExecutorRef) -> str:
    if ref.kind == "file":
        return f"`uses: {ref.path}`"
    if ref.kind == "class":
        return f"class `{ref.jtype}`"
    return "an inline executor"


# --------------------------------------------------------------------------------------------
# Secrets in env (one rule for k8s, compose and systemd)


def env_secret(who: str, name: str, value: Any, secrets: dict, at: Any
               ) -> tuple[SecretRef | None, list[Diagnostic]]:
    """The secret an env value that is a runtime reference (`{"$template": text}`) reads, or
    FC709. A target passes a secret only whole (secretKeyRef, compose secret file, systemd
    credential): the value must be exactly one variable the process declares in
    `env_from_secret` (the compiler already refuses an undeclared one, FC416; this guards plans
    built by other means). `at(*keys)` locates the process's keys."""
    var = template_secret_var(value)
    if var is not None and var in secrets:
        return secrets[var], []
    if var is None:
        message = (f"env `{name}` of {who} mixes a secret variable with other text; this target "
                   "can only pass a secret as a whole value")
    else:
        message = f"env `{name}` of {who} refers to `{var}`, which is not in its `env_from_secret`"
    return None, [error("FC709", message, at("env", name),
                        hint="use the secret variable alone as the value, or read it in the "
                             "executor (`uses_with`); the local target can pass it as it is")]


# --------------------------------------------------------------------------------------------
# Templates and version

def template(name: str) -> Any:
    """The jinja2 template `templates/<name>` (e.g. 'k8s/README.md.j2'), loaded once.

    StrictUndefined, no autoescape, trailing newlines kept, trim/lstrip blocks; precompiled
    where that is safe (see `templating`, which holds the loading code).
    """
    from flowc.targets.templating import template as load

    return load(name)


FLOWC_VERSION = "0.1.0"  # = pyproject's version (a test keeps them equal); no metadata scan


def flowc_version() -> str:
    """The flowc version pinned into generated images and READMEs.

    A constant rather than `importlib.metadata` (about 30 ms at start-up, a tenth of a build).
    """
    return FLOWC_VERSION
