from jina import DocumentArray, Executor, requests


class Fetcher(Executor):
    @requests
    def fetch(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.tags.setdefault('modality', 'text')


class TextBranch(Executor):
    @requests
    def encode(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.tags['branch'] = 'text'


class ImageBranch(Executor):
    @requests
    def encode(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.tags['branch'] = 'image'


class Merger(Executor):
    @requests
    def merge(self, docs_matrix=None, **kwargs):
        return None
