#!/usr/bin/env bash
# Layer by layer, archc next to ONNX Runtime: per round, archc's per-layer profile (`archc run
# --bench --profile --report json`) and ORT's node profile on archc's ONNX export of the same
# model, same batch, 2 threads; each layer's fastest time over the rounds on both sides (the
# machine's speed drifts between processes, a layer's minimum much less), ORT's fused nodes
# summed into the conv they start from. Prints every conv / linear / pool layer, then the
# totals by group (kind and stage), slowest ratio first: where archc is behind, and by how much.
# usage: tools/layers.sh MODEL [BATCH] [ROUNDS]     (default: 1 3; needs onnxruntime numpy onnx)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: tools/layers.sh MODEL [BATCH] [ROUNDS]}
batch=${2:-1}
rounds=${3:-3}
[ -f "specs/$model.yaml" ] || { echo "layers.sh: no spec specs/$model.yaml" >&2; exit 2; }
swift build -c release --product archc >&2
archc=.build/release/archc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$archc" compile "specs/$model.yaml" --emit onnx -o "$work/model.onnx"
iterations=$([ "$batch" = 1 ] && echo 20 || echo 4)
for round in $(seq "$rounds"); do
    echo "round $round of $rounds" >&2
    "$archc" run "specs/$model.yaml" --bench --profile --report json --batch "$batch" --threads 2 \
        --iterations "$iterations" > "$work/archc$round.json"
    python3 - "$work/model.onnx" "$batch" "$iterations" "$work/ort$round.json" "$work/trace$round" <<'PY'
import collections, json, sys
import numpy as np, onnxruntime as ort
path, batch, runs, out, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
options = ort.SessionOptions()
options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
options.enable_profiling, options.profile_file_prefix = True, prefix
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224), dtype=np.float32)
for _ in range(runs + 3):
    session.run(None, {"input": x})
times = collections.defaultdict(list)
for event in json.load(open(session.end_profiling())):
    if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
        times[event["name"][: -len("_kernel_time")]].append(event["dur"] / 1000)
# The 3 warm-up runs are left out: each node's median over the timed ones.
json.dump({name: float(np.median(v[3:] or v)) for name, v in times.items()}, open(out, "w"))
PY
done
python3 - "$work" "$rounds" <<'PY'
import collections, json, sys
import onnx
work, rounds = sys.argv[1], int(sys.argv[2])
# ORT names a node after its output value (plus a suffix for its layout passes): map every
# value to the conv, linear or pool its chain starts from, as archc names its layers.
owner, current = {}, None
for node in onnx.load(f"{work}/model.onnx").graph.node:
    if node.op_type in ("Conv", "Gemm", "MatMul", "MaxPool", "AveragePool"):
        current = node.name
    for output in node.output:
        owner[output] = current
ort_rounds = []
for r in range(1, rounds + 1):
    layers = collections.Counter()
    for name, ms in json.load(open(f"{work}/ort{r}.json")).items():
        value = name.split("_nchwc")[0]
        if owner.get(value):
            layers[owner[value]] += ms
    ort_rounds.append(layers)
archc_rounds = [json.load(open(f"{work}/archc{r}.json"))["profile"]["layers"] for r in range(1, rounds + 1)]
print(f"{'layer':32s} {'kind':15s} {'archc ms':>9s} {'ORT ms':>8s}  ratio")
groups = collections.defaultdict(lambda: [0.0, 0.0])
total = [0.0, 0.0]
for i, layer in enumerate(archc_rounds[0]):
    name = layer["name"]
    if not all(name in o for o in ort_rounds):
        continue
    a = min(rounds_[i]["ms"] for rounds_ in archc_rounds)
    o = min(o[name] for o in ort_rounds)
    print(f"{name:32s} {layer['kind']:15s} {a:9.3f} {o:8.3f}  {a / o:5.2f}")
    group = f"{layer['kind']}, {name.split('.')[0]}"
    groups[group][0] += a
    groups[group][1] += o
    total[0] += a
    total[1] += o
print(f"\n{'group (kind, stage)':48s} {'archc ms':>9s} {'ORT ms':>8s}  ratio  archc - ORT")
for group, (a, o) in sorted(groups.items(), key=lambda kv: -(kv[1][0] / kv[1][1])):
    print(f"{group:48s} {a:9.2f} {o:8.2f}  {a / o:5.2f}  {a - o:+8.2f}")
print(f"{'all matched layers':48s} {total[0]:9.2f} {total[1]:8.2f}  {total[0] / total[1]:5.2f}  {total[0] - total[1]:+8.2f}")
PY
