"""Phase 4: included files, `uses` forms, aliases, pass-down, defaults, polling, secrets."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from flowc.compiler.driver import compile_flow
from flowc.compiler.resolve import normalise_name


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root / "flow.yml"


def compiled(tmp_path: Path, files: dict[str, str], **kw):
    return compile_flow(write(tmp_path, files), env=kw.pop("env", {}), **kw)


def codes(result) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line if d.span else 0, d.span.col if d.span else 0)
            for d in result.diagnostics]


EXEC = """
    jtype: MyExec
    with:
      a: 1
      b: ${NOT_SET_AT_BUILD}
    metas:
      py_modules: [impl.py]
    requests:
      /index: index
"""


def test_uses_forms(tmp_path):
    r = compiled(tmp_path, {
        "flow.yml": """
            jtype: Flow
            executors:
              - name: by_class
                uses: MyExec
                py_modules: [execs/impl.py]
              - name: by_file
                uses: execs/exec.yml
                uses_with: {a: 2}
              - name: inline
                uses:
                  jtype: Inline
                  with: {x: 1}
              - name: dock
                uses: docker://registry.example/enc:1.2
              - name: plain
        """,
        "execs/exec.yml": EXEC,
        "execs/impl.py": "raise RuntimeError('compilation must never import user code')\n",
    })
    assert r.diagnostics == [], r.diagnostics
    plan = r.plan
    ex = plan.deployment("by_class").executor
    assert (ex.kind, ex.jtype, ex.py_modules) == ("class", "MyExec", ("execs/impl.py",))
    ex = plan.deployment("by_file").executor
    assert (ex.kind, ex.jtype, ex.path) == ("file", "MyExec", "execs/exec.yml")
    # py_modules of the Executor file are relative to that file, then to the base directory
    assert ex.py_modules == ("execs/impl.py",)
    assert ex.uses_with == {"a": 2}
    ex = plan.deployment("inline").executor
    assert (ex.kind, ex.jtype, ex.config) == ("inline", "Inline", {"jtype": "Inline",
                                                                   "with": {"x": 1}})
    ex = plan.deployment("dock").executor
    assert (ex.kind, ex.image) == ("docker", "registry.example/enc:1.2")
    assert plan.deployment("plain").executor.jtype == "Executor"
    impl = str(tmp_path / "execs" / "impl.py")
    assert not any(getattr(m, "__file__", None) == impl for m in list(sys.modules.values()))


def test_executor_file_is_not_substituted_at_build_time(tmp_path):
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - uses: exec.yml\n",
                            "exec.yml": EXEC.replace("[impl.py]", "[]")})
    assert r.ok, r.diagnostics
    written = r.resolved.entries[0].executor.file_values["with"].value
    assert written == {"a": 1, "b": "${NOT_SET_AT_BUILD}"}


def test_unsupported_uses_scheme(tmp_path):
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - uses: jinaai://jina-ai/X\n"})
    assert codes(r) == [("FC405", 3, 11)]


def test_uses_that_is_neither_a_class_nor_a_file(tmp_path):
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - uses: my.module.Cls\n"})
    assert codes(r) == [("FC405", 3, 11)]
    assert "class name" in r.diagnostics[0].hint


def test_missing_executor_file_is_located(tmp_path):
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - name: a\n    uses: nope.yml\n"})
    assert codes(r) == [("FC401", 4, 11)]
    assert "nope.yml" in r.diagnostics[0].message


def test_missing_file_inside_deployment_file_has_include_chain(tmp_path):
    r = compiled(tmp_path, {
        "flow.yml": "jtype: Flow\nexecutors:\n  - deps/d.yml\n",
        "deps/d.yml": "jtype: Deployment\nwith:\n  name: d\n  uses: gone.yml\n",
    })
    [diag] = r.diagnostics
    assert (diag.code, diag.span.line, diag.span.col) == ("FC401", 4, 9)
    assert diag.span.file.endswith("deps/d.yml")
    assert [(Path(x.span.file).name, x.span.line, x.label) for x in diag.related] == [
        ("flow.yml", 3, "included from here")]


def test_missing_deployment_file(tmp_path):
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - d.yml\n  - name: b\n"
                                        "    needs: d\n"})
    # the missing file is reported; `needs: d` (an entry of that file) is not a second error
    assert codes(r) == [("FC401", 3, 5)]


def test_deployment_file_and_inline_deployment(tmp_path):
    r = compiled(tmp_path, {
        "flow.yml": """
            jtype: Flow
            deployments:
              - d/dep.yml
              - jtype: Deployment
                with:
                  name: two
                  replicas: 2
        """,
        "d/dep.yml": "jtype: Deployment\nwith:\n  name: one\n  uses: e.yml\n"
                     "  shards: ${SHARDS}\n",
        "d/e.yml": "jtype: E\n",
    }, env={"SHARDS": "3"})
    assert r.ok, r.diagnostics
    one, two = r.plan.deployments
    assert (one.name, one.shards, one.executor.path) == ("one", 3, "d/e.yml")
    assert (two.name, two.replicas, two.needs) == ("two", 2, ("one",))


def test_wrong_kind_of_included_file(tmp_path):
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - uses: other.yml\n",
                            "other.yml": "jtype: Flow\n"})
    assert [c for c, _, _ in codes(r)] == ["FC402"]


def test_files_outside_base_dir(tmp_path):
    (tmp_path / "outside.py").write_text("")
    r = compiled(tmp_path / "proj", {"flow.yml": "jtype: Flow\nexecutors:\n  - uses: A\n"
                                                 "    py_modules: ../outside.py\n"})
    assert codes(r) == [("FC403", 4, 17)]


def test_missing_py_module(tmp_path):
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - uses: A\n"
                                        "    py_modules: [a.py]\n"})
    assert codes(r) == [("FC406", 4, 18)]


def test_aliases_and_conflicts(tmp_path):
    r = compiled(tmp_path, {"flow.yml": """
        jtype: Flow
        executors:
          - name: a
            no_reduce: true
            ports: 9000
            protocols: [grpc]
          - name: b
            external: true
            host_in: grpcs://remote.example:443
    """})
    assert r.ok, r.diagnostics
    a, b = r.plan.deployments
    assert a.disable_reduce is True and a.ports == (9000,)
    assert [(x.host, x.port, x.tls) for x in b.external] == [("remote.example", 443, True)]
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - port: 1\n    ports: 2\n"})
    [diag] = r.diagnostics
    assert (diag.code, diag.span.line) == ("FC404", 4)
    assert diag.related[0].span.line == 3


def test_external_replicas_and_missing_port(tmp_path):
    r = compiled(tmp_path, {"flow.yml": """
        jtype: Flow
        executors:
          - name: ext
            external: true
            host: [h1, h2]
            port: [1, 2]
    """})
    assert [(x.host, x.port) for x in r.plan.deployment("ext").external] == [("h1", 1), ("h2", 2)]
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - external: true\n"
                                        "    host: h1\n"})
    assert [c for c, _, _ in codes(r)] == ["FC407"]


def test_flow_with_pass_down_and_gateway_section(tmp_path):
    r = compiled(tmp_path, {"flow.yml": """
        jtype: Flow
        with:
          name: My_Flow
          workspace: /data
          port: 12345
          protocol: GRPC
          timeout_ready: 5000
          retries: 2
          env: {A: '1'}
        gateway:
          retries: 7
        executors:
          - name: a
          - name: b
            timeout_ready: 9
            workspace: /b
    """})
    assert r.ok, r.diagnostics
    plan = r.plan
    assert plan.flow.name == "my-flow" and plan.flow.workspace == "/data"
    assert plan.flow.env == {"A": "1"}
    assert plan.gateway.ports == (12345,) and plan.gateway.protocols == ("grpc",)
    assert plan.gateway.retries == 7  # the gateway section wins over `with`
    a, b = plan.deployments
    assert a.ports == () and a.timeout_ready == 5000 and a.retries == 2
    assert a.workspace == "/data" and a.env == {}  # env is the Flow's own
    assert b.timeout_ready == 9 and b.workspace == "/b"
    prov = r.resolved.entry("a").values["timeout_ready"].provenance
    assert prov.kind == "flow-with" and prov.span.line == 7


def test_flow_level_resources_and_placement_defaults(tmp_path):
    r = compiled(tmp_path, {"flow.yml": """
        jtype: Flow
        with:
          resources: {requests: {cpu: 500m}}
          placement: gateway
        executors:
          - name: a
          - name: b
            resources: {limits: {memory: 1Gi}}
            placement: process
            gpus: 1
    """})
    assert r.ok, r.diagnostics
    a, b = r.plan.deployments
    assert a.resources.requests == {"cpu": "500m"} and a.placement == "gateway"
    # `resources` merges (precedence.PASS_DOWN_MERGE): b keeps the Flow's request beside its limit
    assert b.resources.limits == {"memory": "1Gi"} and b.resources.requests == {"cpu": "500m"}
    assert b.placement == "process" and b.resources.gpus == 1
    assert r.plan.gateway.resources.requests == {"cpu": "500m"}
    assert "placement" not in r.plan.gateway.options


def test_gpus_must_be_a_count(tmp_path):
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - gpus: all\n"})
    assert [c for c, _, _ in codes(r)] == ["FC408"]


def test_polling_table(tmp_path):
    r = compiled(tmp_path, {"flow.yml": """
        jtype: Flow
        executors:
          - name: d
            shards: 2
          - name: all
            shards: 2
            polling: ALL
          - name: any
            polling: any
          - name: mapped
            polling: {'/custom': ALL, '*': ANY}
    """})
    assert r.ok, r.diagnostics
    p = r.plan
    assert p.deployment("d").polling == {"*": "ANY", "/search": "ALL"}
    assert p.deployment("all").polling == {"*": "ALL"}
    assert p.deployment("all").polling_for("/index") == "ALL"
    assert p.deployment("any").polling == {"*": "ANY", "/search": "ALL"}
    assert p.deployment("mapped").polling == {"*": "ANY", "/search": "ALL", "/custom": "ALL"}


def test_defaults_retries_and_names(tmp_path):
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - uses: A\n  - uses: B\n"})
    a, b = r.plan.deployments
    assert (a.name, b.name) == ("executor0", "executor1")
    assert a.retries == -1 and a.timeout_ready == 600_000 and a.replicas == 1
    assert r.plan.flow.name == "flow"


def test_env_from_secret_values_stay_runtime_references(tmp_path):
    r = compiled(tmp_path, {"flow.yml": """
        jtype: Flow
        executors:
          - name: a
            env_from_secret:
              TOKEN: {name: creds, key: token}
            env:
              AUTH: ${{ ENV.TOKEN }}
              OTHER: ${{ ENV.PLAIN }}
            uses_with:
              token: ${{ ENV.TOKEN }}
    """}, env={"TOKEN": "s3cret", "PLAIN": "p"})
    assert r.ok, r.diagnostics
    dep = r.plan.deployment("a")
    assert dep.env == {"AUTH": {"$template": "${{ ENV.TOKEN }}"}, "OTHER": "p"}
    assert dep.executor.uses_with == {"token": {"$template": "${{ ENV.TOKEN }}"}}
    assert dep.env_from_secret["TOKEN"].name == "creds"
    assert "s3cret" not in r.plan.to_json()


def test_normalise_name():
    assert normalise_name("My_Flow.v2") == "my-flow-v2"
    assert normalise_name("--x--") == "x"
    assert normalise_name("___") == "flow"
    assert len(normalise_name("a" * 80)) == 63


def test_flow_level_py_modules_pass_down(tmp_path):
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nwith:\n  py_modules: [lib/m.py]\n"
                                        "executors:\n  - uses: A\n  - uses: B\n"
                                        "    py_modules: [own.py]\n",
                            "lib/m.py": "", "own.py": ""})
    assert r.ok, r.diagnostics
    a, b = r.plan.deployments
    assert a.executor.py_modules == ("lib/m.py",) and b.executor.py_modules == ("own.py",)


def test_included_paths_the_system_refuses_are_located_errors(tmp_path):
    # a symlink loop, a NUL character, a name too long: FC401/FC406 at the value, never FC999
    (tmp_path / "loop.yml").symlink_to("loop.yml")
    r = compiled(tmp_path, {"flow.yml": f"""
        jtype: Flow
        executors:
          - name: a
            uses: loop.yml
          - name: b
            uses: "x\\0.yml"
          - name: c
            uses: {"n" * 300}.yml
          - name: d
            uses: D
            py_modules: [loop.yml, "p\\0.py", {"m" * 300}.py]
          - "d\\0.yml"
    """})
    assert codes(r) == [("FC401", 4, 11), ("FC401", 6, 11), ("FC401", 8, 11), ("FC406", 11, 18),
                        ("FC406", 11, 28), ("FC406", 11, 38), ("FC401", 12, 5)]
    assert "symlink loop" in r.diagnostics[0].message.lower()
    assert "null byte" in r.diagnostics[1].message


def test_an_included_file_must_be_a_regular_file(tmp_path):
    # a directory is a located FC401 at `uses` (not FC109 at the directory); a FIFO would block
    import os

    (tmp_path / "sub.yml").mkdir()
    os.mkfifo(tmp_path / "pipe.yml")
    r = compiled(tmp_path, {"flow.yml": "jtype: Flow\nexecutors:\n  - name: a\n    uses: sub.yml\n"
                                        "  - name: b\n    uses: pipe.yml\n  - pipe.yml\n"})
    assert codes(r) == [("FC401", 4, 11), ("FC401", 6, 11), ("FC401", 7, 5)]
    assert [d.message.split(" is ")[-1] for d in r.diagnostics] == [
        "a directory", "not a regular file", "not a regular file"]


def test_a_long_uses_that_is_no_class_and_no_file_is_fc405(tmp_path):
    r = compiled(tmp_path, {"flow.yml": f"jtype: Flow\nexecutors:\n  - uses: {'a-b' * 200}\n"})
    assert codes(r) == [("FC405", 3, 11)]


def test_malformed_image_references_are_fc409(tmp_path):
    r = compiled(tmp_path, {"flow.yml": f"""
        jtype: Flow
        gateway:
          image: 'team/gw:1.0 '
        executors:
          - uses: docker://Team/Encoder:1.0
          - uses: docker://team/enc:1.0:2.0
          - uses: docker://team/enc@sha256:{'a' * 63}
          - uses: docker://
          - uses: D
            image: UPPER:1
            uses_after: docker://a b
            shards: 2
          - uses: docker://registry.example.com:5000/team/a__b--c.d:v1.0_rc-1
          - uses: docker://Registry.Example/team/enc@sha256:{'0' * 64}
          - uses: docker://localhost/enc
    """})
    assert codes(r) == [("FC409", 3, 10), ("FC409", 5, 11), ("FC409", 6, 11), ("FC409", 7, 11),
                        ("FC409", 8, 11), ("FC409", 10, 12), ("FC409", 11, 17)]
    assert "lower case" in r.diagnostics[1].message
    assert "white space" in r.diagnostics[0].message
    assert "no image name" in r.diagnostics[4].message


def test_image_references_only_known_at_run_time_are_not_judged(tmp_path):
    # --allow-undefined leaves `${{ ENV.TAG }}` unknown, and a secret stays a runtime reference:
    # neither is a malformed image reference (no FC409), but flowc needs an image when it builds
    # (FC415, compiler/runtime_values.py); a value that is known is checked
    files = {"flow.yml": """
        jtype: Flow
        gateway:
          image: team/gw:${{ ENV.GW_TAG }}
        executors:
          - uses: docker://team/enc:${{ ENV.TAG }}
          - uses: B
            image: team/b:${SECRET_TAG}
            env_from_secret: {SECRET_TAG: {name: s, key: k}}
    """}
    r = compiled(tmp_path, files, allow_undefined=True)
    assert [c for c, _, _ in codes(r)] == ["FC415", "FC301", "FC415", "FC301", "FC415"]
    r = compiled(tmp_path, files, env={"GW_TAG": "1", "TAG": "a b"})
    assert codes(r) == [("FC409", 5, 11), ("FC415", 7, 12)]  # a secret is never known
