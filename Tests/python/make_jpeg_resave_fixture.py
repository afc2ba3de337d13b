"""Writes the fixture of `archc eval`'s JPEG re-save (Tests/ArchcEvalTests/Fixtures/resave/):
a 64x48 RGB crop of the bundled CC0 photo as PNG, and the same pixels saved by PIL as a JPEG
of quality 85 with `optimize=True`, as ImageNet-C's make_imagenet_c.py saved its files.
JPEGResaveTests requires archc's re-save to decode to exactly the pixels of that file.
Run: python3 Tests/python/make_jpeg_resave_fixture.py (needs pillow)."""
import pathlib

from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "ArchcEvalTests" / "Fixtures" / "resave"

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    photo = Image.open(ROOT / "specs" / "images" / "chelsea.png").convert("RGB")
    w, h = photo.size
    crop = photo.resize((w // 4, h // 4), Image.BILINEAR).crop((10, 5, 74, 53))
    crop.save(OUT / "crop.png")
    crop.save(OUT / "crop-q85.jpg", quality=85, optimize=True)
    print(f"wrote {OUT}/crop.png and crop-q85.jpg ({crop.size[0]}x{crop.size[1]})")
