from jina import DocumentArray, Executor, requests


class SimpleIndexer(Executor):
    def __init__(self, index_file_name: str = 'index', **kwargs):
        super().__init__(**kwargs)
        self.index_file_name = index_file_name
        self._docs = DocumentArray()

    @requests(on='/index')
    def index(self, docs: DocumentArray, **kwargs):
        self._docs.extend(docs)

    @requests(on='/search')
    def search(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.matches = self._docs[:3]
