"""Cross-check fixtures made with PyTorch itself (issue #5). Writes Tests/python/data/pytorch/.

For each model: the checkpoint as PyTorch saves it, an input, and the logits PyTorch computes
in eval mode. test_pytorch_fixtures.py runs archc on the same checkpoint and input and
compares (max error <= 1e-4 of the largest logit, same top-1).

- tiny-robust-dw, tiny-inverted-family: the four robust block types written below in
  PyTorch from docs/paper.md (names as the authors' code), random weights including BatchNorm
  statistics and layer scales, so folding is exercised.
- tiny-resnet: built from torchvision's own Bottleneck.
- efficientnet-lite0: the PyPI model code (efficientnet-lite-pytorch) with the trained
  weights (.cache/efficientnet-lite0.pth, ./fetch-weights.sh), on the two bundled photos
  preprocessed by torchvision (Resize 256 bicubic, CenterCrop 224, Normalize). The crops are
  stored as uint8; ToTensor + Normalize is float32 arithmetic numpy repeats bit for bit
  (checked here). The checkpoint itself is not copied (18 MB): the test reads the cache.

The checkpoints cover the formats users bring: torch.save zip format, the legacy format,
a training checkpoint ({"model": ..., "args": argparse.Namespace, ...}) saved from a
DataParallel model (`module.` prefix), float16 weights, and safetensors written by the
safetensors library.

Needs torch, torchvision, efficientnet-lite-pytorch, safetensors (not needed by the tests):
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch torchvision \\
        efficientnet-lite-pytorch safetensors
    /tmp/torchenv/bin/python Tests/python/make_pytorch_fixtures.py [--full]
--full additionally cross-checks the five full-size CNNs at 224x224 with random weights
(torchvision's resnet50 and the robust models below, saved as safetensors into a temporary
directory) against archc and prints the errors; nothing is written for them (150 MB each).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

# torchvision, PIL and efficientnet_lite_pytorch are imported where they are used, so that
# make_pytorch_emit_fixtures.py can import the robust blocks below with torch alone.

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "python" / "data" / "pytorch"


# ---- The paper's four blocks (docs/paper.md), named as the authors' code names them ----------

def pointwise(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 1, stride)


def depthwise(cin, cout, kernel, stride):
    return nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=cin)


class RobustBlock(nn.Module):
    """kind: dw | inverted | up | down."""

    def __init__(self, kind, cin, dim, kernel, stride, ratio=4):
        super().__init__()
        self.kind = kind
        out = dim * ratio if kind == "dw" else dim
        if kind == "dw":
            self.pwconv1, self.norm1 = pointwise(cin, dim), nn.BatchNorm2d(dim)
            self.conv_dw = depthwise(dim, dim, kernel, stride)
            self.pwconv2 = pointwise(dim, dim * ratio)
        elif kind == "inverted":
            self.pwconv1, self.norm1 = pointwise(cin, dim * ratio), nn.BatchNorm2d(dim * ratio)
            self.conv_dw = depthwise(dim * ratio, dim * ratio, kernel, stride)
            self.pwconv2 = pointwise(dim * ratio, dim)
        elif kind == "up":
            self.conv_dw, self.norm1 = depthwise(cin, dim, kernel, stride), nn.BatchNorm2d(dim)
            self.pwconv1 = pointwise(dim, dim * ratio)
            self.pwconv2 = pointwise(dim * ratio, dim)
        elif kind == "down":
            self.pwconv1, self.norm2 = pointwise(cin, dim * ratio), nn.BatchNorm2d(dim * ratio)
            self.pwconv2 = pointwise(dim * ratio, dim)
            self.conv_dw = depthwise(dim, dim, kernel, stride)
        self.gamma = nn.Parameter(torch.ones(out))
        self.downsample = None
        if cin != out or stride != 1:
            self.downsample = nn.Sequential(pointwise(cin, out, stride), nn.BatchNorm2d(out))
        self.act = nn.ReLU()

    def forward(self, x):
        if self.kind == "dw":
            y = self.pwconv2(self.conv_dw(self.norm1(self.pwconv1(x))))
        elif self.kind == "inverted":
            y = self.pwconv2(self.conv_dw(self.act(self.norm1(self.pwconv1(x)))))
        elif self.kind == "up":
            y = self.pwconv2(self.act(self.pwconv1(self.norm1(self.conv_dw(x)))))
        else:
            y = self.conv_dw(self.pwconv2(self.act(self.norm2(self.pwconv1(x)))))
        y = y * self.gamma.view(1, -1, 1, 1)
        y = y + (x if self.downsample is None else self.downsample(x))
        return self.act(y) if self.kind == "dw" else y


class Stage(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(x)


class RobustResNet(nn.Module):
    """stages: (kind, depth, dim, kernel, stride, stride_at) per stage."""

    def __init__(self, stem_out, patch, stages, classes, stem_kernel=None, stem_padding=0):
        super().__init__()
        self.stem = nn.Conv2d(3, stem_out, stem_kernel or patch, patch, stem_padding)
        cin, built = stem_out, []
        for kind, depth, dim, kernel, stride, stride_at in stages:
            blocks = []
            for index in range(depth):
                strided = index == (0 if stride_at == "first" else depth - 1)
                block = RobustBlock(kind, cin, dim, kernel, stride if strided else 1)
                cin = dim * 4 if kind == "dw" else dim
                blocks.append(block)
            built.append(Stage(blocks))
        self.stages = nn.Sequential(*built)
        self.head = nn.Module()
        self.head.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.head.fc(x.mean((2, 3)))


class TinyResNet(nn.Module):
    """specs/tiny/tiny-resnet.yaml from torchvision's Bottleneck."""

    def __init__(self):
        super().__init__()
        from torchvision.models.resnet import Bottleneck
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1, self.relu, self.maxpool = nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)

        def projection(cin, cout, stride):
            return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        self.layer1 = nn.Sequential(Bottleneck(8, 4, downsample=projection(8, 16, 1)))
        self.layer2 = nn.Sequential(Bottleneck(16, 8, 2, downsample=projection(16, 32, 2)), Bottleneck(32, 8))
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.fc(self.layer2(self.layer1(x)).mean((2, 3)))


