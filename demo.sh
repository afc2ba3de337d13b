#!/usr/bin/env bash
# archc's main job on a built-in default: builds archc (release), compiles the paper's
# Robust-ResNet-DW-Small spec (cost and FLOPs-parity verdict), then runs it on the CPU
# runtime with seeded weights on a seeded input batch (deterministic top-5 per image).
# With arguments, runs archc with them instead: ./demo.sh compile specs/resnet50.yaml --report table
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release --product archc >&2
if [ $# -eq 0 ]; then
    .build/release/archc compile specs/robust-resnet-dw-small.yaml
    exec .build/release/archc run specs/robust-resnet-dw-small.yaml --batch 2
fi
exec .build/release/archc "$@"
