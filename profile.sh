#!/usr/bin/env bash
# Where the time goes, archc next to ONNX Runtime, per layer kind: archc's own profile
# (`archc run --bench --profile`) and ORT's node profile on archc's ONNX export of the same
# model, same batch, 2 threads, in one command.
# usage: ./profile.sh [MODEL] [BATCH]     (default: robust-resnet-dw-small 1; needs onnxruntime numpy)
set -euo pipefail
cd "$(dirname "$0")"
model=${1:-robust-resnet-dw-small}
batch=${2:-1}
swift build -c release --product archc >&2
archc=.build/release/archc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$archc" compile "specs/$model.yaml" --emit onnx -o "$work/model.onnx"
echo "== archc"
"$archc" run "specs/$model.yaml" --bench --profile --batch "$batch" --threads 2 --iterations 20
echo "== ONNX Runtime (node profile; Conv kinds by kernel size, 'dw' = depthwise)"
python3 - "$work/model.onnx" "$batch" "$work" <<'PY'
import collections, json, os, sys, time
import numpy as np, onnxruntime as ort
path, batch, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
options = ort.SessionOptions()
options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
options.enable_profiling, options.profile_file_prefix = True, os.path.join(work, "ort")
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224), dtype=np.float32)
runs = 20
for _ in range(3):
    session.run(None, {"input": x})
start = time.perf_counter()
for _ in range(runs):
    session.run(None, {"input": x})
print(f"  mean {(time.perf_counter() - start) * 1000 / runs:.2f} ms (profiling on)")
kinds, counts = collections.defaultdict(float), collections.Counter()
for event in json.load(open(session.end_profiling())):
    if event.get("cat") != "Node" or not event["name"].endswith("_kernel_time"):
        continue
    op, shapes = event["args"]["op_name"], event["args"].get("input_type_shape", [])
    key = op
    if op in ("Conv", "FusedConv") and len(shapes) > 1:
        w = list(shapes[1].values())[0]
        key = f"{op} {w[2]}x{w[3]} {'dw' if w[1] == 1 else 'dense'}"
    kinds[key] += event["dur"] / 1000 / (runs + 3)
    counts[key] += 1
total = sum(kinds.values())
print("  kind                    ms   share  nodes")
for key, ms in sorted(kinds.items(), key=lambda kv: -kv[1]):
    print(f"  {key:20s} {ms:7.2f}  {100 * ms / total:5.1f}%  {counts[key] // (runs + 3):5d}")
PY
