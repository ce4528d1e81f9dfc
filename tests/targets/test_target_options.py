"""Each target takes its own `flowc build` options; the CLI refuses the others (FC905)."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest

from tests.flowc_cli import flowc
from flowc.targets import OPTIONS, TARGETS

CHAIN = Path(__file__).resolve().parents[2] / "examples" / "chain" / "flow.yml"




@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_option_a_target_takes_is_a_field_of_its_options(target):
    module = importlib.import_module(TARGETS[target].module)
    fields = {f.name for f in dataclasses.fields(module.Options)}
    assert set(TARGETS[target].options) | {"context"} <= fields


@pytest.mark.parametrize("target,flag,value", [
    ("systemd", "--namespace", "prod"), ("k8s", "--base-port", "4000"),
    ("local", "--image", "team/x:1.0"), ("compose", "--create-namespace", None)])
def test_an_option_the_target_does_not_take_is_a_usage_error(tmp_path, target, flag, value):
    argv = ["build", str(CHAIN), "--target", target, "-o", str(tmp_path / "out"), flag]
    code, _, err = flowc(*argv, *([value] if value else []))
    assert code == 2 and "error[FC905]" in err and f"`{flag}`" in err
    assert not (tmp_path / "out").exists()


def test_systemd_paths_are_options_of_the_cli(tmp_path):
    code, _, err = flowc("build", str(CHAIN), "--target", "systemd", "-o", str(tmp_path),
                         "--runtime-path", "/usr/local/bin/flowc-runtime",
                         "--config-root", "/srv/etc", "--install-root", "/srv/flows")
    assert code == 0, err
    unit = next((tmp_path / "units").glob("*-gateway@.service")).read_text()
    assert "ExecStart=/usr/local/bin/flowc-runtime gateway --plan /srv/etc/" in unit
    assert "/srv/flows/" in unit


def test_every_option_is_taken_by_some_target():
    assert set(OPTIONS) == {key for target in TARGETS.values() for key in target.options}
