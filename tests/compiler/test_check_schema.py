"""Phase 2 (check): schema errors at the right place, in the user's words, and warnings."""

from __future__ import annotations

import textwrap

import pytest

from flowc.compiler.check import check, detect_kind
from flowc.compiler.diagnostics import Severity
from flowc.compiler.loader import load_text
from flowc.compiler.syntax import Mapping, Origin, Scalar, Sequence, State


def tree(text: str, file: str = "flow.yml"):
    root, diags = load_text(textwrap.dedent(text), file)
    assert not diags, diags
    assert root is not None
    return root


def run(text: str, kind: str | None = None):
    root = tree(text)
    return check(root, kind or detect_kind(root))


def errors(diags):
    return [d for d in diags if d.severity is Severity.ERROR]


def warnings(diags):
    return [d for d in diags if d.severity is Severity.WARNING]


def one_error(text: str, kind: str | None = None):
    found = errors(run(text, kind))
    assert len(found) == 1, [f"{d.span}: {d.code} {d.message}" for d in found]
    return found[0]


CLEAN_FLOW = """\
    jtype: Flow
    version: '1'
    with:
      name: shop
      port: 51000
      protocol: grpc
      timeout_ready: -1
      workspace: ./ws
      resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: 1, memory: 1Gi}}
      placement: process
      env: {LOG: debug, N: 3, ON: true}
      targets: {k8s: {labels: {team: search}}}
    gateway:
      port: [51000, 51001]
      replicas: 2
      resources: {limits: {memory: 512Mi}}
      targets: {k8s: {node_selector: {pool: edge}}, compose: {labels: {a: b}}}
    executors:
      - name: encoder
        uses: docker://encoder:1.2
        replicas: 2
        shards: 3
        polling: {/search: all, '*': ANY}
        uses_with: {model: small}
        uses_metas: {name: enc}
        uses_requests: {/index: encode}
        uses_dynamic_batching: {/index: {preferred_batch_size: 8, timeout: 200}}
        env_from_secret: {TOKEN: {name: creds, key: token}}
        image: registry.local/enc:1
        service_account: enc-sa
        gpus: 1
        targets:
          k8s: {workload: StatefulSet, storage: 10Gi, storage_class: fast,
                tolerations: [{key: gpu, operator: Exists}], annotations: {a: b}}
          systemd: {}
          local: {}
      - name: inline
        uses:
          jtype: MyExec
          with: {a: 1}
          metas: {name: mine, py_modules: [my.py]}
          requests: {/foo: bar}
        needs: [gateway]
        when: {tags__x: {$eq: 1}}
        floating: true
      - ./dep.yml
      - jtype: Deployment
        with: {name: third, uses: Third, needs: [encoder, inline], disable_reduce: true}
      - name: remote
        external: true
        host: [grpcs://a:443, grpcs://b:443]
        port: 443
        tls: true
        needs: encoder
    """


def test_a_clean_flow_has_no_diagnostics():
    assert run(CLEAN_FLOW) == []


def test_unknown_key_points_at_the_key_with_a_suggestion():
    diag = one_error("""\
        jtype: Flow
        executors:
          - name: a
            replcas: 2
        """)
    assert diag.code == "FC201"
    assert (diag.span.line, diag.span.col, diag.span.end_col) == (4, 5, 12)
    assert "unknown key `replcas`" in diag.message and "`executors[0]`" in diag.message
    assert diag.hint is not None and "`replicas`" in diag.hint


def test_unknown_key_in_a_small_mapping_lists_the_valid_keys():
    diag = one_error("""\
        jtype: Flow
        executors:
          - name: a
            resources: {request: {cpu: 1}}
        """)
    assert diag.code == "FC201"
    assert "`requests`" in diag.hint and "Valid keys here: `limits`, `requests`" in diag.hint


def test_unknown_top_level_key():
    diag = one_error("jtype: Flow\nexecutor:\n  - name: a\n")
    assert diag.message == "unknown key `executor` at the top level of the Flow"
    assert "`executors`" in diag.hint and (diag.span.line, diag.span.col) == (2, 1)


def test_every_independent_error_is_reported():
    diags = errors(run("""\
        jtype: Flow
        executors:
          - name: a
            replicas: two
            shards: 0
          - name: b
            polling: some
            colour: red
        """))
    assert [(d.span.line, d.code) for d in diags] == [
        (4, "FC202"), (5, "FC203"), (7, "FC204"), (8, "FC201")]


