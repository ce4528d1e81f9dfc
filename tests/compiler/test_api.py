"""The Python API builds the same plan as the equivalent YAML and dumps back to YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

import flowc.compiler as compiler
from flowc.compiler.api import Flow
from flowc.compiler.diagnostics import DiagnosticError

ROOT = Path(__file__).resolve().parents[2]
CHAIN = ROOT / "examples" / "chain"


def chain_in_python() -> Flow:
    return (Flow(name="chain", port=54321)
            .add(name="upper", uses="upper.yml", uses_with={"suffix": "!"})
            .add(name="tag", uses="Tagger", py_modules=["executors.py"],
                 uses_with={"tag": "demo"}))


def test_python_and_yaml_give_equal_plans():
    built = chain_in_python().plan(base_dir=CHAIN)
    loaded = compiler.load(CHAIN / "flow.yml", env={})
    assert built == loaded
    assert built.deployment("upper").source is None
    assert loaded.deployment("upper").source.endswith("flow.yml:14:5")


def test_richer_flow_both_ways(tmp_path):
    flow = (Flow(workspace="/w", timeout_ready=1000)
            .add(name="a", uses="docker://a:1", shards=2, polling={"/x": "ALL"})
            .add(name="b", needs="gateway", env={"K": "v"}, when={"tags__x": {"$eq": 1}})
            .add(name="c", needs=["a", "b"], disable_reduce=True)
            .config_gateway(port=8080, protocol=["grpc"]))
    (tmp_path / "flow.yml").write_text(flow.to_yaml())
    assert flow.plan(base_dir=tmp_path) == compiler.load(tmp_path / "flow.yml", env={})
    plan = flow.plan(base_dir=tmp_path)
    assert plan.deployment("c").needs == ("a", "b") and plan.gateway.ports == (8080,)


def test_to_yaml_quotes_strings_and_round_trips(tmp_path):
    flow = Flow(name="yes").add(name="a", uses_with={"v": "on", "n": "1", "t": True,
                                                      "empty": {}, "list": [1, "2"], "*": None})
    text = flow.to_yaml()
    assert 'v: "on"' in text and 'n: "1"' in text and "t: true" in text
    (tmp_path / "flow.yml").write_text(text)
    assert compiler.load(tmp_path / "flow.yml", env={}).deployment("a").executor.uses_with == {
        "v": "on", "n": "1", "t": True, "empty": {}, "list": [1, "2"], "*": None}


def test_class_as_uses_becomes_name_and_module(tmp_path):
    source = tmp_path / "mine.py"
    source.write_text("class Mine:\n    pass\n")
    namespace: dict = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    cls = namespace["Mine"]
    cls.__module__ = "mine_module_for_test"
    import sys
    import types
    module = types.ModuleType("mine_module_for_test")
    module.__file__ = str(source)
    sys.modules["mine_module_for_test"] = module
    try:
        plan = Flow().add(name="m", uses=cls).plan(base_dir=tmp_path)
    finally:
        del sys.modules["mine_module_for_test"]
    ex = plan.deployment("m").executor
    assert (ex.kind, ex.jtype, ex.py_modules) == ("class", "Mine", ("mine.py",))


def test_bad_input_raises_diagnostic_error():
    with pytest.raises(DiagnosticError) as info:
        Flow().add(name="a", replicsa=2).add(name="b", needs="zzz").plan()
    codes = sorted(d.code for d in info.value.diagnostics)
    assert "FC201" in codes and "FC501" in codes


def test_flow_load_and_builder_only_methods():
    flow = Flow.load(CHAIN / "flow.yml", env={})
    assert flow.plan() == compiler.load(CHAIN / "flow.yml", env={})
    assert "jtype: Flow" in flow.to_yaml()
    with pytest.raises(TypeError):
        flow.add(name="x")
    with pytest.raises(RuntimeError):
        flow.post("/x")


def test_with_flow_post_runs_the_flow():
    """End to end on loopback: the builder's plan started by the runtime's launcher."""
    from docarray import DocList
    from docarray.documents import TextDoc

    flow = (Flow(name="chain-api")
            .add(name="upper", uses="upper.yml", uses_with={"suffix": "?"})
            .add(name="tag", uses="Tagger", py_modules=["executors.py"],
                 uses_with={"tag": "api"}))
    with flow.start(base_dir=CHAIN):
        docs = flow.post("/default", DocList[TextDoc]([TextDoc(text="hi")]),
                         return_type=DocList[TextDoc])
    assert [d.text for d in docs] == ["HI? [api]"]
    assert flow._handle is None
