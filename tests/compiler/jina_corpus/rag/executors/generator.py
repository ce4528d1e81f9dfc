from jina import DocumentArray, Executor, requests


class Generator(Executor):
    def __init__(self, api_key: str = '', temperature: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.api_key = api_key
        self.temperature = temperature

    @requests(on='/search')
    def answer(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.tags['answer'] = ' '.join(m.text for m in doc.matches[:3])
