"""Diagnostics as values: a stable code, a severity, a message, where, and what to do.

Every phase returns `(value, [Diagnostic])`; only the CLI prints them (see `render.py`). The
wording of each code lives in `CATALOGUE` so messages stay consistent and documented.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Iterable

from .syntax import Span


class Severity(enum.IntEnum):
    NOTE = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Related:
    """A secondary location, e.g. 'first defined here' or 'included from here'."""

    span: Span
    label: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None = None
    related: tuple[Related, ...] = ()
    hint: str | None = None

    @property
    def sort_key(self) -> tuple:
        span = self.span or Span("", 0, 0, 0, 0)
        return (span.file, span.line, span.col, self.code, self.message)


def error(code: str, message: str, span: Span | None, *, hint: str | None = None,
          related: Iterable[Related] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, tuple(related), hint)


def warning(code: str, message: str, span: Span | None, *, hint: str | None = None,
            related: Iterable[Related] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, tuple(related), hint)


def normalise(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by place, duplicates removed: the order every renderer shows."""
    return sorted(set(diagnostics), key=lambda d: d.sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


class DiagnosticError(Exception):
    """The one exception the compiler's Python API raises: it carries every diagnostic."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = normalise(diagnostics)
        first = next((d for d in self.diagnostics if d.severity is Severity.ERROR), None)
        where = f"{first.span}: " if first and first.span else ""
        summary = f"{where}{first.message}" if first else "invalid input"
        more = len(self.diagnostics) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))


@dataclass(frozen=True, slots=True)
class Code:
    """One row of the catalogue: what a code means, for `docs/diagnostics.md` and tests."""

    code: str
    phase: str
    title: str
    default_hint: str | None = None


# The catalogue: every code flowc can emit. Phases own a hundred each:
# FC1xx load, FC2xx check (schema), FC3xx substitute, FC4xx resolve, FC5xx graph, FC6xx plan,
# FC7xx target, FC9xx driver/CLI. Add a row here before emitting a new code.
CATALOGUE: dict[str, Code] = {c.code: c for c in [
    Code("FC101", "load", "YAML syntax error"),
    Code("FC102", "load", "file is not valid UTF-8", "save the file as UTF-8"),
    Code("FC103", "load", "file too large"),
    Code("FC104", "load", "nesting too deep"),
    Code("FC105", "load", "too many aliases (possible billion-laughs document)"),
    Code("FC106", "load", "scalar too long"),
    Code("FC107", "load", "duplicate mapping key", "remove one of the two keys"),
    Code("FC108", "load", "tag not allowed"),
    Code("FC109", "load", "file cannot be read"),
    Code("FC110", "load", "empty document"),
    Code("FC111", "load", "more than one YAML document in a file"),
    Code("FC112", "load", "non-scalar mapping key"),
    Code("FC113", "load", "value does not match its tag", "fix the value or remove the tag"),
    Code("FC114", "load", "invalid merge key '<<'",
         "'<<' takes a mapping or a list of mappings, e.g. '<<: *defaults'"),
    # FC2xx check (Brief B): JSON Schema errors in the user's words, semantic checks, warnings
    Code("FC201", "check", "unknown key", "run `flowc schema flow` to see every valid key"),
    Code("FC202", "check", "value has the wrong type"),
    Code("FC203", "check", "value out of range"),
    Code("FC204", "check", "value is not one of the allowed values"),
    Code("FC205", "check", "required key missing"),
    Code("FC206", "check", "invalid value"),
    Code("FC207", "check", "unsupported format version", "write `version: '1'`"),
    Code("FC208", "check", "document tag and `jtype` disagree", "keep one of the two"),
    Code("FC209", "check", "both `executors` and `deployments` given",
         "`deployments` is an alias of `executors`; merge the two lists under one key"),
    Code("FC220", "check", "key not supported by flowc yet (ignored)"),
    Code("FC221", "check", "value not supported by flowc yet"),
    Code("FC222", "check", "unknown `metas` key (ignored, as in Jina)"),
    Code("FC223", "check", "legacy Jina key (ignored)"),
    Code("FC224", "check", "`restart: true` without an Executor YAML to watch (ignored)",
         "`restart` watches the Executor YAML file `uses` names: point `uses` at one, or use "
         "`reload: true` to reload Python code"),
    Code("FC225", "check", "deprecated Jina alias (accepted under its new name)",
         "write the new spelling the message gives; Jina 3.34 reads both"),
    Code("FC226", "check", "`uses` is empty and the Executor's keys sit beside it",
         "indent the Executor's keys (`jtype`, `with`, ...) under `uses:`"),
    Code("FC227", "check", "a document that is only a tag",
         "a tag only names the `jtype` of a mapping: write `jtype: Name` and the document's keys"),
    # FC3xx substitute (Brief C): `${...}` forms, references, --env-file / --context inputs
    Code("FC301", "substitute", "undefined variable",
         "set it, give a default with ${NAME:-value}, or pass --allow-undefined"),
    Code("FC302", "substitute", "required variable not set (`${NAME:?message}`)"),
    Code("FC303", "substitute", "malformed substitution", "write $$ for a literal $"),
    Code("FC304", "substitute", "reference to a value that does not exist"),
    Code("FC305", "substitute", "reference cycle"),
    Code("FC306", "substitute", "substitution too deep or too large"),
    Code("FC307", "substitute", "mapping or list used inside a text",
         "write the reference alone as the whole (unquoted) value"),
    Code("FC308", "substitute", "unknown `${{ }}` expression",
         "use ENV.NAME, CONTEXT.NAME, a context NAME, root.path or this.path"),
    Code("FC310", "substitute", "malformed line in an --env-file", "write KEY=VALUE"),
    Code("FC311", "substitute", "--env-file cannot be read"),
    Code("FC312", "substitute", "malformed --context argument", "write --context NAME=VALUE"),
    Code("FC313", "substitute", "--context-file is not a mapping",
         "write NAME: value pairs (YAML) or a JSON object"),
    # FC4xx resolve (Brief D)
    Code("FC401", "resolve", "included file not found or unreadable",
         "paths are relative to the file that names them"),
    Code("FC402", "resolve", "included file is the wrong kind of document"),
    Code("FC403", "resolve", "file outside the Flow's directory",
         "keep executor files and py_modules under the Flow file's directory (it is the build "
         "context)"),
    Code("FC404", "resolve", "a key and its alias are both set", "keep one of the two keys"),
    Code("FC405", "resolve", "`uses` form not supported",
         "use a class name, a path to an Executor YAML, an inline mapping or docker://image:tag"),
    Code("FC406", "resolve", "py_modules file not found"),
    Code("FC407", "resolve", "external executor without an address",
         "give `host` and `port` (or `host: grpc://host:port`)"),
    Code("FC408", "resolve", "value not usable by flowc"),
    Code("FC410", "resolve", "`port` and `protocol` lists of different lengths",
         "give one port per protocol, in the same order (`protocol: [grpc, http]`, "
         "`port: [8080, 8081]`)"),
    Code("FC409", "resolve", "invalid container image reference",
         "write `name[:tag]` or `registry/team/name:tag`, the repository in lower case"),
    # FC415-FC416 secrets and unknown values (compiler/runtime_values.py)
    Code("FC415", "resolve", "a value flowc needs when building is a secret or unknown",
         "write the value itself, or set the variable when you build"),
    Code("FC416", "resolve", "a secret no process can receive",
         "declare the variable in the `env_from_secret` of the process that uses it, and use "
         "secrets only in `env` and `uses_with`/`uses_metas`/`uses_requests`"),
    Code("FC417", "resolve", "a value flowc needs when building is unknown (validate only)",
         "set the variable (or give it a default) when you build"),
    # FC5xx graph (Brief D)
    Code("FC501", "graph", "`needs` names no entry"),
    Code("FC502", "graph", "cycle in `needs`"),
    Code("FC503", "graph", "duplicate executor name", "give every executor a unique `name`"),
    Code("FC504", "graph", "executor name is not an identifier",
         "start with a letter; use letters, digits, `_` and `-`; at most 63 characters"),
    Code("FC505", "graph", "executor names collide as DNS labels",
         "`_` becomes `-` and case is ignored in DNS names; rename one of them"),
    Code("FC506", "graph", "`gateway` is reserved", "choose another executor name"),
    Code("FC507", "graph", "HTTP or WebSocket executor with shards > 1",
         "use protocol GRPC, or shards: 1"),
    Code("FC508", "graph", "executor output reaches nothing",
         "add it to a later entry's `needs`, or set `floating: true` if that is intended"),
    # FC509-FC519 stateful entries (SPEC §5 Stateful; compiler/stateful.py)
    Code("FC509", "graph", "stateful entry with fewer than 3 replicas",
         "use `replicas: 3` or more: a Raft group accepts writes while a majority is up"),
    Code("FC510", "graph", "stateful entry placed in the gateway",
         "remove `placement: gateway`: every replica of a stateful entry needs its own process"),
    Code("FC511", "graph", "`stateful` on an external executor (ignored)",
         "flowc does not start external executors; remove `stateful`"),
    Code("FC512", "graph", "`reload` on a stateful entry (ignored)",
         "restart the Flow to run new code; the replicas rebuild their state from the Raft log"),
    Code("FC513", "graph", "`raft_configuration` without `stateful: true` (ignored)",
         "set `stateful: true` on the entry, or remove `raft_configuration`"),
    Code("FC514", "graph", "Raft timeouts pysyncobj cannot use",
         "make `leader_lease_timeout` longer than a tenth of `heartbeat_timeout` (100 ms by "
         "default)"),
    Code("FC515", "graph", "stateful entry with more than 7 replicas",
         "use 3, 5 or 7 replicas per Raft group (add `shards` to spread the state): every write "
         "waits for a majority, and the leader sends each entry to every replica"),
    Code("FC520", "graph", "`needs` names a floating entry",
         "make the entry that needs it floating too, or the needed entry not floating"),
    Code("FC521", "graph", "the Flow runs too many executor processes",
         "lower `shards`/`replicas`; on Kubernetes, scale a Deployment after it is applied "
         "(`kubectl scale`, an autoscaler) rather than in the Flow"),
    Code("FC522", "graph", "names the targets derive from two entries collide",
         "rename one of the entries"),
    # FC701-FC729 targets: registry, images, Kubernetes (Brief G)
    Code("FC701", "target", "unknown target", "choose one of the targets `flowc build --help` lists"),
    Code("FC702", "target", "target not available in this installation"),
    Code("FC703", "target", "executor from local code needs an image",
         "pass `--image NAME:TAG`, or set `image: NAME:TAG` on the entry"),
    Code("FC704", "target", "image not pinned or not a valid reference",
         "name a fixed tag such as `name:1.2.0` or a digest `@sha256:...`"),
    Code("FC705", "target", "the gateway needs an image",
         "pass `--image NAME:TAG`, or set `image:` in the Flow's `gateway:` section"),
    Code("FC706", "target", "executor file outside the Flow directory cannot go into an image"),
    Code("FC707", "target", "unknown key in a `targets.k8s` block"),
    Code("FC708", "target", "invalid value in a `targets.k8s` block"),
    Code("FC709", "target", "env value mixes a secret with text: the target cannot pass it",
         "use the secret variable alone as the value, or read it in the executor"),
    Code("FC710", "target", "plan too large for a Kubernetes ConfigMap (1 MiB)"),
    Code("FC711", "target", "invalid target option"),
    Code("FC712", "target", "two entries need the same Kubernetes object name",
         "rename one of the entries"),
    Code("FC713", "target",
         "value the Kubernetes API would refuse (quantity, env or object name)"),
    # FC730-FC759 targets: docker-compose and systemd (Brief H)
    Code("FC730", "target", "two servers would get the same generated name",
         "rename one of the entries"),
    Code("FC731", "target", "compose runs one gateway", "scale the executors instead"),
    Code("FC732", "target", "env name is not a usable environment variable name",
         "use letters, digits and `_`, not starting with a digit"),
    Code("FC733", "target", "retired: now FC709 (env value mixes a secret with text)"),
    Code("FC734", "target", "compose cannot publish the gateway on that `host`",
         "give an IP address, or use `flowc build --gateway-host`"),
    Code("FC740", "target", "systemd cannot run a docker:// executor",
         "use the compose or k8s target, or point `uses` at the executor's code"),
    Code("FC741", "target", "systemd runs one gateway per host",
         "put a load balancer in front of several hosts"),
    Code("FC742", "target", "fixed ports do not match the servers; systemd numbers them",
         "give one port per shard × replica, or leave `port` out"),
    Code("FC743", "target", "port out of range", "choose a lower `base_port`"),
    Code("FC744", "target", "two servers on one port", "change one of the fixed ports"),
    Code("FC745", "target", "invalid systemd path option",
         "use an absolute path without spaces or `%`"),
    Code("FC746", "target", "env name is not a usable environment variable name",
         "use letters, digits and `_`, not starting with a digit"),
    Code("FC747", "target", "retired: now FC709 (env value mixes a secret with text)"),
    Code("FC760", "target", "the local target cannot run a docker:// executor",
         "use the compose or k8s target, or point `uses` at the executor's YAML or class"),
    # FC8xx `flowc migrate` (compiler/migrate.py): what it cannot rewrite by itself
    Code("FC801", "migrate", "Jina Hub reference without a `--map`",
         "map it: `--map Name=docker://registry/image:tag` (or an Executor YAML path, or a class "
         "name); the Hub no longer serves it"),
    Code("FC802", "migrate", "invalid `--map` argument",
         "write `--map Name=docker://registry/image:tag`, `--map Name=exec.yml` or "
         "`--map Name=ClassName`"),
    Code("FC803", "migrate", "invalid `--map-file` entry",
         "write one `Name: docker://registry/image:tag` (or `exec.yml`, or `ClassName`) per line"),
    Code("FC804", "migrate", "a deprecated key and its new name are both set",
         "keep one of the two keys"),
    Code("FC805", "migrate", "a deprecated key with no single replacement"),
    Code("FC806", "migrate", "a form `flowc migrate` cannot rewrite by itself"),
    # FC9xx driver / CLI (Brief D)
    Code("FC903", "cli", "generated files differ from the output directory",
         "run the same command without --check to update them"),
    Code("FC904", "cli", "the output directory cannot be written",
         "give `-o` a directory you can write to (it is created when missing)"),
    Code("FC905", "cli", "an option the chosen target does not take",
         "leave it out: `flowc build --help` lists which targets take each option"),
    Code("FC906", "cli", "the output directory holds a file flowc did not write",
         "move or remove it, or give `-o` another directory: flowc overwrites only the files "
         "its `.flowc-manifest` there lists"),
    Code("FC907", "cli", "`flowc new` cannot write here",
         "give another NAME, or `-o` a folder where NAME/ does not exist yet (or is empty)"),
    Code("FC999", "cli", "internal error",
         "this is a bug in flowc: please report it with the input that caused it"),
]}


def catalogue_entry(code: str) -> Code:
    return CATALOGUE[code]
