"""tools/ray_eval.py on a local Ray cluster: `archc eval --shard K/N` as Ray tasks, merged,
gives exactly the single run's report (the tiny spec with seeded weights, on the fixture photos)."""
import json
import pathlib
import shutil
import sys

import pytest

from test_onnx_export import ARCHC, ROOT, archc

ray = pytest.importorskip("ray")
sys.path.insert(0, str(ROOT / "tools"))
import ray_eval  # noqa: E402

PHOTOS = ROOT / "Tests" / "ArchcImageTests" / "Fixtures" / "images"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("ray-imagefolder")
    photos = ["cat.jpg", "cat-gray.png", "cat-rgba.png"]
    for label in range(10):
        (root / str(label)).mkdir()
        for k in range(label % 3 + 1):
            photo = photos[(label + k) % 3]
            shutil.copy(PHOTOS / photo, root / str(label) / f"{k}-{photo}")
    return root


def test_ray_shards_merged_equal_single_run(tree):
    # Absolute paths: Ray's worker processes need not start in this directory.
    arguments = [str(ROOT / "specs/tiny/tiny-robust-dw.yaml"), "--data", str(tree), "--threads", "1", "--batch", "3"]
    single = archc("eval", *arguments, "--report", "json").stdout
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        merged = ray_eval.evaluate(str(pathlib.Path(ARCHC).resolve()), arguments, shards=3)
    finally:
        ray.shutdown()
    assert merged == single
    assert json.loads(single)["count"] == 19
