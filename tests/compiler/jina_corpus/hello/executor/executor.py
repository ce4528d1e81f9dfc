from jina import DocumentArray, Executor, requests


class MyExecutor(Executor):
    """Says hello to every document."""

    @requests
    def foo(self, docs: DocumentArray, **kwargs):
        for doc in docs:
            doc.text = 'hello, world!'
