"""The peer of `archc eval` for tools/eval-bench.sh: an ImageFolder read by a PyTorch
DataLoader with 2 worker processes, PIL decoding and EfficientNet-Lite0's preprocessing
(shorter side 256 bicubic, centre crop 224, (x - 0.498) / 0.502), the trained model from
efficientnet-lite-pytorch; prints top-1 and images/s end to end.
Needs torch, efficientnet-lite-pytorch, pillow (torchvision not needed)."""
import argparse
import pathlib
import time

import numpy as np
import torch
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[1]


def wnid_index():
    text = (ROOT / "Sources" / "ArchcImage" / "ImageNetSynsets.swift").read_text()
    return {w: i for i, w in enumerate(l.strip().strip('",') for l in text.splitlines() if l.strip().startswith('"n'))}


class Folder(torch.utils.data.Dataset):
    def __init__(self, root):
        index = wnid_index()
        self.items = sorted((p, index[p.parent.name]) for p in pathlib.Path(root).glob("*/*") if p.is_file())

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        image = Image.open(path).convert("RGB")
        w, h = image.size
        image = image.resize((round(w * 256 / min(w, h)), round(h * 256 / min(w, h))), Image.BICUBIC)
        w, h = image.size
        left, top = (w - 224) // 2, (h - 224) // 2
        x = (np.asarray(image.crop((left, top, left + 224, top + 224)), dtype=np.float32) / 255 - 0.498) / 0.502
        return torch.from_numpy(x.transpose(2, 0, 1).copy()), label


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from efficientnet_lite_pytorch import EfficientNet
    model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(ROOT / ".cache" / "efficientnet-lite0.pth")).eval()
    loader = torch.utils.data.DataLoader(Folder(args.root), batch_size=args.batch, num_workers=2)
    start, correct, count = time.perf_counter(), 0, 0
    with torch.no_grad():
        for x, y in loader:
            correct += int((model(x).argmax(1) == y).sum())
            count += len(y)
    seconds = time.perf_counter() - start
    print(f"PyTorch DataLoader: {count} images, top-1 {correct / count:.4f}, {count / seconds:.1f} images/s end to end")


if __name__ == "__main__":
    main()
