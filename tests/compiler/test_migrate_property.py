"""`flowc migrate` on generated Jina files: whatever the mix of old forms (tags, `pods:` as a list
or a mapping at any indentation, Hub references, deprecated names, `jcloud:` blocks in block and
flow style, comments), the result loads, means what the original meant with every rewrite
applied (compared as data), and migrating it again changes nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flowc.compiler.check import plain
from flowc.compiler.loader import load_text
from flowc.compiler.migrate import migrate_text

MAPS = {"Enc": "docker://registry.example.com/enc:1", "Idx/v2": "idx.yml"}
HUB = {"jinahub://Enc": MAPS["Enc"], "jinahub+docker://Idx/v2": MAPS["Idx/v2"],
       "'jinahub+sandbox://Enc'": MAPS["Enc"]}
RENAMES = {"override_with": "uses_with", "host_in": "host", "port_expose": "port"}


@st.composite
def entries(draw, index: int) -> tuple[list[tuple[str, str]], dict]:
    """One executor entry: its (key, value text) pairs, and the data migrate should make."""
    pairs: list[tuple[str, str]] = []
    want: dict = {}
    uses = draw(st.sampled_from(["A", "jinahub://Enc", "jinahub+docker://Idx/v2",
                                 "'jinahub+sandbox://Enc'", None]))
    if uses is not None:
        pairs.append(("uses", uses))
        want["uses"] = HUB.get(uses, uses)
    if draw(st.booleans()):
        pairs.append(("override_with", "{a: 1}"))
        want["uses_with"] = {"a": 1}
    if draw(st.booleans()):
        pairs.append(("host_in", "0.0.0.0"))
        want["host"] = "0.0.0.0"
    if draw(st.booleans()):
        pairs.append(("jcloud", draw(st.sampled_from(["{x: 1}", "BLOCK"]))))
    if draw(st.booleans()):
        pairs.append(("replicas", "2"))
        want["replicas"] = 2
    order = draw(st.permutations(range(len(pairs))))
    return [pairs[i] for i in order], want


def block(pairs: list[tuple[str, str]], indent: int) -> list[str]:
    """Mapping lines at `indent` (a `BLOCK` value: a nested block mapping)."""
    lines = []
    for key, value in pairs:
        if value == "BLOCK":
            lines += [" " * indent + f"{key}:", " " * (indent + 2) + "resources:",
                      " " * (indent + 4) + "memory: 2G  # big"]
        else:
            lines.append(" " * indent + f"{key}: {value}")
    return lines


@st.composite
def flows(draw) -> tuple[str, dict]:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("# a Jina file")
    head = draw(st.sampled_from(["!Flow", "--- !Flow", "jtype: Flow", ""]))
    if head:
        lines.append(head)
    want: dict = {"jtype": "Flow"} if head else {}
    if draw(st.booleans()):
        lines += ["with:", "  port_expose: 8080"]
        want["with"] = {"port": 8080}
        if draw(st.booleans()):
            lines += ["  jcloud:", "    version: 3.4.11"]
    if draw(st.booleans()):
        lines += ["jcloud:", "  labels:", "    team: x"]
    count = draw(st.integers(1, 4))
    form = draw(st.sampled_from(["executors", "pods-list", "pods-map"]))
    lines.append("pods:" if form.startswith("pods") else "executors:")
    items = []
    seq = draw(st.sampled_from([0, 2]))
    body = draw(st.sampled_from([2, 4, 6]))
    for index in range(count):
        pairs, item = draw(entries(index))
        name = f"e{index}"
        item = {"name": name, **item}
        items.append(item)
        style = draw(st.sampled_from(["block", "flow"]))
        if form == "pods-map":
            if style == "flow" or not pairs:
                text = ", ".join(f"{k}: {'{y: 2}' if v == 'BLOCK' else v}" for k, v in pairs)
                lines.append(f"  {name}: {{{text}}}")
            else:
                lines.append(f"  {name}:")
                lines += block(pairs, 2 + body)
        elif style == "flow":
            text = ", ".join([f"name: {name}"] + [
                f"{k}: {'{y: 2}' if v == 'BLOCK' else v}" for k, v in pairs])
            lines.append(" " * seq + f"- {{{text}}}")
        else:
            lines += [" " * seq + f"- name: {name}"] + block(pairs, seq + 2)
        if draw(st.booleans()):
            lines.append(" " * seq + "# between entries")
    want["executors"] = items
    return "\n".join(lines) + "\n", want


@settings(max_examples=100, deadline=None)
@given(flows())
def test_migrate_means_the_same_with_every_rewrite_applied(case):
    text, want = case
    result = migrate_text(text, "flow.yml", MAPS)
    assert result.ok, (text, result.diagnostics)
    root, diags = load_text(result.after, "flow.yml")
    assert root is not None and not [d for d in diags if d.severity.name == "ERROR"]
    assert plain(root) == want, (text, result.after)
    again = migrate_text(result.after, "flow.yml", MAPS)
    assert again.ok and again.after == result.after, (text, result.after)
