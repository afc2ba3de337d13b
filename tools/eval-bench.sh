#!/usr/bin/env bash
# archc eval's throughput next to the model alone and next to the peer users run today, in
# one command, on the same files, the three alternating for several rounds (a loaded or
# noisy machine then slows them alike, and the ratios stay meaningful):
#   run      `archc run SPEC --bench` at the same batch and threads: the model alone;
#   eval     `archc eval SPEC --data TREE --profile`: decoding, resizing and the model,
#            streamed (images/s of its loop, as --profile prints it);
#   pytorch  tools/eval_bench_pytorch.py: an ImageFolder read by a DataLoader with 2 worker
#            processes, PIL decoding, torchvision's transform written out (torchvision is not
#            installable beside this torch), and the model `archc compile --emit pytorch`
#            writes, with the same state dict.
# Then archc eval's peak RSS on a quarter of the images and on all of them (bounded by the
# batch, it should not grow with the image count), and one --profile's breakdown.
#
# Usage: tools/eval-bench.sh [--spec SPEC] [--weights FILE.pth] [--images N] [--rounds R]
#                            [--batch B] [--threads T] [--data IMAGEFOLDER]
#   Defaults: specs/resnet50.yaml with seeded weights (PyTorch's initialisation, saved once as a
#   state dict both sides load), 200 images, 3 rounds, batch 8, every CPU. Without --data, a
#   tree of foolbox's 20 ImageNet photos (tools/fetch-eval-photos.sh) cropped to 4:3 and saved
#   as 500x375 JPEGs of quality 90 (ImageNet's typical size), copied to N files under their
#   classes' WordNet IDs.
set -euo pipefail
cd "$(dirname "$0")/.."
spec=specs/resnet50.yaml weights="" images=200 rounds=3 batch=8 threads=$(nproc) data=""
while [ $# -gt 0 ]; do
    case "$1" in
        --spec) spec=$2 ;;
        --weights) weights=$2 ;;
        --images) images=$2 ;;
        --rounds) rounds=$2 ;;
        --batch) batch=$2 ;;
        --threads) threads=$2 ;;
        --data) data=$2 ;;
        *) echo "usage: tools/eval-bench.sh [--spec SPEC] [--weights W] [--images N] [--rounds R] [--batch B] [--threads T] [--data DIR]" >&2; exit 64 ;;
    esac
    shift 2
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# ARCHC=path: a binary already built (the release build otherwise).
archc=${ARCHC:-.build/release/archc}
[ -n "${ARCHC:-}" ] || swift build -c release --product archc >/dev/null

