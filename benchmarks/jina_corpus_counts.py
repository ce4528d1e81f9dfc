"""Counts on the Jina corpus (tests/compiler/jina_corpus): how many files Jina 3.34 loads, how
many `flowc validate` accepts as written, and how many it accepts after `flowc migrate`.

    .venv/bin/python benchmarks/jina_corpus_counts.py [--jina-ref DIR] [--before GITREF]
                                                      [--json] [--no-jina]

Jina runs in its own environment (`--jina-ref`, else $FLOWC_JINA_REF, else `.venv/jina-ref`, which
`make jina-ref` makes), through `benchmarks/jina_corpus_load.py`, with telemetry off, inside a
loopback-only network namespace (`unshare -rn`) and the corpus's environment
(`jina_corpus/_corpus.env`): the projects' variables are set, as where they run. flowc validates
in this process, each file with `--env-file _corpus.env` as well (the same inputs); `flowc
migrate --write --map-file _hub_map.yml` runs on a copy of the corpus. Nothing is timed: this is
a fidelity count, kept with the benchmarks because it needs the Jina reference.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "compiler" / "jina_corpus"
ENV_FILE = "_corpus.env"
MAP_FILE = "_hub_map.yml"


def corpus_files() -> list[str]:
    return sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.y*ml")
                  if not p.name.startswith("_"))


def corpus_env() -> dict[str, str]:
    values = {}
    for line in (CORPUS / ENV_FILE).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def jina_counts(jina_ref: Path, files: list[str], root: Path = CORPUS) -> dict[str, dict]:
    """{file: {kind, ok, error}} from Jina 3.34, run without network."""
    python = jina_ref / "bin" / "python"
    if not python.exists():
        sys.exit(f"no Jina reference at {jina_ref} (give --jina-ref, or --no-jina)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(corpus_env(), JINA_OPTOUT_TELEMETRY="1", JINA_LOG_LEVEL="ERROR",
               JINA_CHECK_VERSION="False", NO_COLOR="1")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = ["unshare", "-rn", str(python), str(ROOT / "benchmarks" / "jina_corpus_load.py"),
               *files]
    with tempfile.TemporaryDirectory() as folder:  # executors may write; never in the repository
        copy = Path(folder) / "corpus"
        shutil.copytree(root, copy)
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True,
                              timeout=1800)
    if done.returncode != 0:
        sys.exit(f"the Jina loader failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def flowc(*argv: str) -> tuple[int, str]:
    from flowc.compiler import cli  # flowc's own environment

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(list(argv))
    return code, out.getvalue()


def first_error(json_text: str) -> str | None:
    for diag in json.loads(json_text or "[]"):
        if diag["severity"] == "error":
            return f"{diag['code']} {diag['message']}"[:160]
    return None


def flowc_counts(root: Path, files: list[str]) -> dict[str, dict]:
    """{file: {ok, error}} from `flowc validate --env-file ... --allow-undefined` in `root`."""
    results = {}
    for name in files:
        code, out = flowc("validate", "--format", "json", "--allow-undefined", "--env-file",
                          str(root / ENV_FILE), str(root / name))
        results[name] = {"ok": code == 0, "error": None if code == 0 else first_error(out)}
    return results


_AT_REF = """
import contextlib, io, json, sys
from flowc.compiler import cli
results = {}
for name in sys.argv[2:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = cli.main(["validate", "--format", "json", "--allow-undefined", "--env-file",
                             sys.argv[1], name])
        except SystemExit as exc:
            code = exc.code
    diags = json.loads(out.getvalue() or "[]")
    error = next((f"{d['code']} {d['message']}"[:160] for d in diags
                  if d["severity"] == "error"), None)
    results[name] = {"ok": code == 0, "error": error}
print(json.dumps(results))
"""


def flowc_at(ref: str, files: list[str]) -> dict[str, dict]:
    """flowc's counts as the commit `ref` had it (`git archive`; its packages put under a
    `flowc/` folder of symbolic links, found before the editable install's)."""
    with tempfile.TemporaryDirectory() as folder:
        src, pkg = Path(folder) / "src", Path(folder) / "pkg" / "flowc"
        src.mkdir()
        pkg.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True,
                                 check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(src, filter="data")
        for name in ("compiler", "schemas", "targets", "runtime"):
            (pkg / name).symlink_to(src / name)
        env = dict(os.environ, PYTHONPATH=str(pkg.parent))
        done = subprocess.run([sys.executable, "-c", _AT_REF, str(CORPUS / ENV_FILE), *files],
                              cwd=CORPUS, env=env, capture_output=True, text=True, check=True)
        return json.loads(done.stdout)


def migrated_counts(files: list[str], jina_ref: Path | None
                    ) -> tuple[dict[str, dict], dict[str, bool], dict[str, dict]]:
    """flowc's counts on a copy of the corpus after `flowc migrate --write`, which files
    migrate changed, and (with `jina_ref`) whether Jina 3.34 still loads them."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "corpus"
        shutil.copytree(CORPUS, root)
        before = {name: (root / name).read_bytes() for name in files}
        for name in files:  # one by one: a file migrate refuses does not stop the others
            flowc("migrate", "--write", "--map-file", str(root / MAP_FILE), str(root / name))
        changed = {name: (root / name).read_bytes() != before[name] for name in files}
        jina = jina_counts(jina_ref, [f"./{f}" for f in files], root) if jina_ref else {}
        return flowc_counts(root, files), changed, {
            name.removeprefix("./"): value for name, value in jina.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_ref = os.environ.get("FLOWC_JINA_REF") or str(ROOT / ".venv" / "jina-ref")
    parser.add_argument("--jina-ref", default=default_ref, type=Path,
                        help="virtual environment with Jina 3.34 (default: %(default)s)")
    parser.add_argument("--no-jina", action="store_true", help="flowc's counts only")
    parser.add_argument("--json", action="store_true", help="per-file results as JSON")
    parser.add_argument("--before", metavar="GITREF",
                        help="also count what flowc at this commit accepts (e.g. the commit "
                             "before issue 11)")
    args = parser.parse_args(argv)

    files = corpus_files()
    jina = {} if args.no_jina else jina_counts(args.jina_ref, [f"./{f}" for f in files])
    jina = {name.removeprefix("./"): value for name, value in jina.items()}
    before = flowc_counts(CORPUS, files)
    after, changed, jina_after = migrated_counts(files, None if args.no_jina else args.jina_ref)
    then = flowc_at(args.before, files) if args.before else {}
    rows = {name: {"kind": jina.get(name, {}).get("kind"),
                   "jina": jina.get(name, {}).get("ok"),
                   "jina_error": jina.get(name, {}).get("error"),
                   "jina_executors": jina.get(name, {}).get("executors"),
                   "flowc_at_ref": then.get(name, {}).get("ok"),
                   "flowc": before[name]["ok"], "flowc_error": before[name]["error"],
                   "migrated": changed[name],
                   "jina_after_migrate": jina_after.get(name, {}).get("ok"),
                   "jina_after_migrate_error": jina_after.get(name, {}).get("error"),
                   "flowc_after_migrate": after[name]["ok"],
                   "flowc_after_migrate_error": after[name]["error"]} for name in files}
    if args.json:
        print(json.dumps(rows, indent=1, sort_keys=True))
        return 0
    yes = {True: "yes", False: "no", None: "-"}
    print(f"| file | kind | Jina 3.34 loads | flowc at {args.before or '-'} accepts | flowc "
          "accepts | migrate changed it | flowc accepts after migrate | Jina loads after "
          "migrate |")
    print("|---|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['kind'] or '-'} | {yes[row['jina']]} | "
              f"{yes[row['flowc_at_ref']]} | {yes[row['flowc']]} | {yes[row['migrated']]} | "
              f"{yes[row['flowc_after_migrate']]} | {yes[row['jina_after_migrate']]} |")
    total = len(files)
    loads = sum(1 for r in rows.values() if r["jina"])
    accepted = sum(1 for r in rows.values() if r["flowc"])
    after_ok = sum(1 for r in rows.values() if r["flowc_after_migrate"])
    fixed = sum(1 for r in rows.values() if r["flowc_after_migrate"] and not r["flowc"])
    jina_again = sum(1 for r in rows.values() if r["jina_after_migrate"])
    print()
    at_ref = (f"flowc at {args.before} accepts {sum(1 for r in rows.values() if r['flowc_at_ref'])}"
              f"; " if args.before else "")
    print(f"{total} files: Jina 3.34 loads {'-' if args.no_jina else loads}; {at_ref}flowc "
          f"validate accepts {accepted} as written; {after_ok} after `flowc migrate` (migrate "
          f"made {fixed} acceptable, changed {sum(changed.values())})" + (
              "" if args.no_jina else f"; Jina 3.34 loads {jina_again} of the migrated files"))
    empty = [name for name, row in rows.items() if row["jina"] and row["jina_executors"] == 0]
    if empty:
        print(f"  Jina 3.34 loads {len(empty)} of them with no executor at all: "
              + ", ".join(empty))
    for name, row in rows.items():
        for key in ("jina_error", "flowc_error", "flowc_after_migrate_error",
                    "jina_after_migrate_error"):
            if row[key] and (key != "flowc_error" or not row["flowc_after_migrate"]):
                print(f"  {name}: {key.removesuffix('_error')}: {row[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
