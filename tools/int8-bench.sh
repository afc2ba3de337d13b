#!/usr/bin/env bash
# int8 against fp32, archc against ONNX Runtime, on the same tensors and machine:
#  - accuracy: archc int8 vs archc fp32, and ORT int8 (quantize_static, QDQ) vs ORT fp32,
#    on photos prepared by archc (top-1 agreement, relative logit error, top-1 accuracy on
#    the labelled foolbox photos);
#  - speed: one command alternating ORT fp32, ORT int8, archc fp32, archc int8, ROUNDS
#    rounds, 2 threads, batch 1 and 8; each cell the mean of the per-round medians.
# Both int8 paths calibrate on the same 10 photos (min-max); evaluation uses all of them
# plus the bundled ones. EfficientNet-Lite0 with its trained weights (./fetch-weights.sh),
# the robust models with seeded weights.
# usage: tools/int8-bench.sh [ROUNDS] [MODEL...]
#   (needs .cache/efficientnet-lite0.pth, .cache/foolbox-photos (tools/fetch-eval-photos.sh),
#    pip install onnx onnxruntime numpy)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift || true
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(efficientnet-lite0 robust-resnet-dw-small robust-resnet-inverted-dw-small)
photos=.cache/foolbox-photos
swift build -c release --product archc >&2
archc=.build/release/archc
compare=tools/int8_compare.py
# INT8_WORK=DIR keeps the calibrations, exports and quantized models there and reuses them.
if [ -n "${INT8_WORK:-}" ]; then
    work=$INT8_WORK
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
once() { [ -s "$1" ] || "${@:2}"; }

mkdir -p "$work/calib"
LC_ALL=C ls "$photos"/*.jpg | head -10 | xargs cp -t "$work/calib"
(LC_ALL=C ls "$photos"/*.jpg; LC_ALL=C ls specs/images/*.png) > "$work/files.txt"

median() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['median_ms'])" "$1"; }
mean() { python3 -c "import sys; v=[float(x) for x in sys.argv[1:]]; print(f'{sum(v)/len(v):.1f}')" "$@"; }
ratio() { python3 -c "print(f'{$1/$2:.2f}x')"; }

accuracy=()
speed=()
for model in "${models[@]}"; do
    spec=specs/$model.yaml
    weights=()
    [ "$model" = efficientnet-lite0 ] && weights=(--weights .cache/efficientnet-lite0.pth)
    calib=$work/$model.calib.json
    once "$calib" "$archc" calibrate "$spec" "${weights[@]}" --images "$work/calib" -o "$calib" --save-inputs "$work/$model.calib.npy" >&2
    once "$work/$model.eval.npy" "$archc" calibrate "$spec" "${weights[@]}" --images "$photos" --images specs/images -o "$work/unused.json" \
        --save-inputs "$work/$model.eval.npy" >&2
    once "$work/$model.onnx" "$archc" compile "$spec" "${weights[@]}" --emit onnx -o "$work/$model.onnx"
    once "$work/$model.int8.onnx" python3 "$compare" quantize "$work/$model.onnx" "$work/$model.calib.npy" "$work/$model.int8.onnx" 2>/dev/null

    int8=(--precision int8 --calibration "$calib")
    x=$work/$model.eval.npy
    "$archc" run "$spec" "${weights[@]}" --input "$x" --output "$work/a32.npy" > /dev/null
    "$archc" run "$spec" "${weights[@]}" "${int8[@]}" --input "$x" --output "$work/a8.npy" > /dev/null
    python3 "$compare" run "$work/$model.onnx" "$x" "$work/o32.npy"
    python3 "$compare" run "$work/$model.int8.onnx" "$x" "$work/o8.npy"
    accuracy+=("$model archc int8 vs fp32: $(python3 "$compare" compare "$work/a32.npy" "$work/a8.npy" --files "$work/files.txt")")
    accuracy+=("$model ORT int8 vs fp32:   $(python3 "$compare" compare "$work/o32.npy" "$work/o8.npy" --files "$work/files.txt")")
    accuracy+=("$model archc fp32 vs ORT fp32: $(python3 "$compare" compare "$work/o32.npy" "$work/a32.npy")")

    for batch in 1 8; do
        iters=$([ "$batch" = 1 ] && echo 10 || echo 4)
        o32=(); o8=(); a32=(); a8=()
        for _ in $(seq "$rounds"); do
            o32+=("$(median "$(tools/ort-bench "$work/$model.onnx" --batch "$batch" --threads 2 --iters "$iters" --json)")")
            o8+=("$(median "$(tools/ort-bench "$work/$model.int8.onnx" --batch "$batch" --threads 2 --iters "$iters" --json)")")
            a32+=("$(median "$("$archc" run "$spec" "${weights[@]}" --bench --batch "$batch" --threads 2 --iterations "$iters" --report json)")")
            a8+=("$(median "$("$archc" run "$spec" "${weights[@]}" "${int8[@]}" --bench --batch "$batch" --threads 2 --iterations "$iters" --report json)")")
        done
        O32=$(mean "${o32[@]}"); O8=$(mean "${o8[@]}"); A32=$(mean "${a32[@]}"); A8=$(mean "${a8[@]}")
        speed+=("| $model | $batch | $O32 | $O8 | $A32 | $A8 | $(ratio "$A8" "$A32") | $(ratio "$A8" "$O8") | $(ratio "$A8" "$O32") | $(ratio "$O8" "$O32") |")
    done
done

echo "accuracy (images: $(wc -l < "$work/files.txt"); calibration: 10 of them)"
printf '%s\n' "${accuracy[@]}"
echo
echo "| model | batch | ORT fp32 (ms) | ORT int8 (ms) | archc fp32 (ms) | archc int8 (ms) | archc int8 / fp32 | archc int8 / ORT int8 | archc int8 / ORT fp32 | ORT int8 / fp32 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${speed[@]}"
