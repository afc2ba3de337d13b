"""Fixtures for `archc compile SPEC --emit pytorch` (issue #16). Writes
Tests/python/data/pytorch-emit/.

For every spec in specs/ (ablations and tiny specs included), with archc's own emitter:
- the emitted file, checked in (<spec path under specs/>.py): the Swift tests emit again and
  require the same bytes, so any change to the emitter or a spec shows up as a diff here;
- the emitted file imports and builds under PyTorch; its state_dict() names and shapes
  (num_batches_tracked aside: PyTorch's bookkeeping, which archc's loader skips) are
  recorded in emitted.json, where the Swift tests compare them with archc's tensors;
- its eval-mode output on seeded random weights (BatchNorm statistics and layer scales
  included) equals `archc run` on the same checkpoint within 1e-4 of the largest logit;
- fvcore's MAC count on the emitted module equals archc's MACs;
- the emitted robust models equal the hand-written blocks of make_pytorch_fixtures.py, and
  the emitted DeiT and ConvNeXt equal timm's models, on the same state dict.
Then the round trip (round-trip/): a few SGD steps in PyTorch on random data, torch.save,
and the logits PyTorch computes in eval mode, checked in for the tiny specs and for small
versions (--set) of the four robust models and ResNet-50; test_pytorch_emit.py runs
`archc run --weights` on each and compares. --full also runs the round trip on the
full-size models (printed, not written: 100-150 MB each).

Needs torch, fvcore and timm (pip install fvcore timm); the tests need none of them:
    python3 Tests/python/make_pytorch_emit_fixtures.py [--archc .build/debug/archc] [--full]
"""
import argparse
import hashlib
import importlib.util
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "python" / "data" / "pytorch-emit"
SPECS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").rglob("*.yaml") if "blocks" not in p.parts)
TOLERANCE = 1e-4

# The round trip's small models: the paper's five CNNs with depth 1 per stage, narrow stages
# and a 32x32 input (the checked-in checkpoints stay a few KB).
SMALL_ROBUST = ["--set", "stages[*].depth=1", "--set", "stem[0].conv.out=8", "--set", "input.size=32",
                "--set", "head[1].linear.out=10", "--set", "budget=~",
                "--set", "stages[0].dim=8", "--set", "stages[1].dim=8", "--set", "stages[2].dim=16",
                "--set", "stages[3].dim=16"]
SMALL_RESNET = ["--set", "stages[*].depth=1", "--set", "stem[0].conv.out=8", "--set", "input.size=32",
                "--set", "head[1].linear.out=10", "--set", "stages[0].width=4", "--set", "stages[1].width=4",
                "--set", "stages[2].width=8", "--set", "stages[3].width=8"]
ROUND_TRIP = {
    "tiny-robust-dw": ("specs/tiny/tiny-robust-dw.yaml", []),
    "tiny-inverted-family": ("specs/tiny/tiny-inverted-family.yaml", []),
    "tiny-resnet": ("specs/tiny/tiny-resnet.yaml", []),
    "small-robust-resnet-dw": ("specs/robust-resnet-dw-small.yaml", SMALL_ROBUST),
    "small-robust-resnet-inverted-dw": ("specs/robust-resnet-inverted-dw-small.yaml", SMALL_ROBUST),
    "small-robust-resnet-up-inverted-dw": ("specs/robust-resnet-up-inverted-dw-small.yaml", SMALL_ROBUST),
    "small-robust-resnet-down-inverted-dw": ("specs/robust-resnet-down-inverted-dw-small.yaml", SMALL_ROBUST),
    "small-resnet50": ("specs/resnet50.yaml", SMALL_RESNET),
}
FULL_ROUND_TRIP = ["specs/robust-resnet-dw-small.yaml", "specs/robust-resnet-inverted-dw-small.yaml",
                   "specs/robust-resnet-up-inverted-dw-small.yaml", "specs/robust-resnet-down-inverted-dw-small.yaml",
                   "specs/resnet50.yaml"]


