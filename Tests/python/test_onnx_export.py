"""archc's ONNX export against ONNX Runtime: every spec in specs/ exports, passes
onnx.checker with full checks, and ONNX Runtime's output on archc's export matches archc's
own runtime on the same weights and input within 1e-4 relative.

Run by ./test.sh (which installs onnx, onnxruntime, numpy and pytest from PyPI).
ARCHC is the archc binary to test (default: .build/release/archc)."""
import os
import pathlib
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARCHC = os.environ.get("ARCHC", str(ROOT / ".build" / "release" / "archc"))
SPECS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").rglob("*.yaml") if "blocks" not in p.parts)
# Full-size models run at a reduced input size to keep the suite within minutes on 2 cores;
# one of each block type also runs at 224 below.
REDUCED = ["--set", "input.size=64", "--set", "budget=~"]


def archc(*args):
    result = subprocess.run([ARCHC, *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


def reduced(spec):
    return [] if spec.startswith("specs/tiny/") else REDUCED


def compare(spec, overrides, tmp_path, batch=2, graph="unfused"):
    model = tmp_path / "model.onnx"
    archc("compile", spec, *overrides, "--emit", "onnx", "-o", str(model), "--onnx-graph", graph, "--seed", "3", "--init", "stress")
    proto = onnx.load(str(model))
    onnx.checker.check_model(proto, full_check=True)
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    shape = [batch] + [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim[1:]]
    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    archc("run", spec, *overrides, "--seed", "3", "--init", "stress", "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"))
    expected = session.run(None, {session.get_inputs()[0].name: x})[0]
    got = np.load(tmp_path / "y.npy")
    assert got.shape == expected.shape
    error = np.abs(got - expected).max() / np.abs(expected).max()
    print(f"{spec} {overrides} {graph}: max relative error {error:.2e}")
    assert error <= 1e-4
    # Every name is defined once, and the graph reads every initializer (the spec's tensors
    # as the checkpoint has them, none left dead beside a made-up copy).
    defined = [t.name for t in proto.graph.initializer] + [i.name for i in proto.graph.input]
    defined += [o for n in proto.graph.node for o in n.output]
    assert len(defined) == len(set(defined)), sorted(n for n in set(defined) if defined.count(n) > 1)
    nodes = [n.name for n in proto.graph.node]
    assert len(nodes) == len(set(nodes))
    read = {i for n in proto.graph.node for i in n.input}
    assert [t.name for t in proto.graph.initializer if t.name not in read] == []
    return proto


@pytest.mark.parametrize("spec", SPECS)
def test_spec_exports_and_matches_onnxruntime(spec, tmp_path):
    proto = compare(spec, reduced(spec), tmp_path)
    names = {t.name for t in proto.graph.initializer}
    assert any(n.endswith(".weight") for n in names)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"


@pytest.mark.parametrize("spec", ["specs/robust-resnet-dw-small.yaml", "specs/resnet50.yaml", "specs/deit-small.yaml"])
def test_full_size_models_match_at_224(spec, tmp_path):
    compare(spec, [], tmp_path, batch=1)


@pytest.mark.parametrize("spec", ["specs/tiny/tiny-resnet.yaml", "specs/robust-resnet-down-inverted-dw-small.yaml",
                                  "specs/deit-small.yaml", "specs/convnext-tiny.yaml"])
def test_optimized_graph_exports_and_matches(spec, tmp_path):
    proto = compare(spec, reduced(spec), tmp_path, graph="optimized")
    ops = {n.op_type for n in proto.graph.node}
    assert "BatchNormalization" not in ops


def test_initializers_carry_the_checkpoint_names(tmp_path):
    model = tmp_path / "m.onnx"
    archc("compile", "specs/robust-resnet-dw-small.yaml", *REDUCED, "--emit", "onnx", "-o", str(model))
    names = {t.name for t in onnx.load(str(model)).graph.initializer}
    reference = ROOT / "Tests" / "ArchcSpecTests" / "Fixtures" / "reference" / "robust_resnet_dw_small.params.txt"
    wanted = {line.split("\t")[0] for line in reference.read_text().splitlines()
              if not line.startswith("#") and "num_batches_tracked" not in line}
    assert wanted <= names


SCALED = """model: scaled
input: {channels: 3, size: 16}
stem:
  - conv: {name: c1, out: 8, kernel: 3, stride: 1}
  - scale: 'NAME'
blocks:
  b:
    params: {dim: int}
    out: dim
    body:
      - conv: {name: c, out: dim, kernel: 3}
      - relu
stages:
  - {block: b, depth: 1, dim: 8}
head:
  - pool: global-avg
  - linear: {name: fc, out: 5}
"""


@pytest.mark.parametrize("graph", ["unfused", "optimized"])
@pytest.mark.parametrize("name", ["v1", "v2", "t1", "input", "output", "archc.axes_1_2", "c1.archc_ones"])
def test_tensor_names_like_the_exporters_own_stay_unique(name, graph, tmp_path):
    spec = tmp_path / "scaled.yaml"
    spec.write_text(SCALED.replace("NAME", name))
    proto = compare(str(spec), [], tmp_path, graph=graph)
    if graph == "unfused":
        assert name in {t.name for t in proto.graph.initializer}


def test_linear_weights_are_read_under_their_checkpoint_names(tmp_path):
    model = tmp_path / "m.onnx"
    archc("compile", "specs/deit-tiny.yaml", *REDUCED, "--emit", "onnx", "-o", str(model), "--seed", "3")
    proto = onnx.load(str(model))
    weights = {t.name: t for t in proto.graph.initializer}
    assert "blocks.0.mlp.fc1.weight" in weights
    assert not any(name.endswith(".archc_t") for name in weights)
    # Changing a spec-named weight in the file changes the output.
    x = np.random.default_rng(0).standard_normal([1, 3, 64, 64], dtype=np.float32)
    before = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    fc1 = weights["blocks.0.mlp.fc1.weight"]
    fc1.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(fc1) * 2, fc1.name))
    after = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    assert np.abs(after - before).max() > 1e-3