@pytest.mark.parametrize("snippet, message", [
    ("replicas: two", "`replicas` must be an integer ≥ 1, got 'two'"),
    ("replicas: 1.5", "`replicas` must be an integer ≥ 1, got 1.5"),
    ("shards: true", "`shards` must be an integer ≥ 1, got true"),
    ("port: '80'", "`port` must be a port number (1-65535) or a list of port numbers, got '80'"),
    ("port: [80, x]", "`port[1]` must be an integer from 1 to 65535, got 'x'"),
    ("needs: {a: 1}", "`needs` must be an entry name or a list of entry names, got a mapping"),
    ("needs: [a, 3]", "`needs[1]` must be a non-empty string, got 3"),
    ("when: yes-please", "`when` must be a mapping, got 'yes-please'"),
    ("external: 'no'", "`external` must be true or false, got 'no'"),
    ("host: {a: 1}", "`host` must be a string or a list of strings, got a mapping"),
    ("env: {A: [1]}", "`env.A` must be a string, a number or true/false, got a list"),
    ("env: [A]", "`env` must be a mapping, got a list"),
    ("gpus: [1]", "`gpus` must be an integer or a string, got a list"),
    ("uses: [a]", "`uses` must be a class name, a file path, `docker://image` or an inline "
                  "Executor mapping, got a list"),
    ("uses_with: [1]", "`uses_with` must be a mapping or null, got a list"),
    ("timeout_ready: soon", "`timeout_ready` must be an integer ≥ -1, got 'soon'"),
])
def test_type_errors_in_yaml_words(snippet, message):
    diag = one_error(f"jtype: Flow\nexecutors:\n  - name: a\n    {snippet}\n")
    assert diag.code == "FC202"
    assert diag.message == message
    assert diag.span.line == 4


@pytest.mark.parametrize("snippet, message", [
    ("shards: 0", "`shards` must be an integer ≥ 1, got 0"),
    ("replicas: -2", "`replicas` must be an integer ≥ 1, got -2"),
    ("port: 70000", "`port` must be an integer from 1 to 65535, got 70000"),
    ("timeout_ready: -5", "`timeout_ready` must be an integer ≥ -1, got -5"),
    ("retries: -3", "`retries` must be an integer ≥ -1, got -3"),
])
def test_range_errors(snippet, message):
    diag = one_error(f"jtype: Flow\nexecutors:\n  - name: a\n    {snippet}\n")
    assert (diag.code, diag.message) == ("FC203", message)


def test_enum_error_with_suggestion():
    diag = one_error("jtype: Flow\nexecutors:\n  - name: a\n    placement: gatway\n")
    assert diag.code == "FC204"
    assert diag.message == "`placement` must be one of `process`, `gateway`, got 'gatway'"
    assert diag.hint == "did you mean `gateway`?"
    assert (diag.span.line, diag.span.col) == (4, 16)


def test_kubernetes_quantities():
    assert errors(run("jtype: Flow\nwith:\n  resources: {requests: {cpu: 0.5, memory: 1e9}}\n")) \
        == []
    diag = one_error("jtype: Flow\nwith:\n  resources: {limits: {memory: lots}}\n")
    assert diag.message == ("`with.resources.limits.memory` must be a Kubernetes quantity such as "
                            "500m, 2, 512Mi or 1Gi, got 'lots'")


def test_env_from_secret_needs_name_and_key():
    diag = one_error("jtype: Flow\nexecutors:\n  - env_from_secret: {T: {name: s}}\n")
    assert (diag.code, diag.message) == ("FC205", "`env_from_secret.T` is missing `key`")


@pytest.mark.parametrize("value", ["Foo", "./exec.yml", "docker://img:1", "jinahub://x"])
def test_uses_as_string(value):
    assert errors(run(f"jtype: Flow\nexecutors:\n  - uses: '{value}'\n")) == []


def test_uses_inline_mapping_is_checked_as_an_executor():
    diag = one_error("""\
        jtype: Flow
        executors:
          - uses:
              jtype: Foo
              with: {a: 1}
              metass: {}
        """)
    assert diag.code == "FC201" and "`metas`" in diag.hint
    assert diag.span.line == 6


def test_uses_inline_mapping_with_a_tag():
    diags = run("jtype: Flow\nexecutors:\n  - uses: !Foo\n      with: {a: 1}\n")
    assert errors(diags) == []