def run_archc(archc, *args):
    result = subprocess.run([archc, *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"archc {' '.join(args)}: {result.stderr}")
    return result.stdout


def emitted_path(spec):
    return OUT / (str(pathlib.Path(spec).relative_to("specs").with_suffix("")) + ".py")


def emit(archc, spec, overrides, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    run_archc(archc, "compile", spec, *overrides, "--emit", "pytorch", "-o", str(path))
    return path


def load(path):
    """Imports an emitted file as a module of its own."""
    module_spec = importlib.util.spec_from_file_location(f"emitted_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def tensors(model):
    return {k: list(v.shape) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def randomize(model, generator):
    """Random weights with BatchNorm statistics and layer scales away from their defaults, so
    archc's folding passes change numbers; eval mode."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            if name.endswith("running_var"):
                tensor.uniform_(0.5, 2.0, generator=generator)
            elif name.endswith("running_mean") or name.endswith(".bias"):
                tensor.uniform_(-0.3, 0.3, generator=generator)
            elif tensor.dim() == 1:  # norm weights, layer scales
                tensor.uniform_(0.5, 1.5, generator=generator)
            else:
                fan_in = tensor[0].numel()
                tensor.normal_(0.0, (2.0 / fan_in) ** 0.5, generator=generator)
    return model.eval()


def dump(manifest):
    """JSON with each shape on one line (`"stem.weight": [96, 3, 16, 16]`), so diffs stay readable."""
    text = json.dumps(manifest, indent=1)
    return re.sub(r"\[\n\s*((?:-?\d+,\n\s*)*-?\d+)\n\s*\]",
                  lambda m: "[" + ", ".join(x.strip().rstrip(",") for x in m.group(1).split("\n")) + "]", text) + "\n"


def relative_error(got, expected):
    return float(np.abs(got - expected).max() / np.abs(expected).max())


def archc_output(archc, spec, overrides, state, x, tmp):
    torch.save(state, tmp / "w.pth")
    np.save(tmp / "x.npy", x)
    run_archc(archc, "run", spec, *overrides, "--weights", str(tmp / "w.pth"), "--strict", "--input", str(tmp / "x.npy"),
              "--output", str(tmp / "y.npy"))
    return np.load(tmp / "y.npy")


def fvcore_macs(model, shape):
    """fvcore's count for one image, or None where fvcore is not installed."""
    try:
        from fvcore.nn import FlopCountAnalysis
    except ImportError:
        return None
    analysis = FlopCountAnalysis(model, torch.zeros(1, *shape))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    return int(analysis.total())


def check_spec(archc, spec, seed, tmp):
    """Emits into OUT and checks the file; the manifest entry."""
    path = emit(archc, spec, [], emitted_path(spec))
    result = check_spec_live(archc, spec, path, seed, tmp)
    status = "ok" if spec_ok(result) else "MISMATCH"
    error = "not run" if result["max_error"] is None else f"{result['max_error']:.1e}"
    print(f"{spec:70s} error {error}  fvcore {result['fvcore_macs']:,} archc {result['archc_macs']:,}  {status}")
    return {"spec": spec, "file": str(path.relative_to(OUT)), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), **result}


def spec_ok(result):
    """Outputs within tolerance (where archc can run the spec) and fvcore's MACs equal archc's."""
    return (result["max_error"] is None or result["max_error"] <= TOLERANCE) and result["fvcore_macs"] == result["archc_macs"]


def check_spec_live(archc, spec, path, seed, tmp):
    """Imports and builds an emitted file; compares its names with archc's report, its output on
    seeded random weights with `archc run`, and fvcore's MACs with archc's."""
    report = json.loads(run_archc(archc, "compile", spec, "--report", "json"))
    model = randomize(load(path).build(), torch.Generator().manual_seed(seed))
    names = tensors(model)
    expected_names = [t for layer in report["layers"] for t in layer["tensors"]]
    assert sorted(names) == sorted(expected_names), f"{spec}: state_dict names differ from archc's"
    shape = tuple(report["input_shape"])
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(1000 + seed))
    with torch.no_grad():
        expected = model(x).numpy()
    result = {"tensors": names, "fvcore_macs": fvcore_macs(model, shape), "archc_macs": report["macs"],
              "archc_attention_macs": report.get("attention_macs", 0)}
    try:
        got = archc_output(archc, spec, [], model.state_dict(), x.numpy(), tmp)
        result["max_error"] = float(f"{relative_error(got, expected):.3g}")
    except RuntimeError as error:  # a spec archc cannot run yet (the transformer layers' runtime)
        result["max_error"] = None
        result["archc_run"] = str(error).strip().splitlines()[-1].split(": error: ", 1)[-1]
    return result


def hand_written_check(archc, tmp):
    """The emitted robust models against the blocks make_pytorch_fixtures.py writes by hand from
    docs/paper.md (the independent reference): same state dict, same outputs. The spec, not only
    archc's runtime, is then checked against the paper's block definitions."""
    import make_pytorch_fixtures as hand
    models = {"specs/tiny/tiny-robust-dw.yaml": hand.TINY["tiny-robust-dw"],
              "specs/tiny/tiny-inverted-family.yaml": hand.TINY["tiny-inverted-family"]}
    models.update({spec: (lambda stages=stages: hand.RobustResNet(96, 16, stages, 1000)) for spec, stages in hand.FULL.items()})
    results = {}
    for seed, (spec, build) in enumerate(models.items()):
        emitted = randomize(load(emit(archc, spec, [], tmp / "hand.py")).build(), torch.Generator().manual_seed(700 + seed))
        reference = build().eval()
        reference.load_state_dict(emitted.state_dict())
        shape = emitted.input_shape
        x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(800 + seed))
        with torch.no_grad():
            error = relative_error(emitted(x).numpy(), reference(x).numpy())
        print(f"emitted vs hand-written {spec:55s} error {error:.1e}  {'ok' if error <= 1e-5 else 'MISMATCH'}")
        results[spec] = float(f"{error:.3g}")
    return results


TIMM = {"specs/deit-tiny.yaml": "deit_tiny_patch16_224", "specs/deit-small.yaml": "deit_small_patch16_224",
        "specs/convnext-tiny.yaml": "convnext_tiny"}


def timm_check(archc, tmp):
    """The emitted transformers against timm's models (the independent reference, whose
    runtime archc's IR does not have yet): timm loads the emitted state dict strictly (same
    names and shapes) and computes the same outputs."""
    from count_fvcore_macs import _StandIn
    sys.meta_path.insert(0, _StandIn())  # timm imports torchvision, which these models never use
    import timm
    results = {}
    for seed, (spec, name) in enumerate(TIMM.items()):
        emitted = randomize(load(emit(archc, spec, [], tmp / "timm.py")).build(), torch.Generator().manual_seed(40 + seed))
        reference = timm.create_model(name, pretrained=False).eval()
        reference.load_state_dict(emitted.state_dict(), strict=True)
        x = torch.randn(2, *emitted.input_shape, generator=torch.Generator().manual_seed(50 + seed))
        with torch.no_grad():
            error = relative_error(emitted(x).numpy(), reference(x).numpy())
        print(f"emitted vs timm {name:30s} error {error:.1e}  {'ok' if error <= TOLERANCE else 'MISMATCH'}")
        results[spec] = float(f"{error:.3g}")
    return results


def train_steps(model, shape, generator, steps=3):
    """A few SGD steps on random data in training mode: weights and BatchNorm statistics move."""
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    classes = None
    for _ in range(steps):
        x = torch.randn(4, *shape, generator=generator)
        logits = model(x)
        classes = classes or logits.shape[1]
        target = torch.randint(0, classes, (4,), generator=generator)
        loss = nn.functional.cross_entropy(logits, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def round_trip(archc, name, spec, overrides, seed, tmp, write):
    """emit -> train a little -> torch.save -> the eval-mode logits archc must reproduce."""
    path = emit(archc, spec, overrides, tmp / f"{name}.py")
    model = load(path).build()
    shape = model.input_shape
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    train_steps(model, shape, generator)
    x = torch.randn(2, *shape, generator=generator)
    with torch.no_grad():
        expected = model(x).numpy()
    got = archc_output(archc, spec, overrides, model.state_dict(), x.numpy(), tmp)
    error = relative_error(got, expected)
    print(f"round trip {name:40s} error {error:.1e}  {'ok' if error <= TOLERANCE else 'MISMATCH'}")
    if not write:
        return error
    folder = OUT / "round-trip"
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), folder / f"{name}.pth")
    np.save(folder / f"{name}.input.npy", x.numpy())
    np.save(folder / f"{name}.logits.npy", expected)
    return {"name": name, "spec": spec, "overrides": overrides, "weights": f"{name}.pth", "input": f"{name}.input.npy",
            "logits": f"{name}.logits.npy", "max_error": float(f"{error:.3g}")}


