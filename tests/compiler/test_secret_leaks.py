"""Secret values never land in an artifact, a log line or `flowc explain` (issue 8 §2).

A sentinel value is set in the environment for variables declared secret at entry level, in the
Flow's `with:`, in `gateway:` and in a Deployment file, and used in `uses_with`, `uses_metas`,
`env`, `when`, references and mixed strings, by entries that declare them and by ones that do
not. Every target is built and `explain` run in every format, in-process through the real
command line; the sentinel must appear in no written file and no output. Each use must then be
either a runtime reference (in the plan, and a secretKeyRef / compose secret / systemd
credential for an env value) or a located error (FC415, FC416, FC709) at the line of the use.
Unknown values (`--allow-undefined`) in keys flowc needs when building are FC415 too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.flowc_cli import flowc
from flowc.compiler.plan import TEMPLATE_KEY, template_secret_var
from flowc.compiler.runtime_values import BUILD_TIME_KEYS, RUNTIME_KEYS

SENTINEL = "S3cr3t-SENTINEL-9f2c"
VARS = {"entry": "FLOWC_LEAK_ENTRY", "with": "FLOWC_LEAK_WITH", "gateway": "FLOWC_LEAK_GW",
        "deployment": "FLOWC_LEAK_DEPLOY", "other": "FLOWC_LEAK_OTHER"}
PLAIN = "FLOWC_LEAK_PLAIN"  # not a secret: substituted when building, as usual
TARGETS = ("k8s", "compose", "systemd", "local")
IMAGE = "registry.example/app:1.0"
EXEC_PY = "from flowc.runtime import Executor\n\nclass Exec(Executor):\n    pass\n"


@pytest.fixture(autouse=True)
def secret_environment(monkeypatch):
    for var in VARS.values():
        monkeypatch.setenv(var, SENTINEL)
    monkeypatch.setenv(PLAIN, "plain-value")




def run_everything(folder: Path, *extra: str) -> dict[str, tuple[int, str, dict[str, str]]]:
    """validate, explain (human, json) and build for every target: {step: (exit code, stdout +
    stderr, files written)}. Asserts that the sentinel is in none of it and nothing crashed."""
    flow = str(folder / "flow.yml")
    steps = {"validate": ("validate", flow, "--format", "json"),
             "explain": ("explain", flow), "explain-json": ("explain", flow, "--format", "json")}
    for target in TARGETS:
        image = ("--image", IMAGE) if target in ("k8s", "compose") else ()
        steps[target] = ("build", flow, "--target", target, *image,
                         "-o", str(folder / f"out-{target}"))
    results = {}
    for step, argv in steps.items():
        code, out, err = flowc(*argv, *extra)
        files = {}
        out_dir = folder / f"out-{step}"
        for path in sorted(out_dir.rglob("*")) if out_dir.is_dir() else ():
            if path.is_file():
                files[path.relative_to(out_dir).as_posix()] = path.read_bytes().decode(
                    "utf-8", "replace")
        results[step] = (code, out + err, files)
        assert SENTINEL not in out + err, f"`{step}` printed the secret"
        leaked = [name for name, text in files.items() if SENTINEL in text]
        assert leaked == [], f"`{step}` wrote the secret into {leaked}"
        assert "FC999" not in out + err and "Traceback" not in out + err, out + err
    return results


def write(folder: Path, flow: str, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "flow.yml").write_text(flow)
    (folder / "exec.py").write_text(EXEC_PY)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def diagnostics(results: dict) -> set[tuple[str, int]]:
    """(code, line) of every error `validate --format json` reported."""
    return {(d["code"], d["line"]) for d in json.loads(results["validate"][1])
            if d["severity"] == "error"}


# --- the matrix: where a secret is declared × where it is used × who uses it -------------------

DECLARE = {  # level → (Flow `with:` block, `gateway:` block, entry `a`'s extra keys)
    "entry": ("", "", f"env_from_secret: {{{VARS['entry']}: {{name: a-secret, key: k}}}}"),
    "with": (f"env_from_secret: {{{VARS['with']}: {{name: flow-secret, key: k}}}}", "", ""),
    "gateway": ("", f"env_from_secret: {{{VARS['gateway']}: {{name: gw-secret, key: k}}}}", ""),
}
# Who receives a variable declared at each level: entry `a` declares entry-level ones, the
# Flow's `with:` passes its own down to `a` and the gateway, and `b` declares another secret of
# its own (so nothing is passed down to it: it is the user that does not declare the variable).
RECEIVES = {"entry": {"a"}, "with": {"a", "gateway"}, "gateway": {"gateway"}}

# Use sites: (key of the use, lines under the user, each line that uses V ends with `# use`).
SITES = {
    "uses_with": ("uses_with", ["uses_with:", "  x: ${{ ENV.V }}  # use"]),
    "uses_with_mixed": ("uses_with", ["uses_with:",
                                      f'  x: "p-${{{{ ENV.V }}}}-${{{PLAIN}}}-s"  # use']),
    "uses_metas": ("uses_metas", ["uses_metas:", '  description: "${V}"  # use']),
    "reference": ("uses_with", ["uses_with:", '  src: "k-${{ ENV.V }}"  # use',
                                '  ref: "${{ this.src }}/x"  # use']),
    "env": ("env", ["env:", "  E: ${{ ENV.V }}  # use"]),
    "env_mixed": ("env", ["env:", '  E: "Bearer $V"  # use']),
    "when": ("when", ["when:", '  tags__k: {$eq: "${{ ENV.V }}"}  # use']),
    "replicas": ("replicas", ["replicas: ${{ ENV.V }}  # use"]),
    "image": ("image", ['image: "registry.example/x:${{ ENV.V }}"  # use']),
}
GATEWAY_SITES = ("env", "env_mixed", "image", "title")
SITES["title"] = ("title", ['title: "API ${{ ENV.V }}"  # use'])


def matrix_flow(level: str, site: str, user: str) -> str:
    with_block, gateway_block, a_extra = DECLARE[level]
    lines = [line.replace("ENV.V ", f"ENV.{VARS[level]} ").replace("${V}", f"${{{VARS[level]}}}")
             .replace("$V", f"${VARS[level]}") for line in SITES[site][1]]
    text = ["jtype: Flow", "with:", f"  {with_block or 'quiet: false'}", "gateway:",
            f"  {gateway_block or 'timeout_send: 1000'}"]
    if user == "gateway":
        text += [f"  {line}" for line in lines]
    text += ["executors:", "  - name: a", "    uses: Exec", "    py_modules: [exec.py]"]
    text += [f"    {a_extra}"] if a_extra else []
    text += [f"    {line}" for line in lines] if user == "a" else []
    text += ["  - name: b", "    uses: Exec", "    py_modules: [exec.py]",
             f"    env_from_secret: {{{VARS['other']}: {{name: other, key: k}}}}"]
    text += [f"    {line}" for line in lines] if user == "b" else []
    return "\n".join(text) + "\n"


def expected(level: str, site: str, user: str) -> str:
    """'FC415' / 'FC416': a located error; 'reference': a runtime reference everywhere, except
    that an env value mixing the secret with text is FC709 on the targets that pass a secret
    only whole (every one but local)."""
    key = SITES[site][0]
    if key in BUILD_TIME_KEYS:
        return "FC415"
    if key not in RUNTIME_KEYS or (user == "gateway" and key != "env"):
        return "FC416"
    return "reference" if user in RECEIVES[level] else "FC416"


CASES = [(level, site, user) for level in DECLARE for site in SITES for user in ("a", "b")
         if site != "title"]
CASES += [(level, site, "gateway") for level in DECLARE for site in GATEWAY_SITES]


@pytest.mark.parametrize("level,site,user", CASES, ids=["-".join(c) for c in CASES])
def test_every_use_is_a_runtime_reference_or_a_located_error(tmp_path, level, site, user):
    folder = write(tmp_path, matrix_flow(level, site, user))
    use_lines = [n for n, line in enumerate((folder / "flow.yml").read_text().splitlines(), 1)
                 if line.endswith("# use")]
    results = run_everything(folder)
    outcome = expected(level, site, user)
    if outcome.startswith("FC"):
        assert diagnostics(results) == {(outcome, n) for n in use_lines}
        assert all(results[step][0] == 1 for step in results)
        for target in TARGETS:
            assert f"error[{outcome}]" in results[target][1] and results[target][2] == {}
        return
    assert diagnostics(results) == set() and results["explain"][0] == 0
    var = VARS[level]
    plan = json.loads(results["local"][2]["plan.json"])
    node = plan["gateway"] if user == "gateway" else next(
        d for d in plan["deployments"] if d["name"] == user)
    key = SITES[site][0]
    values = node[key] if key == "env" else node["executor"][key]
    assert values and all(isinstance(v, dict) and var in v[TEMPLATE_KEY] for v in values.values())
    assert results["local"][0] == 0
    for target in ("k8s", "compose", "systemd"):
        if site == "env_mixed":
            assert diagnostics_of(results[target][1]) == {("FC709", use_lines[0])}
            assert results[target][2] == {}
        else:
            assert results[target][0] == 0, results[target][1]
    if site == "env":
        assert_env_reads_the_secret(results, user, var)


def diagnostics_of(output: str) -> set[tuple[str, int]]:
    return {(m[1], int(m[0])) for m in re.findall(r"flow\.yml:(\d+):\d+: error\[(FC\d+)\]",
                                                   output)}


def assert_env_reads_the_secret(results: dict, user: str, var: str) -> None:
    """An env value that is one secret variable is passed from the secret by every target."""
    k8s = results["k8s"][2]["gateway.yaml" if user == "gateway" else f"executors/{user}.yaml"]
    assert re.search(r"- name: E\n\s+valueFrom:\n\s+secretKeyRef:", k8s)
    compose = results["compose"][2]["compose.yaml"]
    assert "--env-from-file\n" in compose or "- --env-from-file" in compose
    assert re.search(r"E=/run/secrets/[a-z-]+", compose)
    systemd = "\n".join(text for name, text in results["systemd"][2].items()
                        if name.startswith("units/"))
    assert f"E=%d/{var}" in systemd and f"LoadCredential={var}:" in systemd


# --- a realistic Flow: every level at once, references across entries -------------------------

FULL = """\
jtype: Flow
with:
  env_from_secret:
    FLOWC_LEAK_WITH: {name: flow-secret, key: token}
  env:
    FLOW_AUTH: ${{ ENV.FLOWC_LEAK_WITH }}
