"""The command line's manners: --version, a guess for a mistyped command, help for every
argument, `build --check` as CI annotations, and counts that say what happened."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from flowc.compiler import cli

ROOT = Path(__file__).resolve().parents[2]
CHAIN = str(ROOT / "examples" / "chain" / "flow.yml")
BUILD = [CHAIN, "--target", "compose", "--image", "r.example/chain:1"]
# GitHub's workflow command: ::error file=F,line=L,col=C,...::MESSAGE (one line; %0A = newline)
ANNOTATION = re.compile(r"^::(error|warning|notice) ((?:[a-zA-Z]+=[^,:]*)(?:,[a-zA-Z]+=[^,:]*)*)"
                        r"::(.+)$")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.build_parser().parse_args(["--version"])
    assert exit_.value.code == 0
    assert re.fullmatch(r"flowc \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


@pytest.mark.parametrize("typo, meant", [("biuld", "build"), ("valdate", "validate"),
                                         ("rnu", "run")])
def test_a_mistyped_command_gets_a_guess(capsys: pytest.CaptureFixture[str], typo: str,
                                         meant: str) -> None:
    assert cli.main([typo, CHAIN]) == 2
    err = capsys.readouterr().err
    assert f"unknown command `{typo}`; did you mean `flowc {meant}`?" in err
    assert "Traceback" not in err


def test_every_argument_and_option_has_help() -> None:
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [f"{name} {action.dest}" for name, sub in subparsers.choices.items()
               for action in sub._actions
               if not isinstance(action, argparse._HelpAction) and not action.help]
    assert missing == []


def test_post_takes_the_input_options() -> None:
    args = cli.build_parser().parse_args(["post", CHAIN, "--on", "/x", "--env-file", ".env",
                                          "--context", "A=1", "--allow-undefined"])
    assert args.env_file == ".env" and args.context == ["A=1"] and args.allow_undefined


def test_build_check_as_github_annotations(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deploy"
    assert cli.main(["build", *BUILD, "-o", str(out)]) == 0
    assert cli.main(["build", *BUILD, "-o", str(out), "--check", "--format", "github"]) == 0
    assert capsys.readouterr().out == ""
    (out / "compose.yaml").write_text("changed\n")
    (out / "README.md").unlink()
    assert cli.main(["build", *BUILD, "-o", str(out), "--check", "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    parsed = [ANNOTATION.match(line) for line in lines]
    assert all(parsed), lines
    fields = [dict(kv.split("=", 1) for kv in m.group(2).split(",")) for m in parsed]
    assert {Path(f["file"]).name for f in fields} == {"compose.yaml", "README.md"}
    assert all(m.group(1) == "error" and "FC903" in line for m, line in zip(parsed, lines))


def test_wrote_counts_what_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deploy"
    assert cli.main(["build", *BUILD, "-o", str(out)]) == 0
    total = int(re.search(r"wrote (\d+) file", capsys.readouterr().err).group(1))
    assert total > 3
    (out / "compose.yaml").write_text("changed\n")
    assert cli.main(["build", *BUILD, "-o", str(out)]) == 0
    assert f"wrote 1 file(s) to {out}, {total - 1} unchanged" in capsys.readouterr().err