def test_inline_executor_needs_a_jtype():
    diag = one_error("jtype: Flow\nexecutors:\n  - uses:\n      with: {a: 1}\n")
    assert (diag.code, diag.message) == ("FC205", "`uses` is missing `jtype`")


@pytest.mark.parametrize("polling", ["ANY", "all", "All_Async", "{/search: ALL, '*': any}"])
def test_polling_forms_accepted(polling):
    assert errors(run(f"jtype: Flow\nexecutors:\n  - shards: 2\n    polling: {polling}\n")) == []


@pytest.mark.parametrize("polling, where", [
    ("SOME", "`polling`"), ("{/search: MOST}", "`polling['/search']`"),
])
def test_polling_forms_rejected(polling, where):
    diag = one_error(f"jtype: Flow\nexecutors:\n  - shards: 2\n    polling: {polling}\n")
    assert diag.code == "FC204"
    assert diag.message.startswith(f"{where} must be ANY, ALL or ALL_ASYNC (any case)")


def test_polling_of_a_wrong_type():
    diag = one_error("jtype: Flow\nexecutors:\n  - polling: [ALL]\n")
    assert diag.code == "FC202" and "or a mapping {endpoint: ANY or ALL}" in diag.message


@pytest.mark.parametrize("version", ["'1'", "1", "1.0", "'1.0'", "'1.2'"])
def test_version_one_is_accepted(version):
    assert run(f"jtype: Flow\nversion: {version}\n") == []


@pytest.mark.parametrize("version, major", [("'2'", 2), ("2", 2), ("0.9", 0), ("'3.1'", 3)])
def test_other_version_majors_are_errors(version, major):
    diag = one_error(f"jtype: Flow\nversion: {version}\n")
    assert diag.code == "FC207"
    assert diag.message == f"Flow format version {major} is not supported; flowc reads version 1"
    assert (diag.span.line, diag.span.col) == (2, 10)


def test_version_must_be_a_version_number():
    assert one_error("jtype: Flow\nversion: latest\n").code == "FC207"
    assert one_error("jtype: Flow\nversion: [1]\n").code == "FC202"


def test_version_of_an_inline_deployment_and_a_deployment_file():
    diag = one_error("jtype: Flow\nexecutors:\n  - jtype: Deployment\n    version: 2\n")
    assert diag.code == "FC207" and diag.message.startswith("Deployment format version 2")
    assert one_error("jtype: Deployment\nversion: '9'\nwith: {uses: A}\n").code == "FC207"


@pytest.mark.parametrize("text, kind", [
    ("jtype: Flow\n", "flow"),
    ("!Flow\nexecutors: []\n", "flow"),
    ("jtype: Deployment\nwith: {uses: A}\n", "deployment"),
    ("!Deployment\nwith: {uses: A}\n", "deployment"),
    ("jtype: MyExecutor\nwith: {a: 1}\n", "executor"),
    ("!MyExecutor\nwith: {a: 1}\n", "executor"),
    ("executors: []\n", "flow"),
    ("jtype: Flw\nexecutors: []\n", "flow"),
    ("with: {a: 1}\nmetas: {name: x}\n", "executor"),
    ("with: {port: 1}\n", "flow"),
])
def test_detect_kind(text, kind):
    assert detect_kind(tree(text)) == kind


def test_tagged_documents_check_clean():
    assert run("!Flow\nversion: 1\nexecutors: [{uses: A}]\n") == []
    assert run("!Deployment\nwith: {uses: A, replicas: 2}\n") == []
    assert run("!MyExec\nwith: {a: 1}\nrequests: {/x: foo}\n") == []


def test_executor_file_without_jtype():
    diag = one_error("with: {a: 1}\nrequests: {/x: f}\n")
    assert diag.message == "the Executor file is missing `jtype`"


def test_tag_and_jtype_disagree():
    diag = one_error("!Flow\njtype: Deployment\nwith: {uses: A}\n")
    assert diag.code == "FC208"
    assert (diag.span.line, diag.span.col) == (2, 8)
    assert diag.related and "tagged `!Flow`" in diag.related[0].label


def test_misspelt_flow_jtype_is_reported_with_a_suggestion():
    diag = one_error("jtype: Flwo\nexecutors: []\n")
    assert diag.code == "FC204" and diag.hint == "did you mean `Flow`?"