gateway:
  env_from_secret:
    FLOWC_LEAK_GW: {name: gw-secret, key: token}
    FLOWC_LEAK_WITH: {name: flow-secret, key: token}
  env:
    GW_AUTH: ${FLOWC_LEAK_GW}
executors:
  - name: encoder
    uses: Exec
    py_modules: [exec.py]
    env_from_secret:
      FLOWC_LEAK_ENTRY: {name: enc-secret, key: token}
      FLOWC_LEAK_WITH: {name: flow-secret, key: token}
    uses_with:
      token: ${{ ENV.FLOWC_LEAK_ENTRY }}
      url: "https://${{ ENV.FLOWC_LEAK_PLAIN }}/${{ ENV.FLOWC_LEAK_ENTRY }}?k=1"
    uses_metas:
      description: "encoder for ${FLOWC_LEAK_WITH}"
    env:
      TOKEN: $FLOWC_LEAK_ENTRY
  - name: indexer
    uses: Exec
    py_modules: [exec.py]
    env_from_secret:
      FLOWC_LEAK_ENTRY: {name: enc-secret, key: token}
      FLOWC_LEAK_WITH: {name: flow-secret, key: token}
    uses_with:
      url: ${{ root.executors[0].uses_with.url }}
  - deployment.yml
"""
DEPLOYMENT = """\
jtype: Deployment
with:
  name: ranker
  uses: Exec
  py_modules: [exec.py]
  env_from_secret:
    FLOWC_LEAK_DEPLOY: {name: rank-secret, key: token}
    FLOWC_LEAK_WITH: {name: flow-secret, key: token}
  uses_with:
    key: ${{ ENV.FLOWC_LEAK_DEPLOY }}