# The model as PyTorch code, and the one state dict both sides load.
"$archc" compile "$spec" --emit pytorch -o "$work/model.py"
if [ -z "$weights" ]; then
    weights=$work/seeded.pth
    python3 - "$work/model.py" "$weights" <<'PY'
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location("m", sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
torch.manual_seed(0)
torch.save(m.build().eval().state_dict(), sys.argv[2])
PY
fi

# The spec's preprocessing, for the PyTorch side (archc reads it from the spec itself).
read -r -a preprocess <<<"$(python3 - "$spec" <<'PY'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
size = spec["input"]["size"]
size = size[0] if isinstance(size, list) else size
p = spec.get("preprocess") or {}
mean, std = p.get("mean", [0.485, 0.456, 0.406]), p.get("std", [0.229, 0.224, 0.225])
print(p.get("resize", size * 256 // 224), p.get("crop", size), p.get("interpolation", "bilinear"), *mean, *std)
PY
)"
peer_flags=(--resize "${preprocess[0]}" --crop "${preprocess[1]}" --interpolation "${preprocess[2]}"
    --mean "${preprocess[3]}" "${preprocess[4]}" "${preprocess[5]}" --std "${preprocess[6]}" "${preprocess[7]}" "${preprocess[8]}")

if [ -z "$data" ]; then
    ./tools/fetch-eval-photos.sh
    data=$work/tree
    python3 - "$data" "$images" <<'PY'
import pathlib, sys
from PIL import Image
root, count = pathlib.Path(sys.argv[1]), int(sys.argv[2])
text = pathlib.Path("Sources/ArchcImage/ImageNetSynsets.swift").read_text()
wnids = [l.strip().strip('",') for l in text.splitlines() if l.strip().startswith('"n')]
photos = sorted(pathlib.Path(".cache/foolbox-photos").glob("imagenet_*.jpg"))
encoded = []
for photo in photos:
    image = Image.open(photo).convert("RGB")
    w, h = image.size
    crop = image.crop((0, (h - w * 3 // 4) // 2, w, (h - w * 3 // 4) // 2 + w * 3 // 4)).resize((500, 375), Image.BICUBIC)
    label = int(photo.stem.split("_")[2])
    target = root / wnids[label] / f"{photo.stem}.JPEG"
    target.parent.mkdir(parents=True, exist_ok=True)
    crop.save(target, quality=90)
    encoded.append(target)
for k in range(count - len(encoded)):
    source = encoded[k % len(encoded)]
    (source.parent / f"{source.stem}-{k:05d}.JPEG").write_bytes(source.read_bytes())
PY
fi
count=$(find "$data" -type f | wc -l)
echo "== $spec, $count images in $data, batch $batch, $threads threads, $rounds rounds; load average $(cut -d' ' -f1-3 /proc/loadavg)"

for round in $(seq 1 "$rounds"); do
    run=$("$archc" run "$spec" --weights "$weights" --bench --batch "$batch" --threads "$threads" --iterations 10 --report json |
        python3 -c 'import json, sys; print("%.2f" % json.load(sys.stdin)["images_per_s"])')
    eval=$("$archc" eval "$spec" --weights "$weights" --data "$data" --batch "$batch" --threads "$threads" --profile 2>&1 >/dev/null |
        sed -n 's/.* \([0-9.]*\) images\/s$/\1/p' | head -1)
    peer=$(python3 tools/eval_bench_pytorch.py "$data" --model "$work/model.py" --weights "$weights" --batch "$batch" --threads "$threads" "${peer_flags[@]}" |
        sed -n 's/.* \([0-9.]*\) images\/s$/\1/p')
    echo "round $round: run --bench $run  eval $eval  pytorch $peer  images/s   (eval/run $(python3 -c "print(f'{$eval / $run:.3f}')"), eval/pytorch $(python3 -c "print(f'{$eval / $peer:.2f}')"))"
    echo "$run $eval $peer" >>"$work/rounds"
done
python3 - "$work/rounds" <<'PY'
import statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1])]
run, ev, peer = (statistics.median(c) for c in zip(*rows))
ratio = statistics.median(e / r for r, e, _ in rows)
print(f"median: run --bench {run:.2f}  eval {ev:.2f}  pytorch {peer:.2f}  images/s;"
      f" eval/run {ratio:.3f} (median of rounds), eval/pytorch {statistics.median(e / p for _, e, p in rows):.2f}")
PY

# Memory: peak RSS on a quarter of the files and on all of them.
quarter=$work/quarter
mkdir -p "$quarter"
for folder in "$data"/*/; do
    name=$(basename "$folder")
    mkdir -p "$quarter/$name"
    find "$folder" -maxdepth 1 -type f | sort | awk 'NR % 4 == 1' | xargs -r cp -t "$quarter/$name"
done
for tree in "$quarter" "$data"; do
    n=$(find "$tree" -type f | wc -l)
    rss=$(/usr/bin/time -v "$archc" eval "$spec" --weights "$weights" --data "$tree" --batch "$batch" --threads "$threads" 2>&1 >/dev/null |
        sed -n 's/.*Maximum resident set size (kbytes): //p')
    echo "peak RSS, $n images: $((rss / 1024)) MiB"
done
echo "-- one archc eval --profile"
"$archc" eval "$spec" --weights "$weights" --data "$data" --batch "$batch" --threads "$threads" --profile 2>&1 >/dev/null
