"""Executors of the `chain` example: plain Python classes the flowc runtime loads."""

from docarray import DocList
from docarray.documents import TextDoc

from flowc.runtime import Executor, requests


class Upper(Executor):
    """Upper-cases each document's text and appends a suffix."""

    def __init__(self, suffix: str = "", **kwargs):
        super().__init__(**kwargs)
        self.suffix = suffix

    @requests
    def upper(self, docs: DocList[TextDoc], **kwargs) -> DocList[TextDoc]:
        for doc in docs:
            doc.text = (doc.text or "").upper() + self.suffix
        return docs


class Tagger(Executor):
    """Appends a tag in brackets to each document's text."""

    def __init__(self, tag: str = "demo", **kwargs):
        super().__init__(**kwargs)
        self.tag = tag

    @requests
    def tag_docs(self, docs: DocList[TextDoc], **kwargs) -> DocList[TextDoc]:
        for doc in docs:
            doc.text = f"{doc.text} [{self.tag}]"
        return docs
