"""Jina's Flow methods on flowc's Python `Flow` (issue 11 §5): load_config/save_config, needs,
needs_all, expose_endpoint, plot, to_kubernetes_yaml, to_docker_compose_yaml, block."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import flowc.compiler as compiler
from flowc.compiler.api import Flow
from flowc.compiler.api_plot import GraphvizMissing
from flowc.compiler.cli import main as flowc_main
from flowc.compiler.diagnostics import DiagnosticError

ROOT = Path(__file__).resolve().parents[2]
CHAIN = ROOT / "examples" / "chain"


@pytest.fixture
def chain(tmp_path) -> Path:
    """A copy of examples/chain (its Flow file, executor YAML and module) to write beside."""
    folder = tmp_path / "chain"
    shutil.copytree(CHAIN, folder)
    return folder / "flow.yml"


# --- load_config / save_config ----------------------------------------------------------------

def test_load_config_compiles_like_the_file(chain):
    flow = Flow.load_config(chain, env={})
    assert flow.plan() == compiler.load(chain, env={})


def test_save_config_round_trips(chain):
    flow = Flow.load_config(chain, env={})
    saved = flow.save_config(chain.parent / "saved.yml")
    again = Flow.load_config(saved, env={})
    assert again.to_dict() == flow.to_dict()
    assert again.plan() == flow.plan() == compiler.load(saved, env={})
    assert again.save_config(chain.parent / "twice.yml").read_text() == saved.read_text()


def test_save_config_keeps_plain_scalars_plain(tmp_path):
    source = tmp_path / "flow.yml"
    source.write_text("jtype: Flow\nversion: '1'\njcloud:\n  version: 3.4\nexecutors:\n"
                      "  - name: a\n    replicas: ${{ ENV.R }}\n    uses_with:\n"
                      "      quoted: '${{ ENV.R }}'\n      'on': yes\n")
    flow = Flow.load_config(source, env={"R": "3"})
    text = flow.to_yaml()
    assert "replicas: ${{ ENV.R }}\n" in text and 'quoted: "${{ ENV.R }}"' in text
    flow.save_config()  # the file it came from, as Jina
    plan = Flow.load_config(source, env={"R": "3"}).plan()
    dep = plan.deployment("a")
    assert dep.replicas == 3 and dep.executor.uses_with == {"quoted": "3", "on": "yes"}


def test_save_config_keeps_tags(tmp_path):
    """`!Flow`, an inline `uses: !MyExec` and a `- !Deployment` item are written back as tags."""
    (tmp_path / "m.py").write_text("from flowc.runtime import Executor\n"
                                   "class Upper(Executor):\n    pass\n")
    source = tmp_path / "flow.yml"
    source.write_text("!Flow\nwith:\n  name: t\nexecutors:\n  - name: inline\n"
                      "    uses: !Upper\n      metas:\n        description:\n"
                      "    py_modules: [m.py]\n  - !Deployment\n    with:\n      name: dep\n"
                      "      uses: Upper\n      py_modules: [m.py]\n")
    saved = Flow.load_config(source).save_config(tmp_path / "saved.yml")
    text = saved.read_text()
    assert "    uses: !Upper\n" in text and "  - !Deployment\n" in text
    assert compiler.load(saved, env={}) == compiler.load(source, env={})


def test_load_config_then_add_builds_on_the_file(chain):
    flow = Flow.load_config(chain, env={}).add(name="again", uses="Tagger",
                                                  py_modules=["executors.py"])
    plan = flow.plan()  # relative paths start at the file's directory
    assert [d.name for d in plan.deployments] == ["upper", "tag", "again"]
    assert plan.deployment("again").needs == ("tag",)


def test_load_config_errors_point_into_the_file(chain):
    text = chain.read_text().replace("  - name: tag\n", "  - name: tag\n    replica: 2\n")
    chain.write_text(text)
    with pytest.raises(DiagnosticError) as info:
        Flow.load_config(chain, env={}).plan()
    (diag,) = [d for d in info.value.diagnostics if d.code == "FC201"]
    line = text.splitlines().index("    replica: 2") + 1
    assert (diag.span.file, diag.span.line, diag.span.col) == (str(chain), line, 5)


def test_load_config_sources(chain, tmp_path):
    text = "jtype: Flow\nexecutors:\n  - name: a\n"
    from_text = Flow.load_config(text)
    from_dict = Flow.load_config({"jtype": "Flow", "executors": [{"name": "a"}]})
    with open(chain, encoding="utf-8") as handle:
        from_stream = Flow.load_config(handle, env={})
    assert from_text.plan() == from_dict.plan()
    assert [d.name for d in from_stream.plan(base_dir=chain.parent).deployments] == [
        "upper", "tag"]
    with pytest.raises(TypeError, match="Executor file"):
        Flow.load_config(chain.parent / "upper.yml")
    with pytest.raises(DiagnosticError, match="FC109|cannot read"):
        Flow.load_config(tmp_path / "missing.yml")
    with pytest.raises(ValueError, match="filename"):
        Flow().add(name="a").save_config()
    with pytest.raises(TypeError, match="bogus"):
        Flow.load_config(chain, bogus=1)


# --- needs, needs_all, expose_endpoint ----------------------------------------------------------

def test_needs_joins_entries():
    flow = Flow().add(name="a").add(name="b", needs="gateway").needs(["a", "b"], name="join")
    assert flow.plan().deployment("join").needs == ("a", "b")
    with pytest.raises(ValueError, match="two or more"):
        Flow().add(name="a").needs(["a"])


def test_needs_all_waits_for_every_hanging_entry():
    flow = (Flow().add(name="a").add(name="b", needs="gateway")
            .add(name="f", needs="gateway", floating=True).needs_all())
    plan = flow.plan()
    assert plan.deployment("joiner").needs == ("a", "b")  # floating `f` is not waited for
    assert plan.responders == ("joiner",)
    single = Flow().add(name="a").add(name="b").needs_all(name="end").plan()
    assert single.deployment("end").needs == ("b",)


def test_expose_endpoint_sets_the_gateways_expose_endpoints():
    flow = Flow(protocol="http").add(name="a").expose_endpoint("/foo", path="/bar",
                                                               methods=["GET"])
    flow.expose_endpoint("/baz")
    assert flow.to_dict()["gateway"]["expose_endpoints"] == {
        "/foo": {"path": "/bar", "methods": ["GET"]}, "/baz": {}}
    flow.plan()  # a valid Flow


# --- plot -------------------------------------------------------------------------------------

def test_plot_text_forms(tmp_path, capsys):
    flow = Flow(name="p").add(name="a").add(name="b")
    assert flow.plot() is flow
    printed = capsys.readouterr().out
    assert printed.startswith("flowchart LR\n") and "n_a --> n_b" in printed
    flow.plot(tmp_path / "p.mmd", vertical_layout=True)
    assert (tmp_path / "p.mmd").read_text().startswith("flowchart TD\n")
    flow.plot(tmp_path / "p.dot")
    assert '"a" -> "b";' in (tmp_path / "p.dot").read_text()
    with pytest.raises(ValueError, match="p.txt"):
        flow.plot(tmp_path / "p.txt")


def test_plot_svg_runs_graphviz_dot(tmp_path, monkeypatch):
    """The image comes from `dot -Tsvg` fed the DOT text (a stand-in `dot` records both)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text(f"#!{sys.executable}\nimport sys\n"
                    "dot = sys.stdin.read()\n"
                    "sys.stdout.write('<svg>' + ' '.join(sys.argv[1:]) + '|' + dot + '</svg>')\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    Flow(name="p").add(name="a").plot(tmp_path / "p.svg")
    svg = (tmp_path / "p.svg").read_text()
    assert svg.startswith("<svg>-Tsvg|digraph \"p\" {") and '"gateway" -> "a";' in svg


def test_plot_image_without_graphviz_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz"):
        Flow().add(name="a").plot(tmp_path / "p.png")
    assert not (tmp_path / "p.png").exists()


# --- to_kubernetes_yaml / to_docker_compose_yaml ---------------------------------------------

def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, with the wheel's content hash (it changes whenever flowc's
    source does, e.g. between two builds while someone edits) replaced by a placeholder."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = re.sub(r"wheels/[0-9a-f]{16}/", "wheels/HASH/", path.relative_to(folder).as_posix())
        data = path.read_bytes()
        out[name] = data if name.endswith(".whl") else re.sub(rb"wheels/[0-9a-f]{16}/",
                                                               b"wheels/HASH/", data)
    return out


