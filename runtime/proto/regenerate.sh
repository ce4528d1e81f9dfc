#!/usr/bin/env bash
# Regenerates flowc_pb2*.py from runtime/flowc.proto (needs the `test` extra: grpcio-tools).
set -euo pipefail
cd "$(dirname "$0")/../.."
python -m grpc_tools.protoc -I runtime --python_out=runtime/proto --pyi_out=runtime/proto \
    --grpc_python_out=runtime/proto runtime/flowc.proto
# protoc writes an absolute import; the package lives at flowc.runtime.proto.
sed -i 's/^import flowc_pb2 as flowc__pb2/from . import flowc_pb2 as flowc__pb2/' runtime/proto/flowc_pb2_grpc.py
