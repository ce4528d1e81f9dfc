from jina import DocumentArray, Executor, requests


class Splitter(Executor):
    @requests(on='/index')
    def split(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.chunks.extend(doc.text.split('. ') if doc.text else [])