def test_to_kubernetes_yaml_writes_what_flowc_build_writes(chain, tmp_path):
    Flow.load_config(chain).to_kubernetes_yaml(tmp_path / "api", k8s_namespace="search",
                                               image="reg.example/chain:1")
    assert flowc_main(["build", str(chain), "--target", "k8s", "-o", str(tmp_path / "cli"),
                       "--namespace", "search", "--image", "reg.example/chain:1"]) == 0
    api, cli = _tree(tmp_path / "api"), _tree(tmp_path / "cli")
    assert api.keys() == cli.keys() and "kustomization.yaml" in api
    assert {k: v for k, v in api.items() if not k.endswith(".whl")} == {
        k: v for k, v in cli.items() if not k.endswith(".whl")}
    assert b"  namespace: search\n" in api["gateway.yaml"]


def test_to_docker_compose_yaml_writes_what_flowc_build_writes(chain, tmp_path):
    flow = Flow.load_config(chain)
    flow.to_docker_compose_yaml(tmp_path / "api" / "compose.yaml", network_name="shared-net",
                                image="reg.example/chain:1")
    assert flowc_main(["build", str(chain), "--target", "compose", "-o", str(tmp_path / "cli"),
                       "--network", "shared-net", "--image", "reg.example/chain:1"]) == 0
    api, cli = _tree(tmp_path / "api"), _tree(tmp_path / "cli")
    assert {k: v for k, v in api.items() if not k.endswith(".whl")} == {
        k: v for k, v in cli.items() if not k.endswith(".whl")}
    assert b"name: shared-net\n" in api["compose.yaml"]
    with pytest.raises(ValueError, match="compose.yaml"):
        flow.to_docker_compose_yaml(tmp_path / "docker-compose.yml")
    with pytest.raises(ValueError, match="gateway"):
        flow.to_kubernetes_yaml(tmp_path / "k", include_gateway=False)
    with pytest.raises(DiagnosticError, match="network"):
        flow.to_docker_compose_yaml(tmp_path / "bad", network_name="-no", image="r/c:1")


