from jina import DocumentArray, Executor, requests


class ImageCropper(Executor):
    def __init__(self, target_size: int = 224, channel_axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.target_size = target_size
        self.channel_axis = channel_axis

    @requests
    def crop(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.tags['size'] = self.target_size
