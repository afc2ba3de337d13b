#!/usr/bin/env bash
# archc eval's throughput, for the lead to run on a quiet machine (timings on a shared,
# loaded machine mean nothing):
#   1. `archc run --bench` at the same batch: the model alone (images/s);
#   2. `archc eval` end to end on an ImageFolder tree: decoding, resizing and the model;
#   3. the peer users run today, on the same files: a PyTorch DataLoader (2 workers) with
#      PIL decoding and the same preprocessing, and the same model in PyTorch
#      (efficientnet-lite-pytorch). torchvision is not needed (its ImageFolder + transforms
#      are the same PIL calls, written out in tools/eval_bench_pytorch.py).
# Usage: tools/eval-bench.sh IMAGEFOLDER [BATCH] [THREADS]
#   e.g. a tree of the foolbox photos repeated (tools/eval-bench.sh makes one when given
#   `foolbox`): the decode share is what matters, so the files should be real JPEGs.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?usage: tools/eval-bench.sh IMAGEFOLDER|foolbox [BATCH] [THREADS]}
batch=${2:-8}
threads=${3:-$(nproc)}
spec=specs/efficientnet-lite0.yaml
weights=.cache/efficientnet-lite0.pth
./fetch-weights.sh
swift build -c release --product archc >/dev/null
archc=.build/release/archc
if [ "$data" = foolbox ]; then
    ./tools/fetch-eval-photos.sh
    data=$(mktemp -d)
    trap 'rm -rf "$data"' EXIT
    # 20 photos x 25 copies = 500 images under their classes' WordNet IDs.
    python3 - "$data" <<'PY'
import json, pathlib, shutil, sys
root = pathlib.Path(sys.argv[1])
fixture = json.loads(pathlib.Path("Tests/python/data/eval/efficientnet-lite0.foolbox.json").read_text())
text = pathlib.Path("Sources/ArchcImage/ImageNetSynsets.swift").read_text()
wnids = [l.strip().strip('",') for l in text.splitlines() if l.strip().startswith('"n')]
for p in fixture["photos"]:
    folder = root / wnids[p["label"]]
    folder.mkdir(exist_ok=True)
    for k in range(25):
        shutil.copy(pathlib.Path(".cache/foolbox-photos") / p["file"], folder / f"{k:02d}-{p['file']}")
PY
fi
count=$(find "$data" -type f | wc -l)
echo "== $count images in $data, batch $batch, $threads threads"
echo "-- archc run --bench (model only)"
"$archc" run "$spec" --weights "$weights" --bench --batch "$batch" --threads "$threads" --iterations 20
echo "-- archc eval (decode + preprocess + model, end to end)"
start=$(date +%s.%N)
"$archc" eval "$spec" --weights "$weights" --data "$data" --batch "$batch" --threads "$threads"
end=$(date +%s.%N)
python3 -c "print(f'archc eval: {$count / ($end - $start):.1f} images/s end to end (process start to exit)')"
echo "-- PyTorch DataLoader (2 workers) + the same model"
python3 tools/eval_bench_pytorch.py "$data" --batch "$batch" --threads "$threads"
