"""Executors of the `overrides` example."""

from flowc.runtime import Executor, requests


class Greeter(Executor):
    def __init__(self, greeting: str = "Hi", punctuation: str = ".", **kwargs):
        super().__init__(**kwargs)
        self.greeting = greeting
        self.punctuation = punctuation

    @requests
    def greet(self, docs, **kwargs):
        for doc in docs:
            doc.text = f"{self.greeting}, {doc.text}{self.punctuation}"

    def describe(self, docs, **kwargs):
        for doc in docs:
            doc.tags.update({
                "greeting": self.greeting,
                "punctuation": self.punctuation,
                "metas_name": self.metas.name,
                "description": self.metas.description,
                "endpoints": sorted(self.requests),
            })
