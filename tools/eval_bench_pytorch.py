"""The peer of `archc eval` for tools/eval-bench.sh: what users run today, on the same files.

An ImageFolder dataset read by a PyTorch DataLoader with 2 worker processes, PIL decoding
and torchvision's evaluation transform (Resize(shorter side), CenterCrop, ToTensor,
Normalize), and the same model in PyTorch: the file `archc compile SPEC --emit pytorch`
writes, with the same state dict archc loads. torchvision is not installable beside this
machine's torch, so its ImageFolder and transforms are written out below as the PIL and
torch calls they make (Resize: the shorter side to `resize`, the longer to
int(resize * long / short), PIL's resampling; CenterCrop: offsets int(round((size - crop) / 2))).

Prints one line: images, top-1, images/s of the streaming loop (DataLoader workers
started, every batch decoded and run; the model built and loaded before), as archc eval's
--profile counts its loop. Needs torch, numpy, pillow."""
import argparse
import importlib.util
import pathlib
import time

import numpy as np
import torch
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[1]


def wnid_index():
    text = (ROOT / "Sources" / "ArchcImage" / "ImageNetSynsets.swift").read_text()
    wnids = [line.strip().strip('",') for line in text.splitlines() if line.strip().startswith('"n')]
    return {w: i for i, w in enumerate(wnids)}


def class_index(name, wnids):
    return wnids[name] if name in wnids else int(name)


class ImageFolder(torch.utils.data.Dataset):
    """ROOT/<class>/<image>, sorted; a class folder is a WordNet ID or a class index."""

    def __init__(self, root, transform):
        wnids = wnid_index()
        self.items = sorted((p, class_index(p.parent.name, wnids)) for p in pathlib.Path(root).glob("*/*") if p.is_file())
        self.transform = transform

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        with open(path, "rb") as f:
            image = Image.open(f).convert("RGB")
        return self.transform(image), label


class EvalTransform:
    """torchvision's Resize(resize) + CenterCrop(crop) + ToTensor() + Normalize(mean, std)."""

    def __init__(self, resize, crop, interpolation, mean, std):
        self.resize, self.crop = resize, crop
        self.resample = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}[interpolation]
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)

    def __call__(self, image):
        w, h = image.size
        short, long = min(w, h), max(w, h)
        new_short, new_long = self.resize, int(self.resize * long / short)
        size = (new_short, new_long) if w <= h else (new_long, new_short)
        image = image.resize(size, self.resample)
        w, h = image.size
        left, top = int(round((w - self.crop) / 2.0)), int(round((h - self.crop) / 2.0))
        image = image.crop((left, top, left + self.crop, top + self.crop))
        x = torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1).float().div(255)
        return (x - self.mean) / self.std


def load_model(model_file, weights):
    spec = importlib.util.spec_from_file_location("emitted_model", model_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build()
    state = torch.load(weights, map_location="cpu", weights_only=True)
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    result = model.load_state_dict(state, strict=False)
    # Only BatchNorm's step counters may differ (archc's loader skips them).
    wrong = [k for k in result.missing_keys + result.unexpected_keys if not k.endswith("num_batches_tracked")]
    if wrong:
        raise SystemExit(f"{weights}: the state dict does not fit {model_file}: {wrong[:5]}")
    return model.eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--model", required=True, help="the file archc compile SPEC --emit pytorch wrote")
    parser.add_argument("--weights", required=True, help="the state dict archc eval loads")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--resize", type=int, default=256)
    parser.add_argument("--crop", type=int, default=224)
    parser.add_argument("--interpolation", default="bilinear")
    parser.add_argument("--mean", type=float, nargs=3, default=[0.485, 0.456, 0.406])
    parser.add_argument("--std", type=float, nargs=3, default=[0.229, 0.224, 0.225])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model, args.weights)
    dataset = ImageFolder(args.root, EvalTransform(args.resize, args.crop, args.interpolation, args.mean, args.std))
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch, num_workers=args.workers)
    start, correct, count = time.perf_counter(), 0, 0
    with torch.inference_mode():
        for x, y in loader:
            correct += int((model(x).argmax(1) == y).sum())
            count += len(y)
    seconds = time.perf_counter() - start
    print(f"pytorch: {count} images, top-1 {correct / count:.4f}, {seconds:.2f} s, {count / seconds:.2f} images/s")


if __name__ == "__main__":
    main()
