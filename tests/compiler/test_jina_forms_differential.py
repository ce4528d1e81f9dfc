"""Differential: the issue 11 forms in `jina_forms/` against Jina 3.34 in its own environment.

Skipped unless `FLOWC_JINA_REF` names that environment (tests/jina_ref.py; `make test` sets it);
not part of CI. One Jina process loads every Flow (`Flow.load_config(...).build()`: no server
starts) and reports what it made of it; each case says whether flowc agrees, or differs on
purpose and why.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.jina_ref import jina_env, jina_python, requires_jina

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_jina_forms", Path(__file__).parent / "jina_forms" / "forms.py")
forms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(forms)

pytestmark = requires_jina

SCRIPT = textwrap.dedent("""
    import json, sys, warnings
    warnings.simplefilter("ignore")
    from jina import Flow
    out = {}
    for path in sys.argv[1:]:
        try:
            flow = Flow.load_config(path).build()
        except BaseException as exc:
            out[path] = {"loads": False, "error": type(exc).__name__}
            continue
        nodes = flow._deployment_nodes
        out[path] = {"loads": True, "gateway_port": nodes["gateway"].args.port,
                     "gateway_host": nodes["gateway"].args.host,
                     "executors": {n: {"uses": d.args.uses, "replicas": d.args.replicas,
                                       "shards": d.args.shards, "host": d.args.host}
                                   for n, d in nodes.items() if n != "gateway"}}
    print(json.dumps(out))
""")

# file → (flowc accepts it, why flowc differs from Jina when it does)
CASES = {
    "jcloud/flow.yml": (True, None),
    "deprecated/flow.yml": (True, None),
    "deprecated/gateway_port_in.yml": (True, None),
    "deprecated/renamed.yml": (False, "Jina drops keys it no longer reads; flowc refuses them"),
    "deprecated/pods.yml": (False, "Jina 3 drops every executor under `pods:`"),
    "misindented_uses/flow.yml": (False, "Jina runs the base Executor and drops the keys"),
    "tag_only/segment.yml": (False, None),
    "null_values/flow.yml": (True, None),
    "null_values/option_nulls.yml": (True, None),
}


@pytest.fixture(scope="module")
def jina(tmp_path_factory):
    script = tmp_path_factory.mktemp("jina") / "probe.py"
    script.write_text(SCRIPT, encoding="utf-8")
    proc = subprocess.run([jina_python(), str(script), *CASES],
                          capture_output=True, text=True, timeout=300, cwd=forms.FORMS,
                          env=jina_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(CASES))
def test_accepts_as_jina_does_or_differs_on_purpose(jina, name):
    accepted, why = CASES[name]
    result = forms.compile_file(forms.FORMS / name, for_build=True)
    assert result.ok is accepted, result.diagnostics
    assert jina[name]["loads"] is (accepted or why is not None), (name, jina[name])


def test_deprecated_aliases_mean_what_they_mean_in_jina(jina):
    for name in ("deprecated/flow.yml", "deprecated/gateway_port_in.yml"):
        ours = forms.compile_file(forms.FORMS / name, for_build=True).plan
        assert list(ours.gateway.ports) == jina[name]["gateway_port"]
    remote = forms.compile_file(forms.FORMS / "deprecated/flow.yml").resolved.entries[0]
    assert [remote.get("host")] == jina["deprecated/flow.yml"]["executors"]["remote"]["host"]
    assert jina["deprecated/gateway_port_in.yml"]["gateway_host"] == "127.0.0.1"


def test_what_jina_silently_does_with_the_forms_flowc_refuses(jina):
    assert jina["deprecated/pods.yml"]["executors"] == {}
    segmenter = jina["misindented_uses/flow.yml"]["executors"]["segmenter"]
    assert segmenter["uses"] == "BaseExecutor"


def test_empty_option_keys_take_jinas_defaults(jina):
    (ours,) = forms.compile_file(forms.FORMS / "null_values/option_nulls.yml",
                                 for_build=True).plan.deployments
    theirs = jina["null_values/option_nulls.yml"]["executors"]["encoder"]
    assert (ours.replicas, ours.shards) == (theirs["replicas"], theirs["shards"])
