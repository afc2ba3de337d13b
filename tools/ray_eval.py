"""Runs `archc eval` across a Ray cluster: one Ray task per shard, each running
`archc eval ... --shard K/N --report json`, the parts merged by `archc eval merge`. The
result is the report a single `archc eval` run gives.

    python3 tools/ray_eval.py --shards 16 [--address auto] [--archc PATH] -- \\
        specs/efficientnet-lite0.yaml --weights W --imagenet-c /data/imagenet-c

Every node must see archc, the spec, the weights and the data at the same paths (a shared
file system). Without --address Ray starts a local cluster on this machine.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import ray


@ray.remote
def run_shard(archc, arguments, index, count):
    """One shard's partial result (JSON text); a failing archc fails the task with its message."""
    command = [archc, "eval", *arguments, "--shard", f"{index}/{count}", "--report", "json"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"shard {index}/{count}: {' '.join(command)}\n{result.stderr}")
    return result.stdout


def evaluate(archc, arguments, shards, report="json"):
    """Runs the shards as Ray tasks (ray.init must have been called) and merges them."""
    parts = ray.get([run_shard.remote(archc, arguments, k, shards) for k in range(shards)])
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for k, text in enumerate(parts):
            path = os.path.join(folder, f"part{k}.json")
            with open(path, "w") as f:
                f.write(text)
            files.append(path)
        merged = subprocess.run([archc, "eval", "merge", *files, "--report", report], capture_output=True, text=True)
    if merged.returncode != 0:
        raise RuntimeError(f"archc eval merge: {merged.stderr}")
    return merged.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shards", type=int, required=True, help="how many Ray tasks (shards)")
    parser.add_argument("--address", help="Ray cluster address (e.g. auto); default: a local cluster")
    parser.add_argument("--archc", default="archc", help="the archc binary on every node")
    parser.add_argument("--report", default="text", choices=["text", "json", "csv"])
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="-- then archc eval's arguments (one spec)")
    args = parser.parse_args()
    arguments = args.arguments[1:] if args.arguments[:1] == ["--"] else args.arguments
    if args.shards < 1 or not arguments:
        parser.error("give --shards N >= 1 and, after --, archc eval's arguments")
    ray.init(address=args.address)
    sys.stdout.write(evaluate(args.archc, arguments, args.shards, args.report))


if __name__ == "__main__":
    main()
