"""Reference outputs of the ImageNet-C corruptions archc implements, from PyPI corrupt-tta
(a maintained port of Hendrycks & Dietterich's code that runs on numpy 2). Writes
Tests/ArchcEvalTests/Fixtures/corruptions/: clean.png (a 64x64 centre crop of the bundled
CC0 cat photo), <name>-<severity>.png for the deterministic corruptions (the reference's
output truncated to 8 bits, as ImageNet-C saves it), and random.json: for the random ones,
per severity over 8 seeds, the mean and the standard deviation of (corrupted - clean) in
[0, 255]. CorruptionTests compares archc's corruptions with these.

    pip install corrupt-tta pillow numpy
    python3 Tests/python/make_corruption_fixtures.py
"""
import json
import pathlib

import numpy as np
from PIL import Image

import corrupt_tta

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "ArchcEvalTests" / "Fixtures" / "corruptions"
DETERMINISTIC = ["gaussian_blur", "defocus_blur", "zoom_blur", "brightness", "contrast", "saturate", "pixelate", "jpeg_compression"]
RANDOM = ["gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "glass_blur", "motion_blur", "fog"]
SEEDS = 8


def clean_crop(size=64):
    image = Image.open(ROOT / "specs" / "images" / "chelsea.png").convert("RGB")
    w, h = image.size
    scale = size / min(w, h)
    image = image.resize((round(w * scale), round(h * scale)), Image.BILINEAR)
    w, h = image.size
    left, top = (w - size) // 2, (h - size) // 2
    return np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.uint8)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    clean = clean_crop()
    Image.fromarray(clean).save(OUT / "clean.png")
    x = clean.astype(np.float64)
    for name in DETERMINISTIC:
        for severity in range(1, 6):
            y = corrupt_tta.corrupt(x.copy(), severity=severity, corruption_name=name)
            Image.fromarray(np.uint8(np.clip(y, 0, 255))).save(OUT / f"{name}-{severity}.png")
    stats = {}
    for name in RANDOM:
        for severity in range(1, 6):
            means, stds = [], []
            for seed in range(SEEDS):
                np.random.seed(seed)
                y = np.uint8(np.clip(corrupt_tta.corrupt(x.copy(), severity=severity, corruption_name=name), 0, 255))
                d = y.astype(np.float64) - x
                means.append(float(d.mean()))
                stds.append(float(d.std()))
            stats[f"{name}-{severity}"] = {"mean": means, "std": stds}
    (OUT / "random.json").write_text(json.dumps(stats, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
