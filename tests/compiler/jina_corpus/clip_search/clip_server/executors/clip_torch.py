from jina import DocumentArray, Executor, requests


class CLIPEncoder(Executor):
    """Encodes texts and images (a stand-in: records the model name)."""

    def __init__(self, name: str = 'ViT-B-32::openai', device: str = 'cpu',
                 minibatch_size: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.model_name = name
        self.device = device
        self.minibatch_size = minibatch_size

    @requests
    def encode(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.tags['model'] = self.model_name
