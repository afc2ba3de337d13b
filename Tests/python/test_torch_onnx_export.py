"""tools/torch-onnx-export, the PyTorch export ./bench.sh times ONNX Runtime on: without torch
it exits with status 3 and says why (bench.sh then prints the reason instead of the table);
with torch, on a tiny spec, the export runs in ONNX Runtime at the batch it was made for.

ARCHC is the archc binary (default: .build/release/archc)."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARCHC = os.environ.get("ARCHC", str(ROOT / ".build" / "release" / "archc"))
TOOL = ROOT / "tools" / "torch-onnx-export"


def test_without_torch_exits_3_with_the_reason(tmp_path):
    hidden = tmp_path / "hidden" / "torch"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('torch hidden by the test')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "hidden"))
    result = subprocess.run([sys.executable, str(TOOL), "specs/tiny/tiny-resnet.yaml", str(tmp_path / "m.onnx"), "--archc", ARCHC],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 3
    assert "torch is not installed" in result.stderr
    assert not (tmp_path / "m.onnx").exists()


def test_export_runs_in_onnxruntime_at_its_batch(tmp_path):
    pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "tiny.onnx"
    subprocess.run([sys.executable, str(TOOL), "specs/tiny/tiny-resnet.yaml", str(out), "--batch", "2", "--archc", ARCHC],
                   cwd=ROOT, check=True, capture_output=True)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape
    assert shape[0] == 2
    y = session.run(None, {"input": np.zeros(shape, dtype=np.float32)})[0]
    assert y.shape[0] == 2 and np.isfinite(y).all()
