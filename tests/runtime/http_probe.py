"""Executors for the HTTP gateway tests (not a test module): typed documents, a parameters
model, an endpoint that raises, and a default endpoint."""

from __future__ import annotations

from typing import Optional

from docarray import BaseDoc, DocList
from pydantic import BaseModel

from flowc.runtime import Executor, requests


class Query(BaseDoc):
    text: str = ""


class Answer(BaseDoc):
    text: str = ""
    length: int = 0
    parts: Optional[DocList[Query]] = None


class Knobs(BaseModel):
    factor: int = 1


class Shout(Executor):
    @requests(on="/shout")
    def shout(self, docs: DocList[Query], parameters: Knobs, **kwargs) -> DocList[Answer]:
        return DocList[Answer]([
            Answer(id=d.id, text=d.text.upper() * parameters.factor, length=len(d.text),
                   parts=DocList[Query]([Query(id=f"{d.id}-0", text=d.text[:1])]))
            for d in docs])

    @requests(on="/fail")
    def fail(self, docs: DocList[Query], **kwargs) -> DocList[Query]:
        raise ValueError("boom")

    @requests
    def default(self, docs, **kwargs):
        return None

    @requests(on="/stats")
    def stats(self, docs: DocList[Query], **kwargs) -> dict:
        return {"count": len(docs)}
