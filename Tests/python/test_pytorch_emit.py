"""`archc compile --emit pytorch` (issue #16), against the fixtures make_pytorch_emit_fixtures.py
wrote under data/pytorch-emit/ with PyTorch.

Without PyTorch (CI): archc's emitted file for every spec is byte-identical to the checked-in
one and is plain Python importing only torch; the round-trip checkpoints (trained a few SGD
steps in PyTorch from emitted modules, saved with torch.save) give PyTorch's eval-mode
logits in `archc run` within 1e-4 of the largest logit.
With PyTorch installed, the live checks also run: emitted modules build, their state_dict()
names and shapes are archc's, their outputs equal archc's runtime, and (with fvcore) their
MACs equal archc's."""
import ast
import hashlib
import importlib.util
import json

import numpy as np
import pytest

from test_onnx_export import ARCHC, ROOT, archc

DATA = ROOT / "Tests" / "python" / "data" / "pytorch-emit"
MANIFEST = json.loads((DATA / "emitted.json").read_text())
SPECS = MANIFEST["specs"]
TRIPS = MANIFEST["round_trip"]
TOLERANCE = MANIFEST["tolerance"]

try:
    import torch
except ImportError:  # CI: the live checks below skip, saying so
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed: live PyTorch checks skipped (fixtures still checked)")


def emit(spec, tmp_path, *overrides, name=None):
    path = tmp_path / (name or pathlib_name(spec))
    archc("compile", spec, *overrides, "--emit", "pytorch", "-o", str(path))
    return path


def pathlib_name(spec):
    return spec.split("/")[-1].replace(".yaml", ".py")


@pytest.mark.parametrize("entry", SPECS, ids=[e["spec"] for e in SPECS])
def test_emitted_file_is_byte_identical(entry, tmp_path):
    path = emit(entry["spec"], tmp_path)
    checked_in = DATA / entry["file"]
    assert path.read_bytes() == checked_in.read_bytes(), "emitter drift: run Tests/python/make_pytorch_emit_fixtures.py"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]


@pytest.mark.parametrize("entry", SPECS, ids=[e["spec"] for e in SPECS])
def test_emitted_file_is_python_importing_only_torch(entry):
    tree = ast.parse((DATA / entry["file"]).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"torch"}
    functions = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert "build" in functions


@pytest.mark.parametrize("trip", TRIPS, ids=[t["name"] for t in TRIPS])
def test_round_trip_checkpoint_runs_in_archc(trip, tmp_path):
    folder = DATA / "round-trip"
    archc("run", trip["spec"], *trip["overrides"], "--weights", str(folder / trip["weights"]), "--strict",
          "--input", str(folder / trip["input"]), "--output", str(tmp_path / "y.npy"))
    got, expected = np.load(tmp_path / "y.npy"), np.load(folder / trip["logits"])
    assert got.shape == expected.shape
    error = np.abs(got - expected).max() / np.abs(expected).max()
    print(f"{trip['name']}: max error / max |logit| = {error:.2e}")
    assert error <= TOLERANCE


# ---- Live checks: only where PyTorch is installed ----------------------------------------

LIVE = ["specs/tiny/tiny-robust-dw.yaml", "specs/tiny/tiny-inverted-family.yaml", "specs/tiny/tiny-resnet.yaml"]


def load(path):
    module_spec = importlib.util.spec_from_file_location(path.stem.replace("-", "_"), path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@needs_torch
@pytest.mark.parametrize("spec", LIVE)
def test_live_emitted_module_matches_archc(spec, tmp_path):
    from make_pytorch_emit_fixtures import check_spec_live
    result = check_spec_live(ARCHC, spec, emit(spec, tmp_path), seed=7, tmp=tmp_path)
    assert result["max_error"] <= TOLERANCE
    if result["fvcore_macs"] is not None:
        assert result["fvcore_macs"] == result["archc_macs"]


@needs_torch
def test_live_round_trip(tmp_path):
    from make_pytorch_emit_fixtures import round_trip
    result = round_trip(ARCHC, "live", "specs/tiny/tiny-robust-dw.yaml", [], 11, tmp_path, write=False)
    assert result <= TOLERANCE


HOSTILE_BASE = """model: t
input: {channels: 3, size: 16}
blocks:
  b:
    params: {PARAM: int, other: 4}
    out: PARAM
    body:
      - conv: {name: c, out: OUT, kernel: 3}
      - relu
stem:
  - conv: {name: c1, out: 8, kernel: 3, stride: 1}
  - relu
stages:
  - {block: b, depth: 1, PARAM: 8, other: 5}
head:
  - pool: global-avg
  - linear: {name: fc, out: 5}
"""


@pytest.mark.parametrize("param, out, model", [
    ("in_channels", "in_channels", "t"), ("residual", "residual", "t"), ("max", "'max(max, 4)'", "t"),
    ("min", "'min(min, other + 12)'", "t"), ("__class__", "__class__", "t"), ("_x", "_x", "t"), ("skip2", "skip2", "t"),
    ("max_", "'max(max_, 4)'", "t"), ("dim", "dim", "f"), ("dim", "dim", "none"), ("dim", "dim", "build"),
])
def test_names_the_emitted_code_uses_are_renamed(param, out, model, tmp_path):
    spec = tmp_path / "hostile.yaml"
    spec.write_text(HOSTILE_BASE.replace("PARAM", param).replace("OUT", out).replace("model: t", f"model: {model}"))
    path = emit(str(spec), tmp_path, name="hostile.py")
    ast.parse(path.read_text())
    if torch is None:
        return
    net = load(path).build().eval()
    assert tuple(net(torch.randn(2, 3, 16, 16)).shape) == (2, 5)
    assert "stages.0.blocks.0.c.weight" in net.state_dict()
    assert tuple(net.state_dict()["stages.0.blocks.0.c.weight"].shape)[0] == 8
