# tiny-inverted-family: the PyTorch model of specs/tiny/tiny-inverted-family.yaml, written by archc. Do not edit; regenerate with
#   archc compile specs/tiny/tiny-inverted-family.yaml --emit pytorch -o tiny-inverted-family.py
# 7,171 parameters, 595,206 MACs (fvcore's convention) per image.
# The spec as written, unfused: BatchNorm, layer scale and activations are layers of their own, so
# it trains. state_dict() names and shapes are the spec's tensors: a checkpoint saved from it runs
# in archc as it is (archc run specs/tiny/tiny-inverted-family.yaml --weights model.pth).
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


class RobustInvertedDw(nn.Module):
    """Block 'robust-inverted-dw' (specs/blocks/robust.yaml:25): Robust-ResNet-Inverted-DW - pw(in->r*dim) BN ReLU, dw(k, stride), pw(r*dim->dim), gamma."""

    def __init__(self, in_channels: int, *, dim: int, kernel: int = 7, ratio: int = 4, stride: int = 1, downsample: bool = False):
        super().__init__()
        out = dim
        self.pwconv1 = nn.Conv2d(in_channels, dim * ratio, kernel_size=1)
        self.norm1 = nn.BatchNorm2d(dim * ratio)
        self.conv_dw = nn.Conv2d(dim * ratio, dim * ratio, kernel_size=kernel, stride=stride, padding=centred_padding(kernel), groups=dim * ratio)
        self.pwconv2 = nn.Conv2d(dim * ratio, dim, kernel_size=1)
        self.gamma = nn.Parameter(torch.full((dim,), 1e-6))
        self.downsample = nn.Sequential(
            nn.Conv2d(in_channels, out, kernel_size=1, stride=stride),
            nn.BatchNorm2d(out),
        ) if downsample else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.pwconv1(x)
        x = self.norm1(x)
        x = F.relu(x)
        x = self.conv_dw(x)
        x = self.pwconv2(x)
        x = x * self.gamma[:, None, None]
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        x = x + shortcut
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


class TinyInvertedFamily(nn.Module):
    """tiny-inverted-family (specs/tiny/tiny-inverted-family.yaml:2): input (3, 15, 15), output (7,)."""

    input_shape = (3, 15, 15)

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 6, kernel_size=3, padding=1)
        self.stages = nn.Sequential(
            Chain({
                "blocks": nn.Sequential(
                    RobustInvertedDw(6, dim=6, kernel=3),
                    RobustInvertedDw(6, dim=6, kernel=3),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustUpInvertedDw(6, dim=12, kernel=5, stride=2, downsample=True),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustDownInvertedDw(12, dim=12, kernel=7),
                    RobustDownInvertedDw(12, dim=12, kernel=7, stride=2, downsample=True),
                ),
            }),
        )
        self.head = nn.Module()
        self.head.fc = nn.Linear(12, 7)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # stem (specs/tiny/tiny-inverted-family.yaml:6)
        x = self.stem(x)
        # stages: robust-inverted-dw x2, robust-up-inverted-dw x1, robust-down-inverted-dw x2
        x = self.stages(x)
        # head (specs/tiny/tiny-inverted-family.yaml:12)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self.head.fc(x)
        return x


def build() -> TinyInvertedFamily:
    """The model with PyTorch's default initialisation (layer scale at 1e-6), in training mode."""
    return TinyInvertedFamily()
