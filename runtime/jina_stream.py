"""Jina's `stream_doc` on the gateway's gRPC port (`/jina.JinaSingleDocumentRequestRPC/stream_doc`,
runtime/jina_stream.proto), so that Jina 3.34's `Client(...).stream_doc(on=..., inputs=doc)`
works against a flowc Flow. It is the same stream as flowc's own `FlowcStream.StreamDoc`
(streaming.py), converted at the edge:

- in: Jina's header (endpoint, request id, target executor, timeout) and parameters; the one
  `docarray.DocProto` becomes a one-document `DocListProto` (the bytes are wrapped, not decoded);
- out: each answer's documents, one `SingleDocumentRequestProto` each, with the request's header;
  an executor's error is one message whose header carries Jina's ERROR status (Jina's client
  raises it), then the end of the stream.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable

from google.protobuf.message import DecodeError

from .jina_wire import request_from_jina, request_to_jina, status_to_jina
from .proto import flowc_pb2, jina_pb2, jina_stream_pb2, jina_stream_pb2_grpc
from .streaming import serve_stream
from .wire import refuse

__all__ = ["JinaStreamServicer", "call_jina", "doc_bytes", "doclist_bytes", "with_jina_stream"]

_DOCS_FIELD = 0x0A  # DocListProto.docs: field 1, length-delimited


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def doclist_bytes(document: bytes) -> bytes:
    """A `DocListProto` holding one serialised `DocProto`."""
    return bytes([_DOCS_FIELD]) + _varint(len(document)) + document


def doc_bytes(doclist: bytes) -> list[bytes]:
    """The serialised `DocProto`s of a `DocListProto` (ValueError when it is not one)."""
    docs, at = [], 0
    while at < len(doclist):
        if doclist[at] != _DOCS_FIELD:
            raise ValueError("not a DocListProto")
        at += 1
        length, shift = 0, 0
        while True:
            if at >= len(doclist):
                raise ValueError("a truncated DocListProto")
            byte = doclist[at]
            at += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if at + length > len(doclist):
            raise ValueError("a truncated DocListProto")
        docs.append(doclist[at:at + length])
        at += length
    return docs


class JinaStreamServicer:
    """Jina's `JinaSingleDocumentRequestRPC` over a flowc stream dispatch."""

    def __init__(self, stream: Callable[[flowc_pb2.DataRequest], AsyncIterator[Any]]):
        self.stream = stream

    async def stream_doc(self, request: Any, context: Any) -> AsyncIterator[Any]:
        try:
            header = jina_pb2.HeaderProto.FromString(request.header)
        except DecodeError as exc:  # the bytes field held no HeaderProto: the sender's fault
            await refuse(context, "gateway", "jina.JinaSingleDocumentRequestRPC/stream_doc",
                         f"the request's header is not a jina.HeaderProto ({exc})")
        flowc_request = flowc_pb2.DataRequest(docs=doclist_bytes(request.document))
        out = flowc_request.header
        out.request_id = header.request_id
        if header.HasField("exec_endpoint"):
            out.endpoint = header.exec_endpoint
        if header.HasField("target_executor"):
            out.target_executor = header.target_executor
        if header.HasField("timeout"):
            out.timeout_ms = header.timeout
        if request.HasField("parameters"):
            flowc_request.parameters.CopyFrom(request.parameters)
        async for answer in serve_stream(self.stream, flowc_request, context):
            reply_header = jina_pb2.HeaderProto()
            reply_header.CopyFrom(header)
            reply_header.request_id = answer.header.request_id
            if answer.header.status.code != flowc_pb2.Status.SUCCESS:
                reply_header.status.CopyFrom(status_to_jina(answer.header.status))
                yield jina_stream_pb2.SingleDocumentRequestProto(
                    header=reply_header.SerializeToString())
                return
            for document in doc_bytes(answer.docs):
                yield jina_stream_pb2.SingleDocumentRequestProto(
                    header=reply_header.SerializeToString(), document=document)


def with_jina_stream(register: Callable[[Any], list[str]],
                     stream: Callable[[flowc_pb2.DataRequest], AsyncIterator[Any]]
                     ) -> Callable[[Any], list[str]]:
    """`Hooks.services` for a gateway: `register`'s services (Jina's, jina_services.py), then
    Jina's `stream_doc` over `stream`; their full names (served by reflection too)."""
    servicer = JinaStreamServicer(stream)

    def both(server: Any) -> list[str]:
        names = register(server)
        jina_stream_pb2_grpc.add_JinaSingleDocumentRequestRPCServicer_to_server(servicer, server)
        service = jina_stream_pb2.DESCRIPTOR.services_by_name["JinaSingleDocumentRequestRPC"]
        return names + [service.full_name]

    return both


async def call_jina(channel: Any, request: flowc_pb2.DataRequest, timeout: float | None
                    ) -> AsyncIterator[flowc_pb2.DataRequest]:
    """flowc's stream request sent to a Jina executor's `stream_doc` (an `external: true` Jina
    entry), its answers as flowc's: one document each, or an ERROR status. A Jina executor
    answers an error with its request and the ERROR status: the document is then dropped."""
    documents = doc_bytes(request.docs)
    if len(documents) != 1:
        answer = flowc_pb2.DataRequest(header=request.header)
        answer.header.status.code = flowc_pb2.Status.ERROR
        answer.header.status.description = (
            f"a streaming endpoint takes one document; the request carries {len(documents)}")
        answer.header.status.exception.name = "NotStreamed"
        yield answer
        return
    single = jina_stream_pb2.SingleDocumentRequestProto(
        header=request_to_jina(request).header.SerializeToString(), document=documents[0])
    if request.HasField("parameters"):
        single.parameters.CopyFrom(request.parameters)
    stub = jina_stream_pb2_grpc.JinaSingleDocumentRequestRPCStub(channel)
    async for reply in stub.stream_doc(single, timeout=timeout):
        header = jina_pb2.HeaderProto.FromString(reply.header)
        answer = request_from_jina(jina_pb2.DataRequestProto(header=header))
        if answer.header.status.code != flowc_pb2.Status.SUCCESS:
            yield answer
            return
        answer.docs = doclist_bytes(reply.document)
        yield answer
