# resnet50-patchify-p4: the PyTorch model of specs/ablations/resnet50-patchify-p4.yaml, written by archc. Do not edit; regenerate with
#   archc compile specs/ablations/resnet50-patchify-p4.yaml --emit pytorch -o resnet50-patchify-p4.py
# 25,550,696 parameters, 4,001,928,192 MACs (fvcore's convention) per image.
# The spec as written, unfused: BatchNorm, layer scale and activations are layers of their own, so
# it trains. state_dict() names and shapes are the spec's tensors: a checkpoint saved from it runs
# in archc as it is (archc run specs/ablations/resnet50-patchify-p4.yaml --weights model.pth).
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


class Resnet50PatchifyP4(nn.Module):
    """resnet50-patchify-p4 (specs/ablations/resnet50-patchify-p4.yaml:4): input (3, 224, 224), output (1000,)."""

    input_shape = (3, 224, 224)

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=4, stride=4, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = nn.Sequential(
            Bottleneck(64, width=64, downsample=True),
            Bottleneck(256, width=64),
            Bottleneck(256, width=64),
        )
        self.layer2 = nn.Sequential(
            Bottleneck(256, width=128, stride=2, downsample=True),
            Bottleneck(512, width=128),
            Bottleneck(512, width=128),
            Bottleneck(512, width=128),
        )
        self.layer3 = nn.Sequential(
            Bottleneck(512, width=256, stride=2, downsample=True),
            Bottleneck(1024, width=256),
            Bottleneck(1024, width=256),
            Bottleneck(1024, width=256),
            Bottleneck(1024, width=256),
            Bottleneck(1024, width=256),
        )
        self.layer4 = nn.Sequential(
            Bottleneck(1024, width=512, stride=2, downsample=True),
            Bottleneck(2048, width=512),
            Bottleneck(2048, width=512),
        )
        self.fc = nn.Linear(2048, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # stem (specs/ablations/resnet50-patchify-p4.yaml:7)
        x = self.conv1(x)
        x = self.bn1(x)
        x = F.relu(x)
        # stages: bottleneck x3, bottleneck x4, bottleneck x6, bottleneck x3
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        # head (specs/resnet50.yaml:18)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self.fc(x)
        return x


def build() -> Resnet50PatchifyP4:
    """The model with PyTorch's default initialisation (layer scale at 1e-6), in training mode."""
    return Resnet50PatchifyP4()
