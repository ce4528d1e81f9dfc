from jina import DocumentArray, Executor, requests


class TransformerTorchEncoder(Executor):
    def __init__(self, pretrained_model_name_or_path: str = 'distilbert-base-cased',
                 pooling_strategy: str = 'mean', **kwargs):
        super().__init__(**kwargs)
        self.model = pretrained_model_name_or_path
        self.pooling = pooling_strategy

    @requests
    def encode(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.tags['encoder'] = self.model
