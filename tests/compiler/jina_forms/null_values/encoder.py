from flowc.runtime import Executor


class TextEncoder(Executor):
    def __init__(self, model="small", **kwargs):
        super().__init__(**kwargs)
        self.model = model
