"""archc against timm itself: the fixtures in data/timm/ (seeded random weights under timm's
state-dict names, inputs, and the logits timm computed) were made by make_timm_fixtures.py.
archc's runtime, and archc's ONNX export run by ONNX Runtime, read the same weights and input
and must give timm's logits (max error <= 1e-4 of the largest logit) and top-1 per input.
Neither timm nor torch is needed to run this."""
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from test_onnx_export import ROOT, archc

DATA = ROOT / "Tests" / "python" / "data" / "timm"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
FIXTURES = MANIFEST["fixtures"]
TOLERANCE = 1e-4


def assert_matches(got, expected, what):
    assert got.shape == expected.shape
    error = np.abs(got - expected).max() / np.abs(expected).max()
    print(f"{what}: max error / max |logit| = {error:.2e}")
    assert error <= TOLERANCE, f"{what}: {error:.2e} > {TOLERANCE}"
    assert (got.argmax(1) == expected.argmax(1)).all(), f"{what}: top-1 differs"


def test_manifest_covers_a_vit_and_a_convnext():
    models = {entry["timm_model"] for entry in FIXTURES}
    assert "deit_tiny_patch16_224" in models and "tiny-convnext" in models


@pytest.mark.parametrize("entry", FIXTURES, ids=lambda e: e["name"])
def test_runtime_matches_timm(entry, tmp_path):
    archc("run", entry["spec"], "--weights", str(DATA / entry["weights"]), "--input", str(DATA / entry["input"]),
          "--output", str(tmp_path / "y.npy"), "--threads", "2")
    assert_matches(np.load(tmp_path / "y.npy"), np.load(DATA / entry["logits"]), entry["name"] + " runtime")


@pytest.mark.parametrize("graph", ["unfused", "optimized"])
@pytest.mark.parametrize("entry", FIXTURES, ids=lambda e: e["name"])
def test_onnx_export_matches_timm(entry, graph, tmp_path):
    model = tmp_path / "model.onnx"
    archc("compile", entry["spec"], "--emit", "onnx", "-o", str(model), "--weights", str(DATA / entry["weights"]),
          "--onnx-graph", graph)
    onnx.checker.check_model(onnx.load(str(model)), full_check=True)
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": np.load(DATA / entry["input"])})[0]
    assert_matches(got, np.load(DATA / entry["logits"]), f"{entry['name']} ONNX ({graph}) in ONNX Runtime")


def test_thread_count_does_not_change_deit(tmp_path):
    entry = next(e for e in FIXTURES if e["name"] == "deit-tiny")
    outputs = []
    for threads in ["1", "3"]:
        archc("run", entry["spec"], "--weights", str(DATA / entry["weights"]), "--input", str(DATA / entry["input"]),
              "--output", str(tmp_path / f"y{threads}.npy"), "--threads", threads)
        outputs.append(np.load(tmp_path / f"y{threads}.npy"))
    assert np.array_equal(outputs[0], outputs[1])
