"""Writes small image fixtures and PIL's preprocessing of them, for the Swift tests of
image decoding and preprocessing (Tests/ArchcImageTests/Fixtures/images/): a JPEG, a
grayscale PNG and an RGBA PNG cut from the bundled CC0 photo, and for each the (3, 32, 32)
tensor PIL gives with shorter side 40 (bicubic and bilinear), centre crop 32, ImageNet
mean/std. Run: python3 Tests/python/make_image_fixtures.py (needs pillow, numpy)."""
import pathlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "ArchcImageTests" / "Fixtures" / "images"
MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])


def prepare(image, method):
    image = image.convert("RGB")
    w, h = image.size
    scale = 40 / min(w, h)
    image = image.resize((round(w * scale), round(h * scale)), method)
    w, h = image.size
    left, top = (w - 32) // 2, (h - 32) // 2
    image = image.crop((left, top, left + 32, top + 32))
    x = (np.asarray(image, dtype=np.float32) / 255 - MEAN) / STD
    return x.transpose(2, 0, 1).astype(np.float32)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    photo = Image.open(ROOT / "specs" / "images" / "chelsea.png").convert("RGB").resize((90, 60), Image.BICUBIC)
    photo.save(OUT / "cat.jpg", quality=92)
    photo.convert("L").save(OUT / "cat-gray.png")
    rgba = photo.convert("RGBA")
    rgba.putalpha(255)
    rgba.save(OUT / "cat-rgba.png")
    for name in ["cat.jpg", "cat-gray.png", "cat-rgba.png"]:
        decoded = Image.open(OUT / name)
        np.save(OUT / (name + ".bicubic.npy"), prepare(decoded, Image.BICUBIC))
        np.save(OUT / (name + ".bilinear.npy"), prepare(decoded, Image.BILINEAR))
        np.save(OUT / (name + ".rgb.npy"), np.asarray(decoded.convert("RGB"), dtype=np.float32))
    (OUT / "broken.jpg").write_bytes((OUT / "cat.jpg").read_bytes()[:200])
    print("wrote", sorted(p.name for p in OUT.iterdir()))
