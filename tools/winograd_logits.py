"""ResNet-50's logits from `archc run` with each `--conv3x3` choice against PyTorch's on the
same seeded weights (the emitted model, Tests/python/data/pytorch-emit/resnet50.py, with
make_pytorch_emit_fixtures.py's random weights and BatchNorm statistics), batch 2, 224x224.
Prints the largest error relative to the largest logit (the project's bar: 1e-4) and whether
the top-1 classes agree. Needs torch (not needed by the tests):
    python3 tools/winograd_logits.py [--archc .build/release/archc] [--seed S]
"""
import argparse
import pathlib
import sys
import tempfile

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "python"))
import make_pytorch_emit_fixtures as fixtures  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--archc", default=str(ROOT / ".build" / "release" / "archc"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    spec = "specs/resnet50.yaml"
    model = fixtures.randomize(fixtures.load(fixtures.emitted_path(spec)).build(), torch.Generator().manual_seed(args.seed))
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1000 + args.seed))
    with torch.no_grad():
        expected = model(x).numpy()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for choice in ["direct", "winograd", "winograd-2x2", "auto"]:
            got = fixtures.archc_output(args.archc, spec, ["--conv3x3", choice], model.state_dict(), x.numpy(), tmp)
            error = fixtures.relative_error(got, expected)
            same = bool((got.argmax(1) == expected.argmax(1)).all())
            print(f"--conv3x3 {choice:12s} max error / largest logit {error:.2e}  top-1 agrees: {same}")


if __name__ == "__main__":
    main()