def randomize(model, generator):
    """Non-trivial BatchNorm statistics and affine terms, and layer scales, so that every
    folding pass changes numbers."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.2, 0.2, generator=generator)
                module.running_mean.uniform_(-0.3, 0.3, generator=generator)
                module.running_var.uniform_(0.5, 2.0, generator=generator)
                module.num_batches_tracked.fill_(17)
        for name, parameter in model.named_parameters():
            if name.endswith("gamma"):
                parameter.uniform_(0.3, 1.2, generator=generator)
    return model.eval()


# ---- The fixtures ------------------------------------------------------------------------

TINY = {
    "tiny-robust-dw": lambda: RobustResNet(8, 4, [("dw", 2, 8, 3, 1, "first"), ("dw", 1, 16, 5, 2, "first")], 10),
    "tiny-inverted-family": lambda: RobustResNet(6, 1, [("inverted", 2, 6, 3, 1, "first"), ("up", 1, 12, 5, 2, "first"),
                                                        ("down", 2, 12, 7, 2, "last")], 7, stem_kernel=3, stem_padding=1),
    "tiny-resnet": TinyResNet,
}
INPUT_SIZE = {"tiny-robust-dw": 32, "tiny-inverted-family": 15, "tiny-resnet": 16}


def save_npy(name, array):
    np.save(OUT / name, np.ascontiguousarray(array))


def tiny_fixtures(manifest):
    for seed, (spec, build) in enumerate(TINY.items()):
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(100 + seed)
        model = randomize(build(), generator)
        size = INPUT_SIZE[spec]
        x = torch.randn(3, 3, size, size, generator=generator)
        with torch.no_grad():
            y = model(x)
        save_npy(f"{spec}.input.npy", x.numpy())
        save_npy(f"{spec}.logits.npy", y.numpy())
        entry = {"spec": f"specs/tiny/{spec}.yaml", "input": f"{spec}.input.npy", "logits": f"{spec}.logits.npy"}
        state = model.state_dict()
        if spec == "tiny-robust-dw":
            # A training script's checkpoint from a DataParallel model: prefix, extra keys, args.
            wrapped = {f"module.{k}": v for k, v in state.items()}
            args = argparse.Namespace(model="tiny-robust-dw", lr=4e-3, epochs=300)
            torch.save({"epoch": 3, "model": wrapped, "args": args, "optimizer": {"lr": 4e-3}}, OUT / f"{spec}.pth")
            entry["weights"], entry["extra_args"] = f"{spec}.pth", ["--strip-prefix", "module."]
            manifest.append(entry)
            # The same model in float16: archc converts on load; PyTorch computes in float32
            # with the rounded weights.
            half = {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}
            torch.save(half, OUT / f"{spec}.f16.pth")
            model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in half.items()})
            with torch.no_grad():
                save_npy(f"{spec}.f16.logits.npy", model(x).numpy())
            manifest.append({**entry, "weights": f"{spec}.f16.pth", "logits": f"{spec}.f16.logits.npy", "extra_args": []})
        elif spec == "tiny-resnet":
            torch.save(state, OUT / f"{spec}.pth", _use_new_zipfile_serialization=False)
            manifest.append({**entry, "weights": f"{spec}.pth"})
        else:
            torch.save(state, OUT / f"{spec}.pth")
            manifest.append({**entry, "weights": f"{spec}.pth"})
            from safetensors.torch import save_file
            save_file({k: v for k, v in state.items() if not k.endswith("num_batches_tracked")},
                      str(OUT / f"{spec}.safetensors"))
            manifest.append({**entry, "weights": f"{spec}.safetensors"})


def lite0_fixtures(manifest):
    from efficientnet_lite_pytorch import EfficientNet
    from PIL import Image
    from torchvision import transforms
    checkpoint = ROOT / ".cache" / "efficientnet-lite0.pth"
    model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(checkpoint)).eval()
    crop = transforms.Compose([transforms.Resize(256, interpolation=transforms.InterpolationMode.BICUBIC),
                               transforms.CenterCrop(224)])
    normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.498] * 3, [0.502] * 3)])
    crops = [crop(Image.open(ROOT / "specs" / "images" / f"{p}.png").convert("RGB")) for p in ["chelsea", "coffee"]]
    x = torch.stack([normalize(c) for c in crops])
    pixels = np.stack([np.asarray(c, dtype=np.uint8).transpose(2, 0, 1) for c in crops])
    again = (pixels.astype(np.float32) / np.float32(255) - np.float32(0.498)) / np.float32(0.502)
    assert np.array_equal(again, x.numpy()), "numpy does not repeat torchvision's normalisation exactly"
    with torch.no_grad():
        y = model(x)
    save_npy("efficientnet-lite0.pixels.npy", pixels)
    save_npy("efficientnet-lite0.logits.npy", y.numpy())
    top = torch.softmax(y, 1).topk(5)
    manifest.append({"spec": "specs/efficientnet-lite0.yaml", "pixels": "efficientnet-lite0.pixels.npy",
                     "mean": 0.498, "std": 0.502, "weights_cache": ".cache/efficientnet-lite0.pth",
                     "logits": "efficientnet-lite0.logits.npy", "photos": ["chelsea.png", "coffee.png"],
                     "pytorch_top5": [[[int(i), round(float(p), 4)] for i, p in zip(ti, tp)]
                                      for ti, tp in zip(top.indices, top.values)]})


FULL = {
    "specs/robust-resnet-dw-small.yaml": [("dw", 3, 96, 11, 1, "first"), ("dw", 4, 192, 11, 1, "first"),
                                          ("dw", 12, 384, 11, 1, "first"), ("dw", 3, 768, 11, 2, "first")],
    "specs/robust-resnet-inverted-dw-small.yaml": [("inverted", 3, 96, 7, 1, "first"), ("inverted", 4, 192, 7, 1, "first"),
                                                   ("inverted", 14, 384, 7, 1, "first"), ("inverted", 3, 768, 7, 2, "first")],
    "specs/robust-resnet-up-inverted-dw-small.yaml": [("up", 3, 96, 11, 1, "first"), ("up", 4, 192, 11, 1, "first"),
                                                      ("up", 14, 384, 11, 1, "first"), ("up", 3, 768, 11, 2, "first")],
    "specs/robust-resnet-down-inverted-dw-small.yaml": [("down", 3, 96, 11, 1, "last"), ("down", 4, 192, 11, 1, "last"),
                                                        ("down", 15, 384, 11, 2, "last"), ("down", 3, 768, 11, 1, "last")],
}


def full_check(archc):
    """Prints archc vs PyTorch at 224x224, batch 2, random weights, for the five CNNs."""
    import torchvision
    from safetensors.torch import save_file
    models = {"specs/resnet50.yaml": lambda: torchvision.models.resnet50()}
    models.update({spec: (lambda stages=stages: RobustResNet(96, 16, stages, 1000)) for spec, stages in FULL.items()})
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for seed, (spec, build) in enumerate(models.items()):
            torch.manual_seed(seed)
            generator = torch.Generator().manual_seed(200 + seed)
            model = randomize(build(), generator)
            x = torch.randn(2, 3, 224, 224, generator=generator)
            with torch.no_grad():
                expected = model(x).numpy()
            save_file({k: v.contiguous() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")},
                      str(tmp / "w.safetensors"))
            np.save(tmp / "x.npy", x.numpy())
            subprocess.run([archc, "run", spec, "--weights", str(tmp / "w.safetensors"), "--input", str(tmp / "x.npy"),
                            "--output", str(tmp / "y.npy")], cwd=ROOT, check=True, capture_output=True)
            got = np.load(tmp / "y.npy")
            error = np.abs(got - expected).max() / np.abs(expected).max()
            same = (got.argmax(1) == expected.argmax(1)).all()
            print(f"{spec:50s} max error / max |logit| = {error:.2e}   top-1 equal: {same}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="also cross-check the full-size CNNs (prints only)")
    parser.add_argument("--archc", default=str(ROOT / ".build" / "release" / "archc"))
    options = parser.parse_args()
    import torchvision
    torch.set_num_threads(2)
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = []
    tiny_fixtures(manifest)
    lite0_fixtures(manifest)
    manifest_text = json.dumps({"torch": torch.__version__, "torchvision": torchvision.__version__,
                                "fixtures": manifest}, indent=1) + "\n"
    (OUT / "manifest.json").write_text(manifest_text)
    print(f"wrote {len(manifest)} fixtures to {OUT.relative_to(ROOT)}")
    if options.full:
        full_check(options.archc)


if __name__ == "__main__":
    sys.exit(main())