"""


def test_a_flow_using_secrets_at_every_level_builds_with_references_only(tmp_path):
    folder = write(tmp_path, FULL, **{"deployment.yml": DEPLOYMENT})
    results = run_everything(folder)
    assert {step: r[0] for step, r in results.items()} == dict.fromkeys(results, 0)
    plan = json.loads(results["local"][2]["plan.json"])
    encoder, indexer, ranker = plan["deployments"]
    assert encoder["executor"]["uses_with"]["url"] == {  # a quoted scalar stays a string
        TEMPLATE_KEY: "https://plain-value/${{ ENV.FLOWC_LEAK_ENTRY }}?k=1", "quoted": True}
    assert indexer["executor"]["uses_with"]["url"][TEMPLATE_KEY] == \
        encoder["executor"]["uses_with"]["url"][TEMPLATE_KEY]  # the reference's text
    assert ranker["executor"]["uses_with"]["key"] == {TEMPLATE_KEY: "${{ ENV.FLOWC_LEAK_DEPLOY }}"}
    assert plan["flow"]["env"]["FLOW_AUTH"] == {TEMPLATE_KEY: "${{ ENV.FLOWC_LEAK_WITH }}"}
    assert "FLOWC_LEAK_ENTRY" in results["explain"][1] and "plain-value" in results["explain"][1]
    gateway = results["k8s"][2]["gateway.yaml"]
    for name in ("FLOW_AUTH", "GW_AUTH"):
        assert re.search(rf"- name: {name}\n\s+valueFrom:\n\s+secretKeyRef:", gateway)
    compose = results["compose"][2]["compose.yaml"]
    assert "TOKEN=/run/secrets/enc-secret-token" in compose
    assert "./secrets/rank-secret/token" in compose


def test_a_secret_declared_only_in_a_deployment_file_is_secret_in_the_whole_flow(tmp_path):
    flow = FULL.replace("      url: ${{ root.executors[0].uses_with.url }}",
                        "      key: ${{ ENV.FLOWC_LEAK_DEPLOY }}  # not declared by indexer")
    results = run_everything(write(tmp_path, flow, **{"deployment.yml": DEPLOYMENT}))
    line = flow.splitlines().index("      key: ${{ ENV.FLOWC_LEAK_DEPLOY }}  # not declared by "
                                   "indexer") + 1
    assert diagnostics(results) == {("FC416", line)}


# --- keys flowc needs when building: a secret is FC415; an unknown value (--allow-undefined) is ---
# --- FC417 at validate (the checks needing it skipped) and FC415 where artifacts are made -------

ENTRY_KEYS = ("port", "replicas", "shards", "image", "workspace", "timeout_ready",
              "service_account", "image_pull_secrets", "uses", "polling", "external", "host",
              "stateful", "needs", "name", "timeout_send", "retries", "when", "gpus", "placement")


@pytest.mark.parametrize("key", ENTRY_KEYS)
@pytest.mark.parametrize("kind", ["unknown", "secret"])
def test_a_build_time_key_is_never_unknown_nor_secret(tmp_path, key, kind):
    assert key in BUILD_TIME_KEYS
    var = "FLOWC_LEAK_UNSET" if kind == "unknown" else VARS["entry"]
    declare = f"    env_from_secret: {{{VARS['entry']}: {{name: s, key: k}}}}\n"
    uses = "Exec" if key != "uses" else f"${{{{ ENV.{var} }}}}"
    flow = ("jtype: Flow\nexecutors:\n  - name: first\n"
            f"  - py_modules: [exec.py]\n{declare}    uses: {uses}\n")
    if key != "uses":
        flow += f"    {key}: ${{{{ ENV.{var} }}}}\n"
    results = run_everything(write(tmp_path, flow), "--allow-undefined")
    line = 6 if key == "uses" else 7
    assert_refused(results, kind, line)
    for target in TARGETS:
        assert results[target][0] == 1 and results[target][2] == {}


def assert_refused(results: dict, kind: str, line: int) -> None:
    """A secret is FC415 everywhere; an unknown value is warning FC417 at validate (exit 0) and
    FC415 for explain and build."""
    if kind == "secret":
        assert diagnostics(results) == {("FC415", line)}
        return
    assert diagnostics(results) == set() and results["validate"][0] == 0
    assert {(d["code"], d["line"]) for d in json.loads(results["validate"][1])
            if d["code"] == "FC417"} == {("FC417", line)}
    assert results["explain"][0] == 1
    assert diagnostics_of(results["explain"][1]) == {("FC415", line)}


@pytest.mark.parametrize("section", ["with", "gateway"])
def test_flow_level_build_time_keys(tmp_path, section):
    flow = (f"jtype: Flow\n{section}:\n  port: ${{{{ ENV.FLOWC_LEAK_UNSET }}}}\n"
            "executors:\n  - name: a\n    replicas: 2\n")
    results = run_everything(write(tmp_path, flow), "--allow-undefined")
    assert_refused(results, "unknown", 3)


def test_unknown_values_where_a_process_reads_them_stay_warnings(tmp_path):
    flow = ("jtype: Flow\nexecutors:\n  - name: a\n    uses: Exec\n    py_modules: [exec.py]\n"
            "    uses_with: {k: '${{ ENV.FLOWC_LEAK_UNSET }}'}\n")
    results = run_everything(write(tmp_path, flow), "--allow-undefined")
    assert results["validate"][0] == 0 and results["local"][0] == 0


# --- the one rule targets share (targets/env.py) ----------------------------------------------

@pytest.mark.parametrize("text,var", [
    ("${{ ENV.TOKEN }}", "TOKEN"), ("${{ env.TOKEN }}", "TOKEN"), ("${TOKEN}", "TOKEN"),
    ("$TOKEN", "TOKEN"), ("${{ TOKEN }}", "TOKEN"), ("Bearer $TOKEN", None),
    ("${TOKEN:-x}", None), ("$A$B", None), (" $TOKEN", None), ("$$TOKEN", None)])
def test_which_runtime_references_a_target_can_pass_from_a_secret(text, var):
    assert template_secret_var({TEMPLATE_KEY: text}) == var
    assert template_secret_var(text) is None


def test_targets_refuse_an_env_reference_to_an_undeclared_secret_with_one_code():
    from flowc.compiler.plan import SecretRef
    from flowc.targets.env import env_secret

    secrets = {"TOKEN": SecretRef("api", "token")}
    where = lambda *keys: None  # noqa: E731
    assert env_secret("`a`", "E", {TEMPLATE_KEY: "$TOKEN"}, secrets, where) == (
        secrets["TOKEN"], [])
    for text in ("$OTHER", "x-$TOKEN"):
        ref, [diag] = env_secret("`a`", "E", {TEMPLATE_KEY: text}, secrets, where)
        assert ref is None and diag.code == "FC709"


# --- more places a secret can be written ---------------------------------------------------------

ENTRY_HEAD = "jtype: Flow\n{gateway}executors:\n  - name: a\n    py_modules: [exec.py]\n"
DECLARED = "    env_from_secret: {FLOWC_LEAK_ENTRY: {name: s, key: k}}\n"
MORE = {  # name: (gateway section, the entry's other lines, error codes at the line ending `# E`)
    "inline uses: `with` is read by the worker": (
        "", DECLARED + "    uses:\n      jtype: Exec\n      with: {k: '${FLOWC_LEAK_ENTRY}'}\n",
        None),
    "inline uses: `jtype` is not": (
        "", DECLARED + "    uses:\n      jtype: ${FLOWC_LEAK_ENTRY}  # E\n", "FC415"),
    "uses_before": ("", DECLARED + "    uses: Exec\n    shards: 2\n"
                    "    uses_before: ${{ ENV.FLOWC_LEAK_ENTRY }}  # E\n", "FC415"),
    "placement gateway: the gateway's secret": (
        "gateway:\n  env_from_secret: {FLOWC_LEAK_ENTRY: {name: s, key: k}}\n",
        "    uses: Exec\n    placement: gateway\n    uses_with: {k: $FLOWC_LEAK_ENTRY}\n", None),
    "placement gateway: its own secret does not reach the gateway": (
        "", DECLARED + "    uses: Exec\n    placement: gateway\n"
        "    uses_with: {k: $FLOWC_LEAK_ENTRY}  # E\n", "FC416"),
    "a default does not make a secret known": (
        "", DECLARED + "    uses: Exec\n    replicas: ${FLOWC_LEAK_ENTRY:-2}  # E\n", "FC415"),
    "a context name falls back to the secret": (
        "", DECLARED + "    uses: Exec\n    shards: ${{ FLOWC_LEAK_ENTRY }}  # E\n", "FC415"),
}


@pytest.mark.parametrize("name", list(MORE))
def test_more_places(tmp_path, name):
    gateway, lines, code = MORE[name]
    flow = ENTRY_HEAD.format(gateway=gateway) + lines
    results = run_everything(write(tmp_path, flow))
    marked = {n for n, line in enumerate(flow.splitlines(), 1) if line.endswith("# E")}
    assert diagnostics(results) == {(code, n) for n in marked}
    assert results["local"][0] == (1 if code else 0)
