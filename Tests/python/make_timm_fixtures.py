"""archc against timm itself (issue #15). Writes Tests/python/data/timm/.

For each model: timm builds it (timm.create_model, or timm's ConvNeXt class for a small
configuration), its weights are seeded random values, saved as float32 safetensors under
timm's state-dict names; an input batch; and the logits timm computes in eval mode.
test_timm_fixtures.py runs archc's runtime and archc's ONNX export (through ONNX Runtime)
on the same weights and input: max error <= 1e-4 of the largest logit, same top-1.

- deit-tiny: timm's deit_tiny_patch16_224 at 224x224 against specs/deit-tiny.yaml (23 MB of
  weights). DeiT-S (88 MB) and ConvNeXt-T (114 MB) are too large to check in: --full
  compares them against specs/deit-small.yaml and specs/convnext-tiny.yaml in a temporary
  directory (the runtime, and DeiT-S's generated model too) and prints the errors.
- tiny-convnext: timm's ConvNeXt with depths (2, 2, 2, 2) and widths (16, 32, 48, 64) at
  64x64 against data/timm/tiny-convnext.yaml (the block and names of convnext-tiny.yaml).

Weights are timm's initialisation, then every LayerNorm affine, bias and ConvNeXt layer scale
(timm starts gamma at 1e-6, which would hide the blocks) is drawn at random, so the folding
passes change numbers.

timm imports torchvision at module load (FrozenBatchNorm2d, data transforms), and no PyPI
torchvision runs with the CPU build of torch 2.13 here (its extension needs CUDA libraries).
This script therefore installs a stand-in `torchvision` module whose every object raises when
used: timm's ViT and ConvNeXt model code never uses it, so the reference is timm's own code.
With a working torchvision installed, pass --real-torchvision.

Needs torch, timm, safetensors (not needed by the tests):
    python3 Tests/python/make_timm_fixtures.py [--full] [--archc .build/release/archc]
"""
import argparse
import importlib.abc
import importlib.machinery
import json
import pathlib
import subprocess
import sys
import tempfile
import types

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "python" / "data" / "timm"


# ---- A torchvision that fails when used -----------------------------------------------------

class _Unavailable:
    """Stands for any torchvision object; calling it raises, so a model that used torchvision
    could not produce a fixture."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, item):
        return _Unavailable(f"{self._name}.{item}")

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{self._name} was used: this model needs the real torchvision")

    def __mro_entries__(self, bases):
        return (object,)

    def __hash__(self):
        return hash(self._name)

    def __eq__(self, other):
        return isinstance(other, _Unavailable) and other._name == self._name


class _StubModule(types.ModuleType):
    def __getattr__(self, item):
        if item.startswith("__"):
            raise AttributeError(item)
        return _Unavailable(f"{self.__name__}.{item}")


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "torchvision" or name.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        module.__version__ = "stub"
        return module

    def exec_module(self, module):
        pass


# ---- Models and weights ----------------------------------------------------------------------

def randomize(model, generator):
    """Random LayerNorm affines, biases and layer scales on top of timm's initialisation."""
    import torch
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            module_name = name.rsplit(".", 1)[0]
            module = model.get_submodule(module_name) if "." in name else model
            if isinstance(module, torch.nn.LayerNorm) and name.endswith(".weight"):
                parameter.uniform_(0.5, 1.5, generator=generator)
            elif name.endswith(".bias"):
                parameter.uniform_(-0.1, 0.1, generator=generator)
            elif name.endswith("gamma"):
                parameter.uniform_(0.3, 1.2, generator=generator)
            elif name in ("cls_token", "pos_embed"):
                parameter.normal_(0, 0.5, generator=generator)
    return model.eval()


def build(name):
    import timm
    from timm.models.convnext import ConvNeXt
    if name == "tiny-convnext":
        return ConvNeXt(depths=(2, 2, 2, 2), dims=(16, 32, 48, 64), num_classes=1000)
    return timm.create_model(name, pretrained=False)


CHECKED_IN = [
    # (fixture name, model, spec, input size, batch)
    ("deit-tiny", "deit_tiny_patch16_224", "specs/deit-tiny.yaml", 224, 2),
    ("tiny-convnext", "tiny-convnext", "Tests/python/data/timm/tiny-convnext.yaml", 64, 3),
]
FULL = [
    ("deit-small", "deit_small_patch16_224", "specs/deit-small.yaml", 224, 2),
    ("convnext-tiny", "convnext_tiny", "specs/convnext-tiny.yaml", 224, 2),
]
# Specs with a generated model in generated/ (./generate.sh): --full runs that engine too.
GENERATED = {"specs/deit-small.yaml"}


def make(name, model_name, seed, size, batch, directory):
    """Writes <name>.safetensors, <name>.input.npy, <name>.logits.npy; returns the logits."""
    import torch
    from safetensors.torch import save_file
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(1000 + seed)
    model = randomize(build(model_name), generator)
    x = torch.randn(batch, 3, size, size, generator=generator)
    with torch.no_grad():
        y = model(x)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(directory / f"{name}.safetensors"))
    np.save(directory / f"{name}.input.npy", x.numpy())
    np.save(directory / f"{name}.logits.npy", y.numpy())
    return y.numpy()


def full_check(archc):
    """DeiT-S and ConvNeXt-T at 224 against timm, in a temporary directory; prints the errors."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for seed, (name, model_name, spec, size, batch) in enumerate(FULL, start=10):
            expected = make(name, model_name, seed, size, batch, tmp)
            for engine in ["runtime", "generated"] if spec in GENERATED else ["runtime"]:
                # generated/ models run in their own executable beside archc (archc does not link them).
                tool = [archc, "run", spec] if engine == "runtime" else [str(pathlib.Path(archc).with_name("archc-generated")), spec]
                subprocess.run(tool + ["--weights", str(tmp / f"{name}.safetensors"),
                                "--input", str(tmp / f"{name}.input.npy"), "--output", str(tmp / "y.npy")],
                               cwd=ROOT, check=True, capture_output=True)
                got = np.load(tmp / "y.npy")
                error = np.abs(got - expected).max() / np.abs(expected).max()
                same = (got.argmax(1) == expected.argmax(1)).all()
                print(f"{spec:30s} ({model_name}, {engine}) max error / max |logit| = {error:.2e}   top-1 equal: {same}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="also compare DeiT-S and ConvNeXt-T at full size (prints only)")
    parser.add_argument("--archc", default=str(ROOT / ".build" / "release" / "archc"))
    parser.add_argument("--real-torchvision", action="store_true", help="import the installed torchvision instead of the stand-in")
    options = parser.parse_args()
    if not options.real_torchvision:
        sys.meta_path.insert(0, _StubFinder())
    import timm
    import torch
    torch.set_num_threads(2)
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = []
    for seed, (name, model_name, spec, size, batch) in enumerate(CHECKED_IN):
        make(name, model_name, seed, size, batch, OUT)
        manifest.append({"name": name, "timm_model": model_name, "spec": spec, "weights": f"{name}.safetensors",
                         "input": f"{name}.input.npy", "logits": f"{name}.logits.npy"})
    text = json.dumps({"torch": torch.__version__, "timm": timm.__version__,
                       "torchvision": "real" if options.real_torchvision else "stand-in (unused by the models)",
                       "fixtures": manifest}, indent=1) + "\n"
    (OUT / "manifest.json").write_text(text)
    print(f"wrote {len(manifest)} fixtures to {OUT.relative_to(ROOT)}")
    if options.full:
        full_check(options.archc)


if __name__ == "__main__":
    sys.exit(main())
