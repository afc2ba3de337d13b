"""archc against PyTorch itself: the fixtures in data/pytorch/ (checkpoints saved by torch.save
and safetensors, inputs, and the logits PyTorch computed) were made by make_pytorch_fixtures.py;
archc reads the same checkpoint and input and must give the same logits (max error <= 1e-4 of
the largest logit) and the same top-1 class per input. PyTorch is not needed to run this."""
import json

import numpy as np
import pytest

from test_onnx_export import ROOT, archc

DATA = ROOT / "Tests" / "python" / "data" / "pytorch"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
FIXTURES = MANIFEST["fixtures"]
TOLERANCE = 1e-4


def fixture_id(entry):
    return entry.get("weights", entry["spec"].split("/")[-1])


def run(entry, x, tmp_path, *extra):
    np.save(tmp_path / "x.npy", x)
    archc("run", entry["spec"], "--weights", str(weights_path(entry)), *entry.get("extra_args", []), *extra,
          "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"))
    return np.load(tmp_path / "y.npy")


def weights_path(entry):
    if "weights" in entry:
        return DATA / entry["weights"]
    path = ROOT / entry["weights_cache"]
    if not path.exists():
        pytest.skip("run ./fetch-weights.sh first")
    return path


def model_input(entry):
    if "input" in entry:
        return np.load(DATA / entry["input"])
    # torchvision's ToTensor + Normalize, which the fixture script checked numpy repeats exactly.
    pixels = np.load(DATA / entry["pixels"]).astype(np.float32)
    return (pixels / np.float32(255) - np.float32(entry["mean"])) / np.float32(entry["std"])


def assert_matches(got, expected, what):
    assert got.shape == expected.shape
    error = np.abs(got - expected).max() / np.abs(expected).max()
    print(f"{what}: max error / max |logit| = {error:.2e}")
    assert error <= TOLERANCE, f"{what}: {error:.2e} > {TOLERANCE}"
    assert (got.argmax(1) == expected.argmax(1)).all(), f"{what}: top-1 differs"


def test_manifest_covers_the_models_the_issue_names():
    specs = {entry["spec"] for entry in FIXTURES}
    assert "specs/efficientnet-lite0.yaml" in specs
    assert len([s for s in specs if s.startswith("specs/tiny/")]) >= 2
    assert MANIFEST["torch"]


@pytest.mark.parametrize("entry", FIXTURES, ids=fixture_id)
def test_archc_logits_match_pytorch(entry, tmp_path):
    expected = np.load(DATA / entry["logits"])
    got = run(entry, model_input(entry), tmp_path)
    assert_matches(got, expected, fixture_id(entry))


@pytest.mark.parametrize("entry", [e for e in FIXTURES if "input" in e][:1], ids=fixture_id)
def test_thread_count_does_not_change_the_result(entry, tmp_path):
    """The same fixture on one thread: outputs are bitwise identical whatever the thread count."""
    x = model_input(entry)
    one = run(entry, x, tmp_path, "--threads", "1")
    two = run(entry, x, tmp_path, "--threads", "2")
    assert np.array_equal(one, two)


def test_lite0_photos_through_archc_preprocessing_give_pytorch_top1(tmp_path):
    """archc decodes and preprocesses the photos itself; top-1 must equal PyTorch's on
    torchvision's preprocessing, and the logits stay close (the resamplers differ by up to
    two 8-bit steps, so this is looser than the fixed-input comparison)."""
    entry = next(e for e in FIXTURES if e["spec"] == "specs/efficientnet-lite0.yaml")
    expected = np.load(DATA / entry["logits"])
    photos = [str(ROOT / "specs" / "images" / p) for p in entry["photos"]]
    inputs = [arg for p in photos for arg in ("--input", p)]
    archc("run", entry["spec"], "--weights", str(weights_path(entry)), *inputs, "--output", str(tmp_path / "y.npy"))
    got = np.load(tmp_path / "y.npy")
    assert (got.argmax(1) == expected.argmax(1)).all()
    assert np.abs(got - expected).max() <= 0.05 * np.abs(expected).max()
    assert [row[0][0] for row in entry["pytorch_top5"]] == list(expected.argmax(1))
