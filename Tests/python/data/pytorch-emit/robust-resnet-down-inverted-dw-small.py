# robust-resnet-down-inverted-dw-small: the PyTorch model of specs/robust-resnet-down-inverted-dw-small.yaml, written by archc. Do not edit; regenerate with
#   archc compile specs/robust-resnet-down-inverted-dw-small.yaml --emit pytorch -o robust-resnet-down-inverted-dw-small.py
# 34,325,896 parameters, 4,541,708,544 MACs (fvcore's convention) per image.
# The spec as written, unfused: BatchNorm, layer scale and activations are layers of their own, so
# it trains. state_dict() names and shapes are the spec's tensors: a checkpoint saved from it runs
# in archc as it is (archc run specs/robust-resnet-down-inverted-dw-small.yaml --weights model.pth).
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


class RobustDownInvertedDw(nn.Module):
    """Block 'robust-down-inverted-dw' (specs/blocks/robust.yaml:59): Robust-ResNet-Down-Inverted-DW - pw(in->r*dim) BN ReLU, pw(r*dim->dim), dw(k, stride), gamma."""

    def __init__(self, in_channels: int, *, dim: int, kernel: int = 11, ratio: int = 4, stride: int = 1, downsample: bool = False):
        super().__init__()
        out = dim
        self.pwconv1 = nn.Conv2d(in_channels, dim * ratio, kernel_size=1)
        self.norm2 = nn.BatchNorm2d(dim * ratio)
        self.pwconv2 = nn.Conv2d(dim * ratio, dim, kernel_size=1)
        self.conv_dw = nn.Conv2d(dim, dim, kernel_size=kernel, stride=stride, padding=centred_padding(kernel), groups=dim)
        self.gamma = nn.Parameter(torch.full((dim,), 1e-6))
        self.downsample = nn.Sequential(
            nn.Conv2d(in_channels, out, kernel_size=1, stride=stride),
            nn.BatchNorm2d(out),
        ) if downsample else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.pwconv1(x)
        x = self.norm2(x)
        x = F.relu(x)
        x = self.pwconv2(x)
        x = self.conv_dw(x)
        x = x * self.gamma[:, None, None]
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        x = x + shortcut
        return x


class RobustResnetDownInvertedDwSmall(nn.Module):
    """robust-resnet-down-inverted-dw-small (specs/robust-resnet-down-inverted-dw-small.yaml:2): input (3, 224, 224), output (1000,)."""

    input_shape = (3, 224, 224)

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 96, kernel_size=16, stride=16)
        self.stages = nn.Sequential(
            Chain({
                "blocks": nn.Sequential(
                    RobustDownInvertedDw(96, dim=96),
                    RobustDownInvertedDw(96, dim=96),
                    RobustDownInvertedDw(96, dim=96),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustDownInvertedDw(96, dim=192, downsample=True),
                    RobustDownInvertedDw(192, dim=192),
                    RobustDownInvertedDw(192, dim=192),
                    RobustDownInvertedDw(192, dim=192),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustDownInvertedDw(192, dim=384, downsample=True),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384),
                    RobustDownInvertedDw(384, dim=384, stride=2, downsample=True),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustDownInvertedDw(384, dim=768, downsample=True),
                    RobustDownInvertedDw(768, dim=768),
                    RobustDownInvertedDw(768, dim=768),
                ),
            }),
        )
        self.head = nn.Module()
        self.head.fc = nn.Linear(768, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # stem (specs/robust-resnet-down-inverted-dw-small.yaml:9)
        x = self.stem(x)
        # stages: robust-down-inverted-dw x3, robust-down-inverted-dw x4, robust-down-inverted-dw x15, robust-down-inverted-dw x3
        x = self.stages(x)
        # head (specs/robust-resnet-down-inverted-dw-small.yaml:17)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self.head.fc(x)
        return x


def build() -> RobustResnetDownInvertedDwSmall:
    """The model with PyTorch's default initialisation (layer scale at 1e-6), in training mode."""
    return RobustResnetDownInvertedDwSmall()
