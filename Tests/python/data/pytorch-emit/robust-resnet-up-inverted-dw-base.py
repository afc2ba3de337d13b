# robust-resnet-up-inverted-dw-base: the PyTorch model of specs/robust-resnet-up-inverted-dw-base.yaml, written by archc. Do not edit; regenerate with
#   archc compile specs/robust-resnet-up-inverted-dw-base.yaml --emit pytorch -o robust-resnet-up-inverted-dw-base.py
# 133,744,264 parameters, 17,308,906,752 MACs (fvcore's convention) per image.
# The spec as written, unfused: BatchNorm, layer scale and activations are layers of their own, so
# it trains. state_dict() names and shapes are the spec's tensors: a checkpoint saved from it runs
# in archc as it is (archc run specs/robust-resnet-up-inverted-dw-base.yaml --weights model.pth).
import torch
import torch.nn.functional as F
from torch import nn


def centred_padding(kernel: int, dilation: int = 1) -> int:
    """archc's default padding: centred for odd kernels, none for even (patchify) kernels."""
    return dilation * (kernel - 1) // 2 if kernel % 2 == 1 else 0


class Chain(nn.ModuleDict):
    """Named children run in order: a level of block names such as `stages.0.blocks`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for module in self.values():
            x = module(x)
        return x


class RobustUpInvertedDw(nn.Module):
    """Block 'robust-up-inverted-dw' (specs/blocks/robust.yaml:42): Robust-ResNet-Up-Inverted-DW - dw(k, stride) in->dim, BN, pw(dim->r*dim) ReLU, pw(r*dim->dim), gamma."""

    def __init__(self, in_channels: int, *, dim: int, kernel: int = 11, ratio: int = 4, stride: int = 1, downsample: bool = False):
        super().__init__()
        out = dim
        self.conv_dw = nn.Conv2d(in_channels, dim, kernel_size=kernel, stride=stride, padding=centred_padding(kernel), groups=in_channels)
        self.norm1 = nn.BatchNorm2d(dim)
        self.pwconv1 = nn.Conv2d(dim, dim * ratio, kernel_size=1)
        self.pwconv2 = nn.Conv2d(dim * ratio, dim, kernel_size=1)
        self.gamma = nn.Parameter(torch.full((dim,), 1e-6))
        self.downsample = nn.Sequential(
            nn.Conv2d(in_channels, out, kernel_size=1, stride=stride),
            nn.BatchNorm2d(out),
        ) if downsample else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.conv_dw(x)
        x = self.norm1(x)
        x = self.pwconv1(x)
        x = F.relu(x)
        x = self.pwconv2(x)
        x = x * self.gamma[:, None, None]
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        x = x + shortcut
        return x


class RobustResnetUpInvertedDwBase(nn.Module):
    """robust-resnet-up-inverted-dw-base (specs/robust-resnet-up-inverted-dw-base.yaml:7): input (3, 224, 224), output (1000,)."""

    input_shape = (3, 224, 224)

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 96, kernel_size=16, stride=16)
        self.stages = nn.Sequential(
            Chain({
                "blocks": nn.Sequential(
                    RobustUpInvertedDw(96, dim=192, downsample=True),
                    RobustUpInvertedDw(192, dim=192),
                    RobustUpInvertedDw(192, dim=192),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustUpInvertedDw(192, dim=384, downsample=True),
                    RobustUpInvertedDw(384, dim=384),
                    RobustUpInvertedDw(384, dim=384),
                    RobustUpInvertedDw(384, dim=384),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustUpInvertedDw(384, dim=768, downsample=True),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                    RobustUpInvertedDw(768, dim=768),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustUpInvertedDw(768, dim=1536, stride=2, downsample=True),
                    RobustUpInvertedDw(1536, dim=1536),
                    RobustUpInvertedDw(1536, dim=1536),
                ),
            }),
        )
        self.head = nn.Module()
        self.head.fc = nn.Linear(1536, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # stem (specs/robust-resnet-up-inverted-dw-small.yaml:9)
        x = self.stem(x)
        # stages: robust-up-inverted-dw x3, robust-up-inverted-dw x4, robust-up-inverted-dw x14, robust-up-inverted-dw x3
        x = self.stages(x)
        # head (specs/robust-resnet-up-inverted-dw-small.yaml:17)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self.head.fc(x)
        return x


def build() -> RobustResnetUpInvertedDwBase:
    """The model with PyTorch's default initialisation (layer scale at 1e-6), in training mode."""
    return RobustResnetUpInvertedDwBase()
