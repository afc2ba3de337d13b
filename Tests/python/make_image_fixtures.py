"""Writes small image fixtures and PIL's preprocessing of them, for the Swift tests of
image decoding and preprocessing (Tests/ArchcImageTests/Fixtures/images/): a JPEG, a
grayscale PNG and an RGBA PNG cut from the bundled CC0 photo, and for each the (3, 32, 32)
tensor PIL gives with shorter side 40 (bicubic and bilinear), centre crop 32, ImageNet
mean/std. Also small PNGs PIL decodes without gamma or alpha compositing (16-bit, alpha,
palette + tRNS, 1/2/4-bit, gAMA 1.0, interlaced), written byte by byte here, each with the
(H, W, 3) values PIL's convert('RGB') gives (png-*.png.rgb.npy).
Run: python3 Tests/python/make_image_fixtures.py (needs pillow, numpy)."""
import pathlib
import struct
import zlib

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "ArchcImageTests" / "Fixtures" / "images"
MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])


def prepare(image, method):
    image = image.convert("RGB")
    w, h = image.size
    # torchvision's Resize(40) (longer side truncated) and CenterCrop(32) (margin / 2 rounded half to even)
    image = image.resize((40, int(40 * h / w)) if w <= h else (int(40 * w / h), 40), method)
    w, h = image.size
    left, top = int(round((w - 32) / 2.0)), int(round((h - 32) / 2.0))
    image = image.crop((left, top, left + 32, top + 32))
    x = (np.asarray(image, dtype=np.float32) / 255 - MEAN) / STD
    return x.transpose(2, 0, 1).astype(np.float32)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(path, samples, depth, color_type, extra=b"", interlaced=False):
    """samples: (H, W, C) integers (palette indices for color type 3), packed as `depth` bits."""
    h, w = samples.shape[:2]

    def scanlines(block):
        rows = []
        for row in block:
            if depth == 16:
                rows.append(b"\0" + row.astype(">u2").tobytes())
            elif depth == 8:
                rows.append(b"\0" + row.astype(np.uint8).tobytes())
            else:
                bits = "".join(format(int(v), "0%db" % depth) for v in row.reshape(-1))
                bits += "0" * (-len(bits) % 8)
                rows.append(b"\0" + bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)))
        return b"".join(rows)

    if interlaced:  # Adam7: seven passes of sub-images
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        raw = b"".join(scanlines(samples[y0::dy, x0::dx]) for x0, y0, dx, dy in passes if x0 < w and y0 < h)
    else:
        raw = scanlines(samples)
    header = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlaced else 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(data)


def write_png_variants():
    rng = np.random.default_rng(7)
    wide = rng.integers(0, 65536, (5, 7, 4))
    wide[0, :4, 0] = [0, 100, 255, 256]  # 16-bit grayscale: PIL clips to 255
    small = rng.integers(0, 256, (5, 7, 4))
    small[:, :, 3] = rng.choice([0, 1, 128, 255], (5, 7))
    palette = rng.integers(0, 256, (16, 3))
    plte = chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    trns = chunk(b"tRNS", bytes([0, 128] * 8))
    variants = {
        "png-rgb16.png": (wide[:, :, :3], 16, 2, b"", False),
        "png-rgba16.png": (wide, 16, 6, b"", False),
        "png-la16.png": (wide[:, :, :2], 16, 4, b"", False),
        "png-gray16.png": (wide[:, :, :1], 16, 0, b"", False),
        "png-rgba8.png": (small, 8, 6, b"", False),
        "png-la8.png": (small[:, :, 2:], 8, 4, b"", False),
        "png-palette-trns.png": (small[:, :, :1] % 16, 8, 3, plte + trns, False),
        "png-palette4.png": (small[:, :, :1] % 16, 4, 3, plte, False),
        "png-gray2.png": (small[:, :, :1] % 4, 2, 0, b"", False),
        "png-gray1-trns.png": (small[:, :, :1] % 2, 1, 0, chunk(b"tRNS", struct.pack(">H", 1)), False),
        "png-gamma1.png": (small[:, :, :3], 8, 2, chunk(b"gAMA", struct.pack(">I", 100000)), False),
        "png-srgb.png": (small[:, :, :3], 8, 2, chunk(b"sRGB", b"\0"), False),
        "png-rgba16-interlaced.png": (wide, 16, 6, b"", True),
        "png-palette-trns-interlaced.png": (small[:, :, :1] % 16, 8, 3, plte + trns, True),
    }
    for name, (samples, depth, color_type, extra, interlaced) in variants.items():
        write_png(OUT / name, samples, depth, color_type, extra, interlaced)
        np.save(OUT / (name + ".rgb.npy"), np.asarray(Image.open(OUT / name).convert("RGB"), dtype=np.float32))


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
    write_png_variants()
    # A CMYK JPEG (PIL writes Adobe's inverted CMYK) with a varying black channel.
    cmy = 255 - np.asarray(photo, dtype=np.uint8)
    black = np.tile(np.linspace(0, 200, photo.size[0]).astype(np.uint8), (photo.size[1], 1))[:, :, None]
    Image.fromarray(np.concatenate([cmy, black], axis=2), "CMYK").save(OUT / "cat-cmyk.jpg", quality=92)
    np.save(OUT / "cat-cmyk.jpg.rgb.npy", np.asarray(Image.open(OUT / "cat-cmyk.jpg").convert("RGB"), dtype=np.float32))
    (OUT / "broken.jpg").write_bytes((OUT / "cat.jpg").read_bytes()[:200])
    print("wrote", sorted(p.name for p in OUT.iterdir()))
