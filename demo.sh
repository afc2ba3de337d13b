#!/usr/bin/env bash
# archc's main job on a built-in default: builds archc (release) and compiles the paper's
# Robust-ResNet-DW-Small spec, printing its cost and FLOPs-parity verdict.
# With arguments, runs archc with them instead: ./demo.sh compile specs/resnet50.yaml --report table
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release --product archc >&2
if [ $# -eq 0 ]; then
    set -- compile specs/robust-resnet-dw-small.yaml
fi
exec .build/release/archc "$@"
