"""Reference outputs of the ImageNet-C corruptions archc implements, from PyPI corrupt-tta
(a maintained port of Hendrycks & Dietterich's code that runs on numpy 2). Writes
Tests/ArchcEvalTests/Fixtures/corruptions/: clean.png (a 64x64 centre crop of the bundled
CC0 cat photo), <name>-<severity>.png for the deterministic corruptions (the reference's
output truncated to 8 bits, as ImageNet-C saves it), and random.json: for the random ones,
per severity over 8 seeds, the mean and the standard deviation of (corrupted - clean) in
[0, 255]. CorruptionTests compares archc's corruptions with these. (impulse_noise draws from
scikit-image's own, unseeded generator: its figures change from run to run.)

Snow, elastic_transform and spatter are also written as <name>-<severity>.png from NumPy's
seed EXACT_SEED: the tests replay NumPy's legacy generator, so archc draws the same numbers
and must give the same pixels. Two lines of corrupt-tta are first put back to the reference
code (Hendrycks & Dietterich's make_imagenet_c.py), which archc follows: snow's layer is
clipped and truncated to 8 bits before its motion blur (the reference hands ImageMagick an
8-bit PNG), and elastic_transform's constants are 244 * ..., not 224 * ... Frost draws a
photo and a crop: frost-<severity>.png is corrupt-tta's output for a seed whose photo is one
of the reference's five, and frost.json names that photo and crop.

    pip install corrupt-tta pillow numpy   # with opencv-python, scipy, scikit-image
    python3 Tests/python/make_corruption_fixtures.py
"""
import inspect
import json
import pathlib

import cv2
import numpy as np
from PIL import Image

import corrupt_tta
import corrupt_tta.corruptions as reference

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "ArchcEvalTests" / "Fixtures" / "corruptions"
DETERMINISTIC = ["gaussian_blur", "defocus_blur", "zoom_blur", "brightness", "contrast", "saturate", "pixelate", "jpeg_compression"]
RANDOM = ["gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "glass_blur", "motion_blur", "fog",
          "snow", "frost", "elastic_transform", "spatter"]
EXACT = ["snow", "elastic_transform", "spatter"]
EXACT_SEED = 3
SEEDS = 8


def restore_reference():
    """corrupt-tta's snow and elastic_transform with the reference's two differences put back."""
    def patched(function, old, new, count):
        source = inspect.getsource(function)
        assert source.count(old) == count, f"{function.__name__}: '{old}' not found {count} times (corrupt-tta changed?)"
        namespace = dict(vars(reference))
        exec(source.replace(old, new), namespace)
        return namespace[function.__name__]
    snow = patched(reference.snow, "snow_layer[snow_layer < c[3]] = 0\n",
                   "snow_layer[snow_layer < c[3]] = 0\n    snow_layer = np.floor(np.clip(snow_layer, 0, 1) * 255) / 255\n", 1)
    elastic = patched(reference.elastic_transform, "224 *", "244 *", 15)
    corrupt_tta.corruption_dict.update(snow=snow, elastic_transform=elastic)


def frost_draws(seed, shape):
    """The photo (1-6) and crop corrupt-tta's frost draws after np.random.seed(seed), for a photo the texture covers."""
    np.random.seed(seed)
    index = np.random.randint(1, 7)
    photo = cv2.imread(str(pathlib.Path(reference.__file__).parent / "assets" / "frost" / f"frost{index}.{'png' if index <= 3 else 'jpg'}"))
    h, w = shape
    top = np.random.randint(0, max(1, photo.shape[0] - h + 1))
    left = np.random.randint(0, max(1, photo.shape[1] - w + 1))
    return index, top, left


def clean_crop(size=64):
    image = Image.open(ROOT / "specs" / "images" / "chelsea.png").convert("RGB")
    w, h = image.size
    # torchvision's Resize(size) (longer side truncated) and CenterCrop(size)
    image = image.resize((size, int(size * h / w)) if w <= h else (int(size * w / h), size), Image.BILINEAR)
    w, h = image.size
    left, top = int(round((w - size) / 2.0)), int(round((h - size) / 2.0))
    return np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.uint8)


def main():
    restore_reference()
    OUT.mkdir(parents=True, exist_ok=True)
    clean = clean_crop()
    Image.fromarray(clean).save(OUT / "clean.png")
    x = clean.astype(np.float64)
    for name in DETERMINISTIC:
        for severity in range(1, 6):
            y = corrupt_tta.corrupt(x.copy(), severity=severity, corruption_name=name)
            Image.fromarray(np.uint8(np.clip(y, 0, 255))).save(OUT / f"{name}-{severity}.png")
    for name in EXACT:
        for severity in range(1, 6):
            np.random.seed(EXACT_SEED)
            y = corrupt_tta.corrupt(x.copy(), severity=severity, corruption_name=name)
            Image.fromarray(np.uint8(np.clip(y, 0, 255))).save(OUT / f"{name}-{severity}.png")
    crops = {}
    for severity in range(1, 6):
        seed = next(s for s in range(100 * severity, 100 * severity + 100) if frost_draws(s, clean.shape[:2])[0] <= 5)
        index, top, left = frost_draws(seed, clean.shape[:2])
        np.random.seed(seed)
        y = corrupt_tta.corrupt(x.copy(), severity=severity, corruption_name="frost")
        Image.fromarray(np.uint8(np.clip(y, 0, 255))).save(OUT / f"frost-{severity}.png")
        crops[str(severity)] = {"photo": f"frost{index}.{'png' if index <= 3 else 'jpg'}", "top": int(top), "left": int(left)}
    (OUT / "frost.json").write_text(json.dumps(crops, indent=1) + "\n")
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