def redo(archc, only):
    """Re-checks some specs and updates their entries in emitted.json."""
    manifest = json.loads((OUT / "emitted.json").read_text())
    entries = {e["spec"]: e for e in manifest["specs"]}
    with tempfile.TemporaryDirectory() as tmp:
        for spec in only:
            entries[spec] = check_spec(archc, spec, SPECS.index(spec), pathlib.Path(tmp))
        manifest["hand_written"] = hand_written_check(archc, pathlib.Path(tmp))
        manifest["timm"] = timm_check(archc, pathlib.Path(tmp))
    manifest["specs"] = [entries[spec] for spec in SPECS if spec in entries]
    (OUT / "emitted.json").write_text(dump(manifest))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archc", default=str(ROOT / ".build" / "debug" / "archc"))
    parser.add_argument("--full", action="store_true", help="also run the round trip on the five full-size CNNs (prints only)")
    parser.add_argument("--only", nargs="*", metavar="SPEC",
                        help="redo these specs only (no round trips), keeping the other entries of emitted.json")
    options = parser.parse_args()
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    if options.only:
        return redo(options.archc, options.only)
    torch.set_num_threads(2)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        specs = [check_spec(options.archc, spec, seed, tmp) for seed, spec in enumerate(SPECS)]
        trips = [round_trip(options.archc, name, spec, overrides, 500 + seed, tmp, write=True)
                 for seed, (name, (spec, overrides)) in enumerate(ROUND_TRIP.items())]
        hand_written = hand_written_check(options.archc, tmp)
        against_timm = timm_check(options.archc, tmp)
        if options.full:
            for seed, spec in enumerate(FULL_ROUND_TRIP):
                round_trip(options.archc, pathlib.Path(spec).stem, spec, [], 900 + seed, tmp, write=False)
    manifest = {"torch": torch.__version__, "tolerance": TOLERANCE, "specs": specs, "round_trip": trips,
                "hand_written": hand_written, "timm": against_timm}
    (OUT / "emitted.json").write_text(dump(manifest))
    bad = [s["spec"] for s in specs if not spec_ok(s)]
    bad += [t["name"] for t in trips if t["max_error"] > TOLERANCE]
    bad += [spec for spec, error in hand_written.items() if error > 1e-5]
    bad += [spec for spec, error in against_timm.items() if error > TOLERANCE]
    print(f"wrote {len(specs)} emitted files and {len(trips)} round trips to {OUT.relative_to(ROOT)}; mismatches: {bad or 'none'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
