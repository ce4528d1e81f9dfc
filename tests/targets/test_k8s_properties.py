"""Property: for any plan, the k8s target either reports located errors or writes manifests that
validate strictly and pass the generic checks — never a traceback, never a half-written result."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from flowc.compiler.diagnostics import Severity
from flowc.compiler.plan import (
    Address, Deployment, ExecutorRef, FlowInfo, Gateway, Plan, Resources, SecretRef,
)
from flowc.targets import render

_spec = importlib.util.spec_from_file_location(
    "flowc_k8s_target_tests", Path(__file__).with_name("test_k8s_target.py"))
k8s_tests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(k8s_tests)

SECRET = "hypothesis-secret-value"


def _mostly(valid, invalid):
    """Valid values about nine times in ten, so most plans reach the manifests."""
    return st.integers(0, 9).flatmap(lambda n: invalid if n == 0 else valid)


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_quantity = _mostly(st.sampled_from(["100m", "1", "0.5", "512Mi", "2Gi", "1e3"]), _text)
_image = _mostly(st.sampled_from(["team/a:1.0", "registry.io:5000/x/y:2",
                                  "img@sha256:" + "a" * 64]),
                 st.sampled_from(["x/y", "x/y:latest", "Bad:1"]))
_scalar = st.one_of(_text, st.integers(-5, 5), st.booleans(),
                    st.sampled_from(["yes", "on", "1:20", "0777", "~", "a\nb"]))


@st.composite
def _executor(draw) -> ExecutorRef:
    kind = draw(st.sampled_from(["docker", "class", "file", "inline"]))
    if kind == "docker":
        return ExecutorRef("docker", image=draw(_image))
    mods = tuple(draw(st.lists(_mostly(st.sampled_from(["a.py", "pkg/b.py", "c/d/e.py"]),
                                       st.just("../out.py")), max_size=2)))
    if kind == "file":
        return ExecutorRef("file", path=draw(st.sampled_from(["e.yml", "x/e.yml"])),
                           py_modules=mods)
    return ExecutorRef(kind, jtype="E", py_modules=mods,
                       config={"jtype": "E"} if kind == "inline" else None)


@st.composite
def _plan(draw) -> Plan:
    n = draw(st.integers(1, 3))
    deps = []
    for i in range(n):
        secrets = {"TOKEN": SecretRef("s", "k")} if draw(st.booleans()) else {}
        env = draw(st.dictionaries(_mostly(st.sampled_from(["A", "B_1", "on", "y"]),
                                           st.just("9x")), _scalar, max_size=3))
        if secrets and draw(st.booleans()):
            env["TOKEN"] = {"$template": draw(_mostly(
                st.sampled_from(["${{ ENV.TOKEN }}", "$TOKEN"]), st.just("x-${TOKEN}")))}
        k8s = draw(st.fixed_dictionaries({}, optional={
            "labels": st.dictionaries(_mostly(st.sampled_from(["team", "a.io/b"]), st.just("-x")),
                                      _mostly(st.just("ok"), _text), max_size=2),
            "annotations": st.dictionaries(st.sampled_from(["note", "x.io/y"]), _scalar,
                                           max_size=2),
            "node_selector": st.dictionaries(st.just("disk"), st.just("ssd"), max_size=1),
            "tolerations": st.lists(st.fixed_dictionaries(
                {"key": st.just("gpu")}, optional={"operator": st.just("Exists"),
                                                   "tolerationSeconds": st.just(30)}), max_size=1),
            "storage": _quantity, "storage_class": st.just("fast"),
            "workload": _mostly(st.sampled_from(["Deployment", "StatefulSet"]), st.just("Job")),
            "colour": st.just("blue"),  # unknown key: a warning only
        }))
        deps.append(Deployment(
            f"e{i}_x" if i % 2 else f"e{i}", draw(_executor()),
            (deps[-1].name,) if deps else ("gateway",),
            shards=draw(st.integers(1, 3)), replicas=draw(st.integers(1, 3)),
            uses_before=draw(st.one_of(st.none(), _executor())),
            uses_after=draw(st.one_of(st.none(), _executor())),
            external=(Address("ext.example", 443, True),) if draw(st.integers(0, 5)) == 0 else (),
            env=env, env_from_secret=secrets,
            timeout_ready=draw(st.sampled_from([-1, 1, 30_000, 600_000])),
            image=draw(st.one_of(st.none(), _image)),
            resources=Resources({"cpu": draw(_quantity), "memory": "256Mi"},
                                gpus=draw(st.integers(0, 2))),
            service_account=draw(st.one_of(st.none(), st.just("sa"))),
            image_pull_secrets=draw(st.sampled_from([(), ("regcred",)])),
            volumes=draw(st.sampled_from([(), ("data:/data",), ("/cache:/cache:ro",)])),
            placement=draw(st.sampled_from(["process", "process", "gateway"])),
            stateful=draw(st.booleans()), targets={"k8s": k8s},
            source=f"flow.yml:{3 + 4 * i}:5"))
    gateway = Gateway(protocols=(draw(st.sampled_from(["grpc", "http"])),),
                      ports=draw(st.sampled_from([(), (12345,)])),
                      resources=Resources({"cpu": "100m", "memory": "128Mi"}),
                      env=draw(st.dictionaries(st.sampled_from(["MODE", "LEVEL"]), _scalar,
                                               max_size=2)))
    return Plan(FlowInfo("prop-flow", "flow.yml", env={"LOG": "on"}), gateway, tuple(deps),
                (deps[-1].name,))


@settings(max_examples=int(os.environ.get("FLOWC_HYPOTHESIS_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_plan(), _mostly(st.just("team/flow:1.0"), st.sampled_from([None, "team/flow"])))
def test_any_plan_gives_located_errors_or_valid_manifests(plan, image):
    os.environ["TOKEN"] = SECRET
    try:
        files, diags = render("k8s", plan, {"image": image, "create_namespace": True})
    finally:
        del os.environ["TOKEN"]
    errors = [d for d in diags if d.severity is Severity.ERROR]
    event("errors" if errors else "manifests")
    if errors:
        assert files == {}
        assert all(d.span is not None and d.span.file == "flow.yml" for d in errors), errors
        return
    assert not any(SECRET in text for text in files.values())
    assert k8s_tests.generic_problems(files, plan, versions=("1.37.0",)) == []
    assert render("k8s", plan, {"image": image, "create_namespace": True}) == (files, diags)
