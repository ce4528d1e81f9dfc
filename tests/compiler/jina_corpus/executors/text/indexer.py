from jina import DocumentArray, Executor, requests


class TextIndexer(Executor):
    def __init__(self, n_dim: int = 384, metric: str = 'cosine', **kwargs):
        super().__init__(**kwargs)
        self.n_dim = n_dim
        self.metric = metric
        self._docs = DocumentArray()

    @requests(on='/index')
    def index(self, docs: DocumentArray, **kwargs):
        self._docs.extend(docs)

    @requests(on='/search')
    def search(self, docs: DocumentArray, parameters: dict, **kwargs):
        for doc in docs:
            doc.matches = self._docs[: int(parameters.get('limit', 10))]
