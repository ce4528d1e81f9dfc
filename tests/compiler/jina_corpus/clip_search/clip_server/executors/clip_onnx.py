from jina import DocumentArray, Executor, requests


class CLIPEncoder(Executor):
    """The ONNX runtime flavour (a stand-in)."""

    def __init__(self, name: str = 'ViT-B-32::openai', **kwargs):
        super().__init__(**kwargs)
        self.model_name = name

    @requests
    def encode(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.tags['model'] = self.model_name
