"""A Flow with streaming endpoints for the streaming, WebSocket and Jina tests (not a test module).

`streaming_flow(tmp_path, protocols)` writes the executor below and a one-entry Flow serving the
given protocols on race-free loopback ports, starts it (every process; all stopped on exit, also
when start-up fails) and yields `(flow, ports)` with `ports = {protocol: port}`.
"""

from __future__ import annotations

import contextlib
import textwrap
from pathlib import Path
from typing import Iterator

from flowc.compiler.api import Flow
from tests.ports import free_port

EXECUTOR = textwrap.dedent('''
    import asyncio
    from typing import AsyncIterator, Iterator

    from docarray import BaseDoc, DocList
    from flowc.runtime import Executor, requests


    class Prompt(BaseDoc):
        text: str = ""


    class Token(BaseDoc):
        text: str = ""
        index: int = 0


    class Tokens(Executor):
        @requests(on="/stream")
        async def stream(self, doc: Prompt, parameters: dict, **kwargs) -> AsyncIterator[Token]:
            if doc.text == "boom":
                yield Token(text="first", index=0)
                raise ValueError("boom after one token")
            for i, word in enumerate(doc.text.split()):
                await asyncio.sleep(0)
                yield Token(text=word.upper() + str(parameters.get("suffix", "")), index=i)

        @requests(on="/count")
        def count(self, doc: Prompt, **kwargs) -> Iterator[Token]:
            for i in range(int(doc.text)):
                yield Token(text=str(i), index=i)

        @requests(on="/plain")
        def plain(self, docs: DocList[Prompt], **kwargs) -> DocList[Prompt]:
            for doc in docs:
                doc.text = doc.text + "!"
            return docs

        @requests(on="/fail")
        def fail(self, docs: DocList[Prompt], **kwargs):
            raise ValueError("refused /fail")
''')


def write_flow(folder: Path, protocols: list[str], entries: int = 1,
               entry_keys: str = "") -> dict[str, int]:
    """flow.yml + tokens.py in `folder`; the port of each protocol. `entry_keys`: more YAML
    lines of the streaming entry (e.g. `    placement: gateway\n`)."""
    ports = {protocol: free_port() for protocol in protocols}
    (folder / "tokens.py").write_text(EXECUTOR)
    extra = "".join(f"  - name: pass{i}\n" for i in range(1, entries))
    (folder / "flow.yml").write_text(
        "jtype: Flow\nwith:\n"
        f"  protocol: [{', '.join(protocols)}]\n"
        f"  port: [{', '.join(str(ports[p]) for p in protocols)}]\n"
        "executors:\n  - name: tok\n    uses: Tokens\n    py_modules: [tokens.py]\n"
        + entry_keys + extra)
    return ports


@contextlib.contextmanager
def streaming_flow(folder: Path, protocols: list[str], entries: int = 1, entry_keys: str = ""
                   ) -> Iterator[tuple[Flow, dict[str, int]]]:
    ports = write_flow(folder, protocols, entries, entry_keys)
    flow = Flow.load(folder / "flow.yml")
    try:
        flow.start()
        yield flow, ports
    finally:
        flow.stop()


def token_types() -> tuple[type, type]:
    """The executor's Prompt and Token classes, defined again on the client's side (documents
    travel by field name)."""
    from docarray import BaseDoc

    class Prompt(BaseDoc):
        text: str = ""

    class Token(BaseDoc):
        text: str = ""
        index: int = 0

    return Prompt, Token
