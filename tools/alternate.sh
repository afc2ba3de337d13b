#!/usr/bin/env bash
# Before/after timing of archc builds against ONNX Runtime in one command: per round, ORT on
# archc's ONNX export of MODEL, then each archc binary given (`run --bench`), 2 threads; one
# line per round with each median and its ratio to that round's ORT. Keep a copy of the
# baseline binary (cp .build/release/archc /tmp/base) before changing the code, and compare
# ratios round by round: the machine's speed drifts between processes by up to 30%.
# usage: tools/alternate.sh MODEL BATCH ROUNDS ARCHC_BINARY...   (ITERS=N timed runs per cell;
#        default 10 at batch 1, 4 above; EfficientNet-Lite0 runs with .cache weights if fetched)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 4 ]; then sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; fi
model=$1 batch=$2 rounds=$3
shift 3
[ -f "specs/$model.yaml" ] || { echo "alternate.sh: no spec specs/$model.yaml" >&2; exit 2; }
weights=()
if [ -f ".cache/$model.pth" ]; then weights=(--weights ".cache/$model.pth"); fi
iters=${ITERS:-$([ "$batch" = 1 ] && echo 10 || echo 4)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$1" compile "specs/$model.yaml" "${weights[@]}" --emit onnx -o "$work/model.onnx"
median() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['median_ms'])" "$1"; }
for _ in $(seq "$rounds"); do
    ort=$(median "$(tools/ort-bench "$work/model.onnx" --batch "$batch" --threads 2 --iters "$iters" --json)")
    line="$model b$batch ORT $(printf %.1f "$ort") ms"
    for binary in "$@"; do
        ms=$(median "$("$binary" run "specs/$model.yaml" "${weights[@]}" --bench --batch "$batch" --threads 2 --iterations "$iters" --report json)")
        line="$line | $(basename "$binary") $(printf %.1f "$ms") ms $(python3 -c "print(f'{$ms/$ort:.2f}x')")"
    done
    echo "$line"
done
