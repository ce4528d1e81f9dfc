#!/usr/bin/env bash
# Regenerates the Python modules in runtime/proto/ from runtime/flowc.proto (flowc's own protocol)
# and runtime/jina.proto (Jina 3.34's, for Jina's clients, gateways and executors). Needs the
# `test` extra: grpcio-tools, pinned, so the generated code does not change with its version.
set -euo pipefail
cd "$(dirname "$0")/../.."
for proto in flowc jina jina_stream; do
    python -m grpc_tools.protoc -I runtime --python_out=runtime/proto --pyi_out=runtime/proto \
        --grpc_python_out=runtime/proto "runtime/$proto.proto"
    # protoc writes an absolute import; the package lives at flowc.runtime.proto.
    sed -i "s/^import ${proto}_pb2 as /from . import ${proto}_pb2 as /" \
        "runtime/proto/${proto}_pb2_grpc.py"
done