def test_executors_and_deployments_together():
    diag = one_error("jtype: Flow\nexecutors: [{uses: A}]\ndeployments: [{uses: B}]\n")
    assert diag.code == "FC209" and diag.span.line == 3


def test_deployments_alias_and_string_items():
    assert run("jtype: Flow\ndeployments: [dep.yml, {uses: A}]\n") == []
    diag = one_error("jtype: Flow\nexecutors: [3]\n")
    assert diag.code == "FC202" and "Deployment YAML file" in diag.message


def test_inline_deployment_with_entry_errors():
    diag = one_error("jtype: Flow\nexecutors:\n  - jtype: Deployment\n    with: {shards: x}\n")
    assert diag.message == "`with.shards` must be an integer ≥ 1, got 'x'"


def test_executor_file():
    assert run("""\
        jtype: MyExec
        with: {anything: [1, 2], goes: {here: true}}
        metas: {name: e, description: d, py_modules: [a.py], workspace: w}
        requests: {/index: add, /search: find}
        dynamic_batching: {/index: {preferred_batch_size: 4, timeout: 50, flush_all: true,
                                    use_dynamic_batching: true}}
        py_modules: a.py
        """) == []
    diag = one_error("jtype: MyExec\nrequests: {/index: [add]}\n")
    assert diag.message == "`requests['/index']` must be a non-empty string, got a list"
    diag = one_error("jtype: MyExec\ndynamic_batching: {/x: {preferred_batch_size: 0}}\n")
    assert diag.code == "FC203"


def test_executor_file_warnings():
    diags = run("jtype: MyExec\nmetas: {name: e, nmae: f}\ncomponents: []\n")
    assert errors(diags) == []
    codes = {d.code: d for d in warnings(diags)}
    assert set(codes) == {"FC222", "FC223"}
    assert "unknown key `nmae` in `metas`" in codes["FC222"].message
    assert codes["FC222"].hint == "did you mean `name`?"
    assert codes["FC223"].span.line == 3


def test_unsupported_keys_warn_at_the_key():
    diags = run("""\
        jtype: Flow
        with:
          suppress_root_logging: true
        gateway:
          cors: true
          uses: MyGateway
        executors:
          - name: a
            native: true
            timeout_ctrl: 5
            cors: true
        """)
    assert errors(diags) == []
    found = [(d.code, d.span.line, d.span.col, d.message) for d in diags]
    assert found == [  # `cors` is the HTTP gateway's: read there, ignored on an executor
        ("FC220", 3, 3, "`suppress_root_logging` is not supported by flowc yet; it is ignored"),
        ("FC220", 6, 3, "`uses` is not supported by flowc yet; it is ignored"),
        ("FC220", 9, 5, "`native` is not supported by flowc yet; it is ignored"),
        ("FC220", 10, 5, "`timeout_ctrl` is not supported by flowc yet; it is ignored"),
        ("FC220", 11, 5, "`cors` is not supported by flowc yet; it is ignored"),
    ]


def test_unsupported_key_with_a_wrong_type_gets_only_the_error():
    diags = run("jtype: Flow\nexecutors:\n  - tracing: maybe\n")
    assert [d.code for d in diags] == ["FC202"]


def test_tls_is_supported_only_for_external_entries():
    diags = run("jtype: Flow\nexecutors:\n  - tls: true\n  - {external: true, tls: true}\n")
    assert [(d.code, d.span.line) for d in diags] == [("FC220", 3)]


@pytest.mark.parametrize("protocol", [
    "grpc", "GRPC", "http", "WEBSOCKET", "[grpc, http]", "[grpc, websocket]",
    "[websocket, http, grpc]"])
def test_every_protocol_is_served(protocol):
    diags = run(f"jtype: Flow\ngateway:\n  protocol: {protocol}\n")
    assert diags == []


def test_bad_protocol_value():
    diag = one_error("jtype: Flow\nwith:\n  protocol: tcp\n")
    assert diag.code == "FC204" and "GRPC, HTTP or WEBSOCKET" in diag.message


def test_pending_substitutions_are_not_type_checked():
    diags = run("""\
        jtype: Flow
        version: ${{ ENV.VERSION }}
        with:
          port: ${{ ENV.PORT }}
        executors:
          - replicas: ${{ ENV.R }}
            shards: $SHARDS
            polling: ${POLLING:-ALL}
            port: [80, '${P2}']
            external: ${{ CONTEXT.ext }}
        """)
    assert diags == []


