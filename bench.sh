#!/usr/bin/env bash
# The runtime benchmark: archc against ONNX Runtime on the same machine, in the same
# command, on exactly the same graph and weights (archc's own ONNX export), 2 threads,
# batch 1 and 8. ORT and archc alternate, so both see the same machine load (which one goes
# first alternates too); each time is the median over rounds of each run's median, and each
# ratio (archc / ORT) the median of the rounds' own ratios, with their range: the machine's
# speed drifts between processes by up to 30%, and a ratio taken within a round shares that
# round's state. One round's ratio scatters by about +-0.1, so a cell needs several rounds
# (the default 5) before its median settles within a few hundredths. Prints a Markdown table, and
# the generated model (generated/) against the runtime, and each one's peak resident memory
# (one batch-1 process each) with archc's against its floor (packed weights + activation
# arena + scratch + the process before the model). With torch installed, a second table
# holds ORT on PyTorch's own export of the same architecture (tools/torch-onnx-export:
# unfused, ORT fuses it itself), timed in the same rounds. EfficientNet-Lite0 runs with its
# trained weights when ./fetch-weights.sh has fetched them (seeded otherwise).
# usage: ./bench.sh [ROUNDS] [MODEL...]   (default: 5 rounds, the seven models below)
#        (needs: pip install onnxruntime numpy; optional: torch)
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-5}
ort_bench=${ORT_BENCH:-tools/ort-bench}
models=(resnet50 robust-resnet-dw-small robust-resnet-inverted-dw-small robust-resnet-up-inverted-dw-small robust-resnet-down-inverted-dw-small deit-small efficientnet-lite0)
if [ $# -gt 1 ]; then models=("${@:2}"); fi
for model in "${models[@]}"; do
    if [ ! -f "specs/$model.yaml" ]; then echo "bench.sh: no spec specs/$model.yaml" >&2; exit 2; fi
done
swift build -c release --product archc >&2
swift build -c release --product archc-generated >&2
archc=.build/release/archc
generated_bin=.build/release/archc-generated
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Each report is parsed after its run has ended: a parser piped in would start its Python
# while the run is timed and take a core from it.
median() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['median_ms'])" "$1"; }
median_ort() { median "$("$ort_bench" "$1" --batch "$2" --threads 2 --iters "$3" --json)"; }
median_archc() { median "$("$archc" run "specs/$1.yaml" "${weights[@]}" --bench --batch "$2" --threads 2 --iterations "$3" --report json)"; }
median_generated() { median "$("$generated_bin" "specs/$1.yaml" "${weights[@]}" --bench --batch "$2" --threads 2 --iterations "$3" --report json)"; }
mib() { python3 -c "import json,sys; print(f\"{json.loads(sys.argv[1])[sys.argv[2]]/2**20:.0f}\")" "$1" "$2"; }
median_of() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.1f}')" "$@"; }
# ratio "a1 a2 ..." "o1 o2 ...": the median of the per-round ratios a_i / o_i, and their range.
ratio() {
    python3 -c "
import statistics, sys
r = [float(a) / float(o) for a, o in zip(sys.argv[1].split(), sys.argv[2].split())]
print(f'{statistics.median(r):.2f}x ({min(r):.2f}-{max(r):.2f})' if len(r) > 1 else f'{r[0]:.2f}x')" "$1" "$2"
}

