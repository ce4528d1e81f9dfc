from flowc.runtime import Executor


class Sentencizer(Executor):
    def __init__(self, punct_chars=None, **kwargs):
        super().__init__(**kwargs)
        self.punct_chars = punct_chars or ["."]
