from jina import DocumentArray, Executor, requests


class SimpleRanker(Executor):
    @requests(on='/search')
    def rank(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.matches = sorted(doc.matches, key=lambda m: m.id)
