from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExceptionInfo(_message.Message):
    __slots__ = ("name", "args", "stacks", "executor")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    STACKS_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    name: str
    args: _containers.RepeatedScalarFieldContainer[str]
    stacks: _containers.RepeatedScalarFieldContainer[str]
    executor: str
    def __init__(self, name: _Optional[str] = ..., args: _Optional[_Iterable[str]] = ..., stacks: _Optional[_Iterable[str]] = ..., executor: _Optional[str] = ...) -> None: ...

class Status(_message.Message):
    __slots__ = ("code", "description", "exception")
    class Code(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SUCCESS: _ClassVar[Status.Code]
        ERROR: _ClassVar[Status.Code]
    SUCCESS: Status.Code
    ERROR: Status.Code
    CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_FIELD_NUMBER: _ClassVar[int]
    code: Status.Code
    description: str
    exception: ExceptionInfo
    def __init__(self, code: _Optional[_Union[Status.Code, str]] = ..., description: _Optional[str] = ..., exception: _Optional[_Union[ExceptionInfo, _Mapping]] = ...) -> None: ...

class Header(_message.Message):
    __slots__ = ("request_id", "endpoint", "target_executor", "timeout_ms", "status", "trace_context")
    class TraceContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    TARGET_EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    endpoint: str
    target_executor: str
    timeout_ms: int
    status: Status
    trace_context: _containers.ScalarMap[str, str]
    def __init__(self, request_id: _Optional[str] = ..., endpoint: _Optional[str] = ..., target_executor: _Optional[str] = ..., timeout_ms: _Optional[int] = ..., status: _Optional[_Union[Status, _Mapping]] = ..., trace_context: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RouteEntry(_message.Message):
    __slots__ = ("executor", "start_ns", "end_ns", "status")
    EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    START_NS_FIELD_NUMBER: _ClassVar[int]
    END_NS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    executor: str
    start_ns: int
    end_ns: int
    status: Status
    def __init__(self, executor: _Optional[str] = ..., start_ns: _Optional[int] = ..., end_ns: _Optional[int] = ..., status: _Optional[_Union[Status, _Mapping]] = ...) -> None: ...

class DataRequest(_message.Message):
    __slots__ = ("header", "parameters", "routes", "docs", "docs_matrix", "hop_id", "joined")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    DOCS_FIELD_NUMBER: _ClassVar[int]
    DOCS_MATRIX_FIELD_NUMBER: _ClassVar[int]
    HOP_ID_FIELD_NUMBER: _ClassVar[int]
    JOINED_FIELD_NUMBER: _ClassVar[int]
    header: Header
    parameters: _struct_pb2.Struct
    routes: _containers.RepeatedCompositeFieldContainer[RouteEntry]
    docs: bytes
    docs_matrix: _containers.RepeatedScalarFieldContainer[bytes]
    hop_id: int
    joined: _containers.RepeatedCompositeFieldContainer[DataRequest]
    def __init__(self, header: _Optional[_Union[Header, _Mapping]] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., routes: _Optional[_Iterable[_Union[RouteEntry, _Mapping]]] = ..., docs: _Optional[bytes] = ..., docs_matrix: _Optional[_Iterable[bytes]] = ..., hop_id: _Optional[int] = ..., joined: _Optional[_Iterable[_Union[DataRequest, _Mapping]]] = ...) -> None: ...

class EndpointsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EndpointInfo(_message.Message):
    __slots__ = ("endpoint", "input_schema", "output_schema", "write", "parameters_schema", "streaming")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    INPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    WRITE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    STREAMING_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    input_schema: str
    output_schema: str
    write: bool
    parameters_schema: str
    streaming: bool
    def __init__(self, endpoint: _Optional[str] = ..., input_schema: _Optional[str] = ..., output_schema: _Optional[str] = ..., write: _Optional[bool] = ..., parameters_schema: _Optional[str] = ..., streaming: _Optional[bool] = ...) -> None: ...

class EndpointsReply(_message.Message):
    __slots__ = ("executor", "endpoints")
    EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    executor: str
    endpoints: _containers.RepeatedCompositeFieldContainer[EndpointInfo]
    def __init__(self, executor: _Optional[str] = ..., endpoints: _Optional[_Iterable[_Union[EndpointInfo, _Mapping]]] = ...) -> None: ...
