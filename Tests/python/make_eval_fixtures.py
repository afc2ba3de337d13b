"""PyTorch's accuracy on the 20 labelled foolbox photos, for `archc eval`'s real-model check.
Writes Tests/python/data/eval/efficientnet-lite0.foolbox.json.

The photos are foolbox 3.3.4's (PyPI, MIT; tools/fetch-eval-photos.sh puts them in
.cache/foolbox-photos/), named imagenet_NN_<class index>.jpg. The model is the PyPI model code
(efficientnet-lite-pytorch) with the trained checkpoint (.cache/efficientnet-lite0.pth,
./fetch-weights.sh); preprocessing is PIL's, as the spec declares it: shorter side to 256,
bicubic, centre crop 224, (x - 0.498) / 0.502. For the 7 photos whose class is one of
ImageNet-R's 200 (timm's imagenet_r_indices.txt), the counts with the logits restricted to
those 200 classes, as ImageNet-R is scored. test_eval.py runs `archc eval` on the same files
(as an ImageFolder tree and as a manifest) and compares the counts.

Also the logits of the trained EfficientNet-Lite1 and -Lite2 (.cache/efficientnet-lite1.pth,
-lite2.pth) on the two bundled photos, preprocessed the same way at their resolutions (240
from 272, 260 from 292): efficientnet-liteN.logits.npy, for their specs' PyTorch-equality test.

Needs torch, efficientnet-lite-pytorch, pillow (not needed by the tests):
    pip install torch efficientnet-lite-pytorch pillow
    python3 Tests/python/make_eval_fixtures.py
"""
import hashlib
import importlib.util
import json
import pathlib
import re

import numpy as np
import torch
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
PHOTOS = ROOT / ".cache" / "foolbox-photos"
OUT = ROOT / "Tests" / "python" / "data" / "eval" / "efficientnet-lite0.foolbox.json"


def preprocess(path, resize=256, crop=224):
    image = Image.open(path).convert("RGB")
    w, h = image.size
    # torchvision's Resize(resize) (longer side truncated) and CenterCrop(crop) (margin / 2 rounded half to even)
    size = (resize, int(resize * h / w)) if w <= h else (int(resize * w / h), resize)
    image = image.resize(size, Image.BICUBIC)
    w, h = image.size
    left, top = int(round((w - crop) / 2.0)), int(round((h - crop) / 2.0))
    image = image.crop((left, top, left + crop, top + crop))
    x = (np.asarray(image, dtype=np.float32) / 255 - 0.498) / 0.502
    return torch.from_numpy(x.transpose(2, 0, 1).copy())


def main():
    from efficientnet_lite_pytorch import EfficientNet
    model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(ROOT / ".cache" / "efficientnet-lite0.pth")).eval()
    files = sorted(p for p in PHOTOS.iterdir() if re.fullmatch(r"imagenet_\d\d_\d+\.jpg", p.name))
    assert len(files) == 20, f"expected foolbox's 20 photos in {PHOTOS}; run tools/fetch-eval-photos.sh"
    with torch.no_grad():
        logits = model(torch.stack([preprocess(p) for p in files]))
    photos = []
    for path, row in zip(files, logits):
        label = int(path.stem.split("_")[2])
        top5 = [int(i) for i in row.topk(5).indices]
        photos.append({"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "label": label,
                       "pytorch_top5": top5, "margin": float(row.topk(2).values[0] - row.topk(2).values[1])})
    fixture = {
        "spec": "specs/efficientnet-lite0.yaml",
        "source": "foolbox 3.3.4 (PyPI), foolbox/data/imagenet_NN_<class>.jpg, MIT License, Copyright (c) 2020 Jonas Rauber et al.",
        "count": len(photos),
        "top1_correct": sum(p["label"] == p["pytorch_top5"][0] for p in photos),
        "top5_correct": sum(p["label"] in p["pytorch_top5"] for p in photos),
        "photos": photos,
    }
    info = pathlib.Path(importlib.util.find_spec("timm").submodule_search_locations[0]) / "data" / "_info"
    r_classes = [int(line) for line in (info / "imagenet_r_indices.txt").read_text().split()]
    in_r = [i for i, p in enumerate(photos) if p["label"] in r_classes]
    masked = logits[in_r][:, r_classes]
    top5 = [[r_classes[int(j)] for j in row.topk(5).indices] for row in masked]
    fixture["imagenet_r"] = {
        "files": [photos[i]["file"] for i in in_r],
        "top1_correct": sum(photos[i]["label"] == t[0] for i, t in zip(in_r, top5)),
        "top5_correct": sum(photos[i]["label"] in t for i, t in zip(in_r, top5)),
    }
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: top-1 {fixture['top1_correct']}/20, top-5 {fixture['top5_correct']}/20")


def lite_logits():
    from efficientnet_lite_pytorch import EfficientNet
    for n, resize, crop in [(1, 272, 240), (2, 292, 260)]:
        model = EfficientNet.from_pretrained(f"efficientnet-lite{n}", weights_path=str(ROOT / ".cache" / f"efficientnet-lite{n}.pth")).eval()
        x = torch.stack([preprocess(ROOT / "specs" / "images" / photo, resize, crop) for photo in ["chelsea.png", "coffee.png"]])
        with torch.no_grad():
            y = model(x).numpy()
        np.save(OUT.parent / f"efficientnet-lite{n}.logits.npy", y)
        print(f"efficientnet-lite{n}: top-1 {y.argmax(1).tolist()}")


if __name__ == "__main__":
    main()
    lite_logits()
