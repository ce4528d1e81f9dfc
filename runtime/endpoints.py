"""Endpoint discovery of a router (gateway or head): the union of what its nodes expose."""

from __future__ import annotations

import asyncio
from typing import Any, Sequence

import grpc

from .channels import HopFailure
from .proto import flowc_pb2

__all__ = ["EndpointsUnion", "union_endpoints"]


class EndpointsUnion:
    """Endpoint discovery of a router: the union of what its nodes expose, asked once."""

    def __init__(self, name: str, hops: Sequence[Any]):
        self.name = name
        self.hops = list(hops)
        self._reply: flowc_pb2.EndpointsReply | None = None

    async def get(self) -> flowc_pb2.EndpointsReply:
        if self._reply is None:
            replies = await asyncio.gather(*(h.endpoints() for h in self.hops))
            self._reply = union_endpoints(self.name, replies)
        return self._reply

    async def answer(self, context: Any) -> flowc_pb2.EndpointsReply:
        """The `Endpoints` RPC: the union, or UNAVAILABLE naming a node that did not answer."""
        try:
            return await self.get()
        except HopFailure as failure:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(failure))
            raise  # abort() raises; this only tells type checkers


def union_endpoints(name: str, replies: Sequence[flowc_pb2.EndpointsReply]
                    ) -> flowc_pb2.EndpointsReply:
    """One entry per endpoint, sorted: the input schema of the first node (in graph order) that
    binds it, the output schema of the last, `write` if any node marks it."""
    merged: dict[str, flowc_pb2.EndpointInfo] = {}
    for reply in replies:
        for info in reply.endpoints:
            seen = merged.get(info.endpoint)
            if seen is None:
                merged[info.endpoint] = seen = flowc_pb2.EndpointInfo()
                seen.CopyFrom(info)
            else:
                if info.parameters_schema and not seen.parameters_schema:
                    seen.parameters_schema = info.parameters_schema
                if info.output_schema:
                    seen.output_schema = info.output_schema
                seen.write = seen.write or info.write
    return flowc_pb2.EndpointsReply(executor=name,
                                    endpoints=[merged[k] for k in sorted(merged)])