# The machine and the kernel sets: ORT picks its kernels by the CPU, and so does archc (AVX-512 where
# the CPU has it, unless ARCHC_ISA=avx2).
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs || true)
kernels=$("$archc" run specs/tiny/tiny-resnet.yaml --bench --iterations 1 --report json | python3 -c "import json,sys; print(json.load(sys.stdin)['kernels'])")
ort_version=$(python3 -c "import onnxruntime; print(onnxruntime.__version__)")
echo "${cpu:-unknown CPU}, $(nproc) cores; archc kernels: $kernels; ONNX Runtime $ort_version"
echo
echo "| model | ORT b1 (ms) | archc b1 (ms) | ratio b1 | ORT b8 (ms) | archc b8 (ms) | ratio b8 | generated b1 (ms) | generated / runtime | ORT peak RSS (MiB) | archc peak RSS (MiB) | archc floor (MiB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
torch_rows=""
for model in "${models[@]}"; do
    weights=()
    if [ -f ".cache/$model.pth" ]; then weights=(--weights ".cache/$model.pth"); fi
    "$archc" compile "specs/$model.yaml" "${weights[@]}" --emit onnx -o "$work/$model.onnx"
    # PyTorch's export is made per batch (a fixed shape, as torch.onnx.export makes by default).
    torch_onnx=""
    if tools/torch-onnx-export "specs/$model.yaml" "$work/$model.torch1.onnx" --archc "$archc" 2>"$work/torch.err" &&
        tools/torch-onnx-export "specs/$model.yaml" "$work/$model.torch8.onnx" --batch 8 --archc "$archc" 2>"$work/torch.err"; then
        torch_onnx="$work/$model.torch"
        torch_rows="$torch_rows| $model"
    else
        echo "bench.sh: no PyTorch export of $model: $(tail -n 1 "$work/torch.err")" >&2
    fi
    row="| $model"
    for batch in 1 8; do
        iters=$([ "$batch" = 1 ] && echo 10 || echo 4)
        ort=(); ours=(); torch=()
        for round in $(seq "$rounds"); do
            if [ $((round % 2)) = 1 ]; then
                ort+=("$(median_ort "$work/$model.onnx" "$batch" "$iters")")
                ours+=("$(median_archc "$model" "$batch" "$iters")")
            else
                ours+=("$(median_archc "$model" "$batch" "$iters")")
                ort+=("$(median_ort "$work/$model.onnx" "$batch" "$iters")")
            fi
            if [ -n "$torch_onnx" ]; then torch+=("$(median_ort "$torch_onnx$batch.onnx" "$batch" "$iters")"); fi
        done
        row="$row | $(median_of "${ort[@]}") | $(median_of "${ours[@]}") | $(ratio "${ours[*]}" "${ort[*]}")"
        if [ -n "$torch_onnx" ]; then
            torch_rows="$torch_rows | $(median_of "${torch[@]}") | $(median_of "${ours[@]}") | $(ratio "${ours[*]}" "${torch[*]}")"
        fi
    done
    if [ -n "$torch_onnx" ]; then torch_rows="$torch_rows |"$'\n'; fi
    # The generated model (generated/, run by archc-generated) against the runtime, batch 1.
    runtime=(); generated=()
    for _ in $(seq "$rounds"); do
        runtime+=("$(median_archc "$model" 1 10)")
        generated+=("$(median_generated "$model" 1 10)")
    done
    row="$row | $(median_of "${generated[@]}") | $(ratio "${generated[*]}" "${runtime[*]}")"
    ort_json=$("$ort_bench" "$work/$model.onnx" --batch 1 --threads 2 --iters 2 --json)
    archc_json=$("$archc" run "specs/$model.yaml" "${weights[@]}" --bench --batch 1 --threads 2 --iterations 2 --report json)
    row="$row | $(mib "$ort_json" peak_rss_bytes) | $(mib "$archc_json" peak_rss_bytes) | $(mib "$archc_json" floor_bytes)"
    echo "$row |"
    rm -f "$work/$model.onnx" "$work/$model".torch?.onnx
done
echo
if [ -n "$torch_rows" ]; then
    echo "ORT on PyTorch's own export (torch.onnx.export of the spec's PyTorch module, unfused; archc's times from the same rounds):"
    echo
    echo "| model | ORT torch export b1 (ms) | archc b1 (ms) | ratio b1 | ORT torch export b8 (ms) | archc b8 (ms) | ratio b8 |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    printf '%s' "$torch_rows"
else
    echo "No table against PyTorch's own export: $(tail -n 1 "$work/torch.err")"
fi
