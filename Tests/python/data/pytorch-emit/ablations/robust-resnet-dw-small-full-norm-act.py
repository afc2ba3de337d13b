# robust-resnet-dw-small-full-norm-act: the PyTorch model of specs/ablations/robust-resnet-dw-small-full-norm-act.yaml, written by archc. Do not edit; regenerate with
#   archc compile specs/ablations/robust-resnet-dw-small-full-norm-act.yaml --emit pytorch -o robust-resnet-dw-small-full-norm-act.py
# 38,669,992 parameters, 4,490,029,440 MACs (fvcore's convention) per image.
# The spec as written, unfused: BatchNorm, layer scale and activations are layers of their own, so
# it trains. state_dict() names and shapes are the spec's tensors: a checkpoint saved from it runs
# in archc as it is (archc run specs/ablations/robust-resnet-dw-small-full-norm-act.yaml --weights model.pth).
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


class RobustDwFull(nn.Module):
    """Block 'robust-dw-full' (specs/blocks/robust-variants.yaml:6): Robust-ResNet-DW with BN after each conv and ReLU after the first two."""

    def __init__(self, in_channels: int, *, dim: int, kernel: int = 11, ratio: int = 4, stride: int = 1, downsample: bool = False):
        super().__init__()
        out = dim * ratio
        self.pwconv1 = nn.Conv2d(in_channels, dim, kernel_size=1)
        self.norm1 = nn.BatchNorm2d(dim)
        self.conv_dw = nn.Conv2d(dim, dim, kernel_size=kernel, stride=stride, padding=centred_padding(kernel), groups=dim)
        self.norm2 = nn.BatchNorm2d(dim)
        self.pwconv2 = nn.Conv2d(dim, dim * ratio, kernel_size=1)
        self.norm3 = nn.BatchNorm2d(dim * ratio)
        self.gamma = nn.Parameter(torch.full((dim * ratio,), 1e-6))
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
        x = self.norm2(x)
        x = F.relu(x)
        x = self.pwconv2(x)
        x = self.norm3(x)
        x = x * self.gamma[:, None, None]
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        x = x + shortcut
        x = F.relu(x)
        return x


class RobustResnetDwSmallFullNormAct(nn.Module):
    """robust-resnet-dw-small-full-norm-act (specs/ablations/robust-resnet-dw-small-full-norm-act.yaml:4): input (3, 224, 224), output (1000,)."""

    input_shape = (3, 224, 224)

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 96, kernel_size=16, stride=16)
        self.stages = nn.Sequential(
            Chain({
                "blocks": nn.Sequential(
                    RobustDwFull(96, dim=96, downsample=True),
                    RobustDwFull(384, dim=96),
                    RobustDwFull(384, dim=96),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustDwFull(384, dim=192, downsample=True),
                    RobustDwFull(768, dim=192),
                    RobustDwFull(768, dim=192),
                    RobustDwFull(768, dim=192),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustDwFull(768, dim=384, downsample=True),
                    RobustDwFull(1536, dim=384),
                    RobustDwFull(1536, dim=384),
                    RobustDwFull(1536, dim=384),
                    RobustDwFull(1536, dim=384),
                    RobustDwFull(1536, dim=384),
                    RobustDwFull(1536, dim=384),
                    RobustDwFull(1536, dim=384),
                    RobustDwFull(1536, dim=384),
                    RobustDwFull(1536, dim=384),
                    RobustDwFull(1536, dim=384),
                    RobustDwFull(1536, dim=384),
                ),
            }),
            Chain({
                "blocks": nn.Sequential(
                    RobustDwFull(1536, dim=768, stride=2, downsample=True),
                    RobustDwFull(3072, dim=768),
                    RobustDwFull(3072, dim=768),
                ),
            }),
        )
        self.head = nn.Module()
        self.head.fc = nn.Linear(3072, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # stem (specs/robust-resnet-dw-small.yaml:9)
        x = self.stem(x)
        # stages: robust-dw-full x3, robust-dw-full x4, robust-dw-full x12, robust-dw-full x3
        x = self.stages(x)
        # head (specs/robust-resnet-dw-small.yaml:17)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self.head.fc(x)
        return x


def build() -> RobustResnetDwSmallFullNormAct:
    """The model with PyTorch's default initialisation (layer scale at 1e-6), in training mode."""
    return RobustResnetDwSmallFullNormAct()
