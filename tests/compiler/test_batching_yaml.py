"""Dynamic batching in YAML (issue 13 §3): its shape is checked where it is written, and the
settings reach the worker merged as SPEC §3 says (the Executor file's `dynamic_batching:`, deep
under the entry's `uses_dynamic_batching:`, and the Flow `with:`'s passed down)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from flowc.compiler.driver import compile_flow
from flowc.runtime.loading import load_executor

EXECUTOR = '''
from flowc.runtime import Executor, requests


class Enc(Executor):
    @requests(on="/enc")
    def enc(self, docs, **kwargs):
        return None
'''


def write(folder: Path, flow: str, executor_yaml: str | None = None) -> Path:
    (folder / "enc.py").write_text(EXECUTOR)
    if executor_yaml is not None:
        (folder / "enc.yml").write_text(textwrap.dedent(executor_yaml))
    path = folder / "flow.yml"
    path.write_text(textwrap.dedent(flow))
    return path


def located(result) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.span.line, d.span.col, d.message) for d in result.diagnostics
            if str(d.severity) == "error"]


def test_bad_settings_in_a_flow_entry_are_located_errors(tmp_path):
    path = write(tmp_path, """\
        jtype: Flow
        executors:
          - name: enc
            uses: Enc
            py_modules: [enc.py]
            uses_dynamic_batching:
              /enc:
                preferred_batch_size: many
                timeot: 10
        """)
    found = located(compile_flow(path))
    assert ("FC202", 8, 31, "`uses_dynamic_batching['/enc'].preferred_batch_size` must be an "
            "integer ≥ 1, got 'many'") in found
    assert [f[:3] for f in found if f[0] == "FC201"] == [("FC201", 9, 9)]
    assert "`timeot`" in next(f[3] for f in found if f[0] == "FC201")


def test_bad_settings_in_an_executor_file_are_located_in_that_file(tmp_path):
    path = write(tmp_path, """\
        jtype: Flow
        executors:
          - name: enc
            uses: enc.yml
        """, """\
        jtype: Enc
        py_modules: [enc.py]
        dynamic_batching:
          /enc: {timeout: -5, flush_all: sometimes}
        """)
    result = compile_flow(path)
    spans = sorted((d.code, Path(d.span.file).name, d.span.line, d.span.col)
                   for d in result.diagnostics if str(d.severity) == "error")
    # a word where true/false belongs (FC202) and a number out of range (FC203), in enc.yml
    assert spans == [("FC202", "enc.yml", 4, 34), ("FC203", "enc.yml", 4, 19)]


def test_the_worker_gets_the_file_settings_deep_merged_under_the_entry_s(tmp_path):
    path = write(tmp_path, """\
        jtype: Flow
        executors:
          - name: enc
            uses: enc.yml
            uses_dynamic_batching:
              /enc: {preferred_batch_size: 8}
              enc: {flush_all: true}
        """, """\
        jtype: Enc
        py_modules: [enc.py]
        dynamic_batching:
          /enc: {preferred_batch_size: 2, timeout: 50}
        """)
    result = compile_flow(path)
    assert result.ok, located(result)
    executor = load_executor(result.plan, "enc", base_dir=tmp_path)
    assert executor.runtime_args.dynamic_batching == {
        "/enc": {"preferred_batch_size": 8, "timeout": 50}, "enc": {"flush_all": True}}


def test_the_flow_with_passes_it_down_to_entries_that_do_not_set_it(tmp_path):
    path = write(tmp_path, """\
        jtype: Flow
        with:
          uses_dynamic_batching: {/enc: {timeout: 7}}
        executors:
          - name: plain
            uses: Enc
            py_modules: [enc.py]
          - name: own
            uses: Enc
            py_modules: [enc.py]
            uses_dynamic_batching: {/enc: {preferred_batch_size: 3}}
        """)
    result = compile_flow(path)
    assert result.ok, located(result)
    settings = {name: load_executor(result.plan, name, base_dir=tmp_path)
                .runtime_args.dynamic_batching for name in ("plain", "own")}
    assert settings == {"plain": {"/enc": {"timeout": 7}},
                        "own": {"/enc": {"preferred_batch_size": 3}}}