def test_to_kubernetes_yaml_refuses_a_users_file(chain, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("mine\n")
    with pytest.raises(FileExistsError, match="README.md"):
        Flow.load_config(chain).to_kubernetes_yaml(out, image="reg.example/chain:1")
    assert (out / "README.md").read_text() == "mine\n"


# --- block --------------------------------------------------------------------------------------

BLOCKING = textwrap.dedent("""
    import sys
    from flowc.compiler.api import Flow
    flow = Flow(name="blocked").add(name="a").start()
    print(flow._handle.port, flush=True)
    flow.block()
    print("unblocked", flush=True)
""")


def _serving(port: int) -> bool:
    from flowc.runtime.client import Client  # grpc: only the block tests need it

    return Client(host="127.0.0.1", port=port).is_ready(timeout=2)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_block_serves_until_a_signal(tmp_path, signum):
    script = tmp_path / "block.py"
    script.write_text(BLOCKING)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    try:
        port = int(proc.stdout.readline())
        time.sleep(0.3)
        assert proc.poll() is None and _serving(port)
        proc.send_signal(signum)
        assert proc.wait(30) == 0
        assert proc.stdout.read() == "unblocked\n"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_block_until_the_stop_event_starts_and_stops(tmp_path):
    flow = Flow(name="evented").add(name="a")
    stop = threading.Event()
    thread = threading.Thread(target=flow.block, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while flow._handle is None and time.monotonic() < deadline:
            time.sleep(0.05)
        port = flow._handle.port
        assert _serving(port)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive() and flow._handle is None  # started by block, stopped by it
