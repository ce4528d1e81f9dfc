from jina import Gateway


class PlaygroundGateway(Gateway):
    """Serves a small UI beside the Flow's gRPC endpoint."""

    def __init__(self, title: str = 'Playground', streamlit_port: int = 8501, **kwargs):
        super().__init__(**kwargs)
        self.title = title
        self.streamlit_port = streamlit_port

    async def setup_server(self):
        pass

    async def run_server(self):
        pass

    async def shutdown(self):
        pass
