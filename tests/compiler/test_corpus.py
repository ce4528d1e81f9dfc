"""The broken-input corpus, run through the real command line in-process (`flowc.compiler.cli`).

Each case is a folder under `corpus/` holding the files of one broken project (usually
`flow.yml`, sometimes included files, an `--env-file`, a context file). A comment
`# error: FC201` or `# warning: FC220` sits on the line where that diagnostic must be reported,
in whichever file of the case it belongs; a `case.toml` (optional) says how to run it:

    command = "validate"                 # or build / explain / graph
    files = ["flow.yml"]                 # validate: the files, relative to the case folder
    args = ["--env-file", "{case}/.env"] # extra arguments; {case} is the case folder's name
    env = {FLOWC_CORPUS_R = "abc"}       # environment for the run (FLOWC_CORPUS_* are cleared)
    expect = ["error FC312 at <--context #1>:1", "error FC903"]  # where no comment can go

For every case the runner asserts: the diagnostics (code, severity, file, line) are exactly the
expected ones, the exit code (1 with errors, else 0; `--strict` also fails on warnings), no
traceback and no internal error (FC999) anywhere in the output, and the human and JSON output
equal the golden files `human.txt` and `diagnostics.json` beside the case
(`FLOWC_UPDATE_GOLDEN=1` rewrites them; other commands have no `--format`, so their cases keep
only `human.txt`, what they print on stderr). Inputs that would be too big to commit (a 20 MB file,
5,000-deep nesting, alias bombs, a 1 MiB scalar) are generated at test time (`GENERATED`); their
golden files live in `corpus/_generated/<name>/`. Paths in the output are relative to the
corpus folder (the tests run from there), so the golden files are the same on every machine.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, `tomli` (the test extra)
    import tomli as tomllib

from flowc.compiler import cli

_spec = importlib.util.spec_from_file_location(
    "flowc_tests_golden_corpus", Path(__file__).resolve().parents[1] / "golden.py")
_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_golden)
assert_golden = _golden.assert_golden

CORPUS = Path(__file__).parent / "corpus"
GENERATED_GOLDEN = CORPUS / "_generated"
GOLDEN_NAMES = {"human.txt", "diagnostics.json", "stdout.txt", "case.toml"}
ENV_PREFIX = "FLOWC_CORPUS_"
EXPECT_COMMENT = re.compile(r"# (error|warning): (FC\d{3})")
EXPECT_ENTRY = re.compile(r"^(error|warning) (FC\d{3})(?: at (.+):(\d+))?$")
HUMAN_HEAD = re.compile(r"^(?:(.+?):(\d+):(\d+): )?(error|warning|note)\[(FC\d{3})\]: ", re.M)

Expectation = tuple[str, str, str, int]  # (severity, code, file, line); line 0: no location


# --- cases ----------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    root: Path  # the folder the command runs in (the case folder is root / name)
    golden: Path  # where human.txt / diagnostics.json are kept
    command: str = "validate"
    files: list[str] = field(default_factory=lambda: ["flow.yml"])
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    expect: set[Expectation] = field(default_factory=set)
    exit: int | None = None  # the exit code, when not the one the expectations imply (2: usage)

    @property
    def folder(self) -> Path:
        return self.root / self.name


def _text_of(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8", "replace")


def comment_expectations(folder: Path, name: str) -> set[Expectation]:
    """The `# error: FCxxx` / `# warning: FCxxx` comments of every file in a case."""
    found: set[Expectation] = set()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name in GOLDEN_NAMES:
            continue
        display = f"{name}/{path.relative_to(folder).as_posix()}"
        for number, line in enumerate(re.split(r"\r\n|\r|\n", _text_of(path)), 1):
            for match in EXPECT_COMMENT.finditer(line):
                found.add((match.group(1), match.group(2), display, number))
    return found


def _parse_entry(entry: str) -> Expectation:
    match = EXPECT_ENTRY.match(entry)
    assert match, f"bad `expect` entry {entry!r}"
    severity, code, file, line = match.groups()
    return severity, code, file or "", int(line or 0)


def load_case(name: str) -> Case:
    folder = CORPUS / name
    config = {}
    if (folder / "case.toml").exists():
        config = tomllib.loads((folder / "case.toml").read_text(encoding="utf-8"))
    unknown = set(config) - {"command", "files", "args", "env", "expect", "exit"}
    assert not unknown, f"{name}/case.toml: unknown keys {sorted(unknown)}"
    expect = comment_expectations(folder, name) | {
        _parse_entry(e.replace("{case}", name)) for e in config.get("expect", [])}
    return Case(name, CORPUS, folder, config.get("command", "validate"),
                list(config.get("files", ["flow.yml"])), list(config.get("args", [])),
                dict(config.get("env", {})), expect, config.get("exit"))


CASES = sorted(p.name for p in CORPUS.iterdir()
               if p.is_dir() and not p.name.startswith(("_", ".")))


# --- generated cases (too big or too hostile to commit) ------------------------------------

def _write(folder: Path, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "flow.yml").write_bytes(data)


def _twenty_megabytes(folder: Path) -> None:
    line = b"  - name: e\n    uses: Encoder\n"
    head = b"# a 20 MB Flow file: refused before it is parsed\njtype: Flow\nexecutors:\n"
    _write(folder, head + line * ((20 * 1024 * 1024) // len(line)))


def _deep_flow_style(folder: Path) -> None:
    _write(folder, b"jtype: Flow\nwith:\n  x: " + b"[" * 5000 + b"]" * 5000 + b"\n")


def _deep_block_style(folder: Path) -> None:
    _write(folder, b"jtype: Flow\nwith:\n  x:\n    " + b"- " * 5000 + b"deep\n")


def _billion_laughs(folder: Path) -> None:
    lines = [b"jtype: Flow", b"with:", b"  a: &a [" + b", ".join([b"lol"] * 10) + b"]"]
    for level in "bcdefghi":
        previous = chr(ord(level) - 1).encode()
        lines.append(b"  %s: &%s [" % (level.encode(), level.encode())
                     + b", ".join([b"*" + previous] * 10) + b"]")
    _write(folder, b"\n".join(lines) + b"\n")


def _many_aliases(folder: Path) -> None:
    lines = [b"jtype: Flow", b"with:", b"  base: &b 1", b"  copies:"]
    lines += [b"    - *b"] * 300
    _write(folder, b"\n".join(lines) + b"\n")


def _long_scalar(folder: Path) -> None:
    line = b"    " + b"x" * 76 + b"\n"
    body = line * (1024 * 1024 // 76 + 10)
    _write(folder, b"jtype: Flow\nwith:\n  description: |\n" + body)


def _many_dollars(folder: Path) -> None:
    _write(folder, b"jtype: Flow\nexecutors:\n  - name: encoder\n    uses_with:\n"
                   b"      price: " + b"$$" * 600 + b"\n")


# name -> (writer, expectations as in case.toml `expect`, with {case} for the case folder)
GENERATED: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "gen_fc103_twenty_megabytes": (_twenty_megabytes, ["error FC103 at {case}/flow.yml:1"]),
    "gen_fc104_deep_flow_style": (_deep_flow_style, ["error FC104 at {case}/flow.yml:3"]),
    "gen_fc104_deep_block_style": (_deep_block_style, ["error FC104 at {case}/flow.yml:4"]),
    "gen_fc105_billion_laughs": (_billion_laughs, ["error FC105 at {case}/flow.yml:8"]),
    "gen_fc105_too_many_aliases": (_many_aliases, ["error FC105 at {case}/flow.yml:205"]),
    "gen_fc106_long_scalar": (_long_scalar, ["error FC106 at {case}/flow.yml:3"]),
    "gen_fc306_too_many_dollars": (_many_dollars, ["error FC306 at {case}/flow.yml:5"]),
}


def generated_case(name: str, root: Path) -> Case:
    writer, entries = GENERATED[name]
    writer(root / name)
    expect = {_parse_entry(e.replace("{case}", name)) for e in entries}
    return Case(name, root, GENERATED_GOLDEN / name, expect=expect)


def all_expected_codes() -> set[str]:
    """Every code some case of this corpus expects (for the coverage test)."""
    codes = {code for name in CASES for _, code, _, _ in load_case(name).expect}
    codes |= {_parse_entry(e)[1] for _, entries in GENERATED.values() for e in entries}
    return codes


# --- running --------------------------------------------------------------------------------

@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(case: Case, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """`flowc ARGV` in this process, from the case's root folder, with the case's environment."""
    monkeypatch.chdir(case.root)
    for key in list(os.environ):
        if key.startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([a.replace("{case}", case.name) for a in argv])
    run = Run(code, out.getvalue(), err.getvalue())
    for text in (run.out, run.err):
        assert "Traceback" not in text, text
        assert "FC999" not in text, text
    return run


def from_json(text: str) -> set[Expectation]:
    return {(d["severity"], d["code"], d.get("file") or "", d.get("line") or 0)
            for d in json.loads(text)}


def from_human(text: str) -> set[Expectation]:
    return {(m.group(4), m.group(5), m.group(1) or "", int(m.group(2) or 0))
            for m in HUMAN_HEAD.finditer(text) if m.group(4) != "note"}


def exit_codes(expect: set[Expectation]) -> tuple[int, int]:
    """(plain, --strict) exit codes the expectations imply."""
    errors = any(severity == "error" for severity, *_ in expect)
    return (1 if errors else 0), (1 if expect else 0)


def check_case(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    assert case.expect, f"{case.name}: no '# error: FC...' comment and no `expect` entry"
    plain, strict = exit_codes(case.expect)
    if case.command == "validate":
        files = [f"{case.name}/{f}" for f in case.files]
        human = run_cli(case, ["validate", *files, *case.args], monkeypatch)
        data = run_cli(case, ["validate", "--format", "json", *files, *case.args], monkeypatch)
        strict_run = run_cli(case, ["validate", "--strict", "--format", "json", *files,
                                    *case.args], monkeypatch)
        assert human.err == "" and data.err == ""
        assert from_json(data.out) == case.expect
        assert from_human(human.out) == case.expect
        assert (human.code, data.code, strict_run.code) == (plain, plain, strict)
        assert strict_run.out == data.out
        assert_golden(case.golden / "human.txt", human.out)
        assert_golden(case.golden / "diagnostics.json", data.out)
        return
    human = run_cli(case, [case.command, *case.args], monkeypatch)
    assert from_human(human.err) == case.expect
    assert human.code == (plain if case.exit is None else case.exit)
    assert_golden(case.golden / "human.txt", human.err)
    if any(code == "FC903" for _, code, _, _ in case.expect):  # build --check: the drift
        assert human.out.startswith("--- ") and "\n+++ " in human.out, human.out
    else:
        assert human.out == ""


# --- tests ----------------------------------------------------------------------------------

def test_the_corpus_has_at_least_forty_broken_inputs():
    assert len(CASES) + len(GENERATED) >= 40


@pytest.mark.parametrize("name", CASES)
def test_corpus_case(name, monkeypatch):
    check_case(load_case(name), monkeypatch)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_case(name, tmp_path, monkeypatch):
    check_case(generated_case(name, tmp_path), monkeypatch)


def test_every_case_is_byte_identical_across_runs(monkeypatch):
    """Two runs of the whole committed corpus print the same bytes (determinism)."""
    def everything() -> list[str]:
        texts = []
        for name in CASES:
            case = load_case(name)
            if case.command == "validate":
                run = run_cli(case, ["validate", "--format", "sarif",
                                     *[f"{name}/{f}" for f in case.files], *case.args],
                              monkeypatch)
                texts.append(run.out)
        return texts

    assert everything() == everything()
