# tiny-resnet: the PyTorch model of specs/tiny/tiny-resnet.yaml, written by archc. Do not edit; regenerate with
#   archc compile specs/tiny/tiny-resnet.yaml --emit pytorch -o tiny-resnet.py
# 3,661 parameters, 140,704 MACs (fvcore's convention) per image.
# The spec as written, unfused: BatchNorm, layer scale and activations are layers of their own, so
# it trains. state_dict() names and shapes are the spec's tensors: a checkpoint saved from it runs
# in archc as it is (archc run specs/tiny/tiny-resnet.yaml --weights model.pth).
import torch
import torch.nn.functional as F
from torch import nn


class Bottleneck(nn.Module):
    """Block 'bottleneck' (specs/blocks/resnet.yaml:3): pw(in->w) BN ReLU, conv3x3(w->w, stride) BN ReLU, pw(w->4w) BN; ReLU after the add."""

    def __init__(self, in_channels: int, *, width: int, expansion: int = 4, stride: int = 1, downsample: bool = False):
        super().__init__()
        out = width * expansion
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, width * expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(width * expansion)
        self.downsample = nn.Sequential(
            nn.Conv2d(in_channels, out, kernel_size=1, stride=stride, bias=False),
            nn.BatchNorm2d(out),
        ) if downsample else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.conv1(x)
        x = self.bn1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = self.bn2(x)
        x = F.relu(x)
        x = self.conv3(x)
        x = self.bn3(x)
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        x = x + shortcut
        x = F.relu(x)
        return x


class TinyResnet(nn.Module):
    """tiny-resnet (specs/tiny/tiny-resnet.yaml:2): input (3, 16, 16), output (5,)."""

    input_shape = (3, 16, 16)

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = nn.Sequential(
            Bottleneck(8, width=4, downsample=True),
        )
        self.layer2 = nn.Sequential(
            Bottleneck(16, width=8, stride=2, downsample=True),
            Bottleneck(32, width=8),
        )
        self.fc = nn.Linear(32, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # stem (specs/tiny/tiny-resnet.yaml:7)
        x = self.conv1(x)
        x = self.bn1(x)
        x = F.relu(x)
        x = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
        # stages: bottleneck x1, bottleneck x2
        x = self.layer1(x)
        x = self.layer2(x)
        # head (specs/tiny/tiny-resnet.yaml:16)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self.fc(x)
        return x


def build() -> TinyResnet:
    """The model with PyTorch's default initialisation (layer scale at 1e-6), in training mode."""
    return TinyResnet()
