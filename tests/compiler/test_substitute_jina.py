"""Differential test against Jina 3.34's substitution (JAML.load(substitute=True)).

Skipped unless FLOWC_JINA_REF names a virtual environment with Jina 3.34 (tests/jina_ref.py;
`make test` sets it, so CI runs it). Jina runs in a subprocess of that environment; flowc never
imports it. SAME lists inputs where flowc must agree with Jina; DIFFERENT lists the traps SPEC §2
fixes on purpose, with what each side gives, so the differences stay deliberate and documented.
"""

from __future__ import annotations

import json
import os
import subprocess

from flowc.compiler.loader import load_text
from flowc.compiler.substitute import SubstitutionContext, substitute
from flowc.compiler.syntax import to_python
from tests.jina_ref import jina_python, requires_jina

pytestmark = requires_jina

ENV = {"X": "3", "NAME": "hello", "C": "from-env"}
CONTEXT = {"C": "ctx", "N": 7}

SAME = [
    "v: ${{ ENV.X }}",
    "v: ${{ env.NAME }}",
    "v: $NAME",
    "v: ${NAME}",
    "v: pre-${{ ENV.NAME }}-post",
    "v: ${{ ENV.NAME }}/${X}",
    "v: ${{ C }}",
    "v: ${{ CONTEXT.C }}",
    "v: ${{ context.C }}",
    "v: ${{ N }}",
    "a: 1\nb: ${{root.a}}",
    "a:\n  x: [1, 2]\nb: ${{root.a.x}}",
    "l:\n- p: 5\nb: ${{root.l[0].p}}",
    "e:\n  name: x\n  w: ws-${{this.name}}",
    "${NAME}: 1",  # keys are not substituted
    "v: price $5",
]

# input, Jina's value of `v`, flowc's value of `v` (SPEC §2 decisions)
DIFFERENT = [
    ("v: '${{ ENV.X }}'", 3, "3"),  # a quoted scalar stays a string
    ("v: ${X:-d}", "${X:-d}", 3),  # defaults are supported
    ("v: ${NOPE:-d}", "${NOPE:-d}", "d"),
    ("v: $$X", "$3", "$X"),  # $$ is a literal $
    ("a: 1\nv: ${{ root.a }}", "${{ root.a }}", 1),  # spaces inside the braces are allowed
]

JINA_SCRIPT = r"""
import json, os, sys, warnings
warnings.simplefilter("ignore")
cases, env, context = json.loads(sys.stdin.read())
os.environ.update(env)
from jina.jaml import JAML
out = []
for text in cases:
    try:
        out.append(JAML.load(text, substitute=True, context=context))
    except Exception as exc:  # report, do not hide
        out.append({"__error__": repr(exc)})
print(json.dumps(out))
"""


def _jina(cases: list[str]) -> list:
    python = jina_python()
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    done = subprocess.run([str(python), "-c", JINA_SCRIPT], input=json.dumps([cases, ENV, CONTEXT]),
                          capture_output=True, text=True, timeout=120, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _flowc(text: str) -> object:
    root, diags = load_text(text, "f.yml")
    assert root is not None and not diags
    node, diags = substitute(root, SubstitutionContext(env=ENV, context=CONTEXT))
    assert not diags, diags
    return to_python(node)


def test_flowc_agrees_with_jina_on_the_forms_both_support():
    for text, theirs in zip(SAME, _jina(SAME)):
        assert _flowc(text) == theirs, text


def test_deliberate_differences_from_jina():
    texts = [text for text, _, _ in DIFFERENT]
    for (text, jina_value, flowc_value), theirs in zip(DIFFERENT, _jina(texts)):
        assert theirs["v"] == jina_value, text
        assert _flowc(text)["v"] == flowc_value, text
