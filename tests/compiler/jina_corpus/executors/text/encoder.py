from jina import DocumentArray, Executor, requests


class TextEncoder(Executor):
    def __init__(self, model: str = 'all-MiniLM-L6-v2', batch_size: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.batch_size = batch_size

    def encode(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.tags['model'] = self.model
