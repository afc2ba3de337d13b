#!/usr/bin/env bash
# Regenerates onnx.pb.swift from onnx.proto (taken from the `onnx` 1.23.2 PyPI package).
# Needs protoc (apt: protobuf-compiler) and protoc-gen-swift built from swift-protobuf 1.39.0:
#   git clone <swift-protobuf> && cd swift-protobuf && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift
# usage: Sources/ArchcONNX/Proto/regenerate.sh /path/to/protoc-gen-swift
set -euo pipefail
cd "$(dirname "$0")"
protoc --plugin="${1:?path to protoc-gen-swift}" --swift_out=. --swift_opt=Visibility=Public onnx.proto
