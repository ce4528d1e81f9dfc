"""Differential test: SPEC §3 overrides against Jina 3.34 in its own virtual environment.

Skipped unless `FLOWC_JINA_REF` names that environment (tests/jina_ref.py; `make test` sets it,
so CI runs it). Where flowc differs from Jina on purpose the test says so: when
`uses_requests` binds a method to a new endpoint, Jina drops the method's old binding only if it
came from `@requests`, flowc (SPEC §3) also if it came from the file's `requests:`.
(`uses_dynamic_batching` differs too: Jina merges it shallowly, SPEC §3 deeply; not probed here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

from flowc.compiler.precedence import merge_executor_config
from tests.jina_ref import jina_python, requires_jina

pytestmark = requires_jina

FILE = {
    "jtype": "Probe",
    "with": {"a": 1, "nested": {"x": 1, "y": 2}, "keep": "k"},
    "metas": {"name": "orig", "description": "d"},
    "requests": {"/index": "index", "/search": "search", "/foo": "foo"},
}
CASES = [
    {"uses_with": {"a": 2, "nested": {"x": 9}}},
    {"uses_metas": {"name": "over"}},
    {"uses_requests": {"/find": "search"}},
    {"uses_requests": {"/index": "foo"}},
    {"uses_with": None, "uses_metas": None, "uses_requests": None},
]

SCRIPT = textwrap.dedent("""
    import json, sys
    from jina import Executor
    class Probe(Executor):
        def __init__(self, a=0, nested=None, keep=None, **kw):
            super().__init__(**kw)
            self.got = {"a": a, "nested": nested, "keep": keep}
        def index(self, **kw): pass
        def search(self, **kw): pass
        def foo(self, **kw): pass
    case = json.loads(sys.argv[2])
    ex = Probe.load_config(sys.argv[1], **case)
    print(json.dumps({"with": ex.got, "metas": {"name": ex.metas.name,
                      "description": ex.metas.description},
                      "requests": {e: f.fn.__name__ for e, f in ex.requests.items()
                                   if not e.startswith("_jina")}}))
""")


@pytest.mark.parametrize("case", CASES)
def test_overrides_match_jina(case, tmp_path):
    config = tmp_path / "probe.yml"
    config.write_text(json.dumps(FILE), encoding="utf-8")  # JSON is YAML for Jina's loader
    script = tmp_path / "probe.py"
    script.write_text(SCRIPT, encoding="utf-8")
    proc = subprocess.run([jina_python(), str(script), str(config),
                           json.dumps(case)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "JINA_OPTOUT_TELEMETRY": "1"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    jina = json.loads(proc.stdout.strip().splitlines()[-1])
    ours = merge_executor_config(FILE, **case)
    assert jina["with"] == ours["with"]
    assert jina["metas"] == ours["metas"]
    # Jina drops a method's old binding only when it came from `@requests`; SPEC §3 (and flowc)
    # drop it when it came from the file's `requests:` too. Everything else is the same.
    rebound = {m: e for e, m in (case.get("uses_requests") or {}).items() if m is not None}
    expected = {e: m for e, m in jina["requests"].items() if rebound.get(m, e) == e}
    assert expected == ours["requests"]