def test_a_pending_scalar_does_not_hide_other_errors():
    diag = one_error("jtype: Flow\nexecutors:\n  - replicas: ${{ ENV.R }}\n    shards: x\n")
    assert diag.span.line == 4


def _replace(node, path, new):
    """A copy of the tree with the node at `path` replaced (what substitution produces)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(node, Mapping):
        items = tuple((k, _replace(v, rest, new) if str(k.value) == head else v)
                      for k, v in node.items)
        return Mapping(items, node.span, node.tag)
    assert isinstance(node, Sequence)
    items = tuple(_replace(v, rest, new) if i == head else v for i, v in enumerate(node.items))
    return Sequence(items, node.span, node.tag)


def _from_env(name: str) -> Origin:
    return Origin(State.SUBSTITUTED, "env", f"environment variable {name}")


def test_substituted_values_are_checked_with_their_origin():
    root = tree("jtype: Flow\nexecutors:\n  - replicas: ${{ ENV.R }}\n    shards: ${S}\n")
    assert check(root, "flow") == []  # as written: the forms are not judged
    path_r, path_s = ("executors", 0, "replicas"), ("executors", 0, "shards")
    old_r = root.get("executors").items[0].get("replicas")
    old_s = root.get("executors").items[0].get("shards")
    root = _replace(root, path_r, Scalar("abc", old_r.span, origin=_from_env("R")))
    root = _replace(root, path_s, Scalar(2, old_s.span, origin=_from_env("S")))
    diags = check(root, "flow", substituted=True)
    assert len(diags) == 1
    assert diags[0].message == ("`replicas` must be an integer ≥ 1, got 'abc' "
                                "(from environment variable R)")
    assert (diags[0].span.line, diags[0].span.col) == (3, 15)


def test_a_substituted_version_is_checked_and_unknown_values_are_not():
    root = tree("jtype: Flow\nversion: $V\nexecutors:\n  - replicas: $R\n")
    old = root.get("version")
    root = _replace(root, ("version",), Scalar("2", old.span, origin=_from_env("V")))
    replicas = root.get("executors").items[0].get("replicas")
    unknown = Origin(State.UNDEFINED, "file", "undefined: environment variable R")
    root = _replace(root, ("executors", 0, "replicas"),
                    Scalar("$R", replicas.span, origin=unknown))
    diags = check(root, "flow", substituted=True)
    assert [d.code for d in diags] == ["FC207"]
    assert diags[0].message.endswith("(from environment variable V)")


def test_not_a_mapping():
    diag = one_error("- a\n- b\n", "flow")
    assert diag.message == "the Flow document must be a mapping, got a list"


def test_output_is_deterministic_and_sorted():
    text = "jtype: Flow\nexecutors:\n  - {b: 1, a: 2, replicas: x}\n"
    first, second = run(text), run(text)
    assert first == second
    assert [d.span.col for d in first] == sorted(d.span.col for d in first)


def test_unknown_key_that_belongs_elsewhere_says_where():
    diag = one_error("jtype: Flow\nexecutors:\n  - prefetch: 3\n")
    assert diag.hint == "`prefetch` is valid in the Flow's `with:` and `gateway:`, not here"
    diag = one_error("jtype: Flow\nreplicas: 3\n")
    assert diag.hint.startswith("`replicas` is valid in an executor entry, the Flow's `with:` "
                                "and `gateway:`, not here; valid keys here: `deployments`")


def test_a_reference_that_produced_a_list_is_checked():
    root = tree("jtype: Flow\nexecutors:\n  - port: ${{ this.x }}\n")
    old = root.get("executors").items[0].get("port")
    bad = Sequence((Scalar(80, old.span), Scalar("x", old.span)), old.span)
    # a Sequence has no origin of its own; the error is still reported at the substituted node
    root = _replace(root, ("executors", 0, "port"), bad)
    diags = check(root, "flow", substituted=True)
    assert [d.message for d in diags] == ["`port[1]` must be an integer from 1 to 65535, got 'x'"]


def test_an_entry_with_a_class_jtype_is_one_error_not_a_cascade():
    diag = one_error("jtype: Flow\nexecutors:\n  - jtype: MyExec\n    name: a\n    uses: X\n")
    assert diag.code == "FC201" and diag.message.startswith("unknown key `jtype`")
    assert diag.span.line == 3
