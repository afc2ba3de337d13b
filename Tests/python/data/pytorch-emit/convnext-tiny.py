# convnext-tiny: the PyTorch model of specs/convnext-tiny.yaml, written by archc. Do not edit; regenerate with
#   archc compile specs/convnext-tiny.yaml --emit pytorch -o convnext-tiny.py
# 28,589,128 parameters, 4,470,437,376 MACs (fvcore's convention) per image.
# The spec as written, unfused: BatchNorm, layer scale and activations are layers of their own, so
# it trains. state_dict() names and shapes are the spec's tensors: a checkpoint saved from it runs
# in archc as it is (archc run specs/convnext-tiny.yaml --weights model.pth).
import torch
import torch.nn.functional as F
from torch import nn


def centred_padding(kernel: int, dilation: int = 1) -> int:
    """archc's default padding: centred for odd kernels, none for even (patchify) kernels."""
    return dilation * (kernel - 1) // 2 if kernel % 2 == 1 else 0


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a feature map (N, C, H, W), at every pixel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class DropPath(nn.Module):
    """Stochastic depth: in training, drops a sample's branch with probability p and rescales the
    others; the identity in eval mode."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep


class Chain(nn.ModuleDict):
    """Named children run in order: a level of block names such as `stages.0.blocks`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for module in self.values():
            x = module(x)
        return x


class Convnext(nn.Module):
    """Block 'convnext' (specs/blocks/convnext.yaml:10): ConvNeXt block - dw kxk, LN (channels-last), fc1 (ratio x C), GELU, fc2, gamma; identity shortcut."""

    def __init__(self, in_channels: int, *, dim: int, kernel: int = 7, ratio: int = 4, stride: int = 1):
        super().__init__()
        self.conv_dw = nn.Conv2d(in_channels, in_channels, kernel_size=kernel, padding=centred_padding(kernel), groups=in_channels)
        self.norm = LayerNorm2d(in_channels, eps=1e-06)
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Linear(in_channels, dim * ratio)
        self.mlp.fc2 = nn.Linear(dim * ratio, dim)
        self.gamma = nn.Parameter(torch.full((dim,), 1e-6))
        self.drop_path1 = DropPath(0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.conv_dw(x)
        x = self.norm(x)
        x = self.mlp.fc1(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = F.gelu(x)
        x = self.mlp.fc2(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = x * self.gamma[:, None, None]
        x = self.drop_path1(x)
        x = x + shortcut
        return x


class ConvnextDownsample(nn.Module):
    """Block 'convnext-downsample' (specs/blocks/convnext.yaml:24): ConvNeXt downsample - LN over channels, conv 2x2 stride 2 to dim."""

    def __init__(self, in_channels: int, *, dim: int, stride: int = 1):
        super().__init__()
        self.add_module("0", LayerNorm2d(in_channels, eps=1e-06))
        self.add_module("1", nn.Conv2d(in_channels, dim, kernel_size=2, stride=stride))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = getattr(self, "0")(x)
        x = getattr(self, "1")(x)
        return x


class ConvnextTiny(nn.Module):
    """convnext-tiny (specs/convnext-tiny.yaml:5): input (3, 224, 224), output (1000,)."""

    input_shape = (3, 224, 224)

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.ModuleList([
            nn.Conv2d(3, 96, kernel_size=4, stride=4),
            LayerNorm2d(96, eps=1e-06),
        ])
        self.stages = nn.Sequential(
            Chain({
                "blocks": nn.Sequential(
                    Convnext(96, dim=96),
                    Convnext(96, dim=96),
                    Convnext(96, dim=96),
                ),
            }),
            Chain({
                "downsample": ConvnextDownsample(96, dim=192, stride=2),
                "blocks": nn.Sequential(
                    Convnext(192, dim=192),
                    Convnext(192, dim=192),
                    Convnext(192, dim=192),
                ),
            }),
            Chain({
                "downsample": ConvnextDownsample(192, dim=384, stride=2),
                "blocks": nn.Sequential(
                    Convnext(384, dim=384),
                    Convnext(384, dim=384),
                    Convnext(384, dim=384),
                    Convnext(384, dim=384),
                    Convnext(384, dim=384),
                    Convnext(384, dim=384),
                    Convnext(384, dim=384),
                    Convnext(384, dim=384),
                    Convnext(384, dim=384),
                ),
            }),
            Chain({
                "downsample": ConvnextDownsample(384, dim=768, stride=2),
                "blocks": nn.Sequential(
                    Convnext(768, dim=768),
                    Convnext(768, dim=768),
                    Convnext(768, dim=768),
                ),
            }),
        )
        self.head = nn.Module()
        self.head.norm = nn.LayerNorm(768, eps=1e-06)
        self.head.fc = nn.Linear(768, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # stem (specs/convnext-tiny.yaml:10)
        x = self.stem[0](x)
        x = self.stem[1](x)
        # stages: convnext x3, convnext x3, convnext x9, convnext x3
        x = self.stages(x)
        # head (specs/convnext-tiny.yaml:20)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self.head.norm(x)
        x = self.head.fc(x)
        return x


def build() -> ConvnextTiny:
    """The model with PyTorch's default initialisation (layer scale at 1e-6), in training mode."""
    return ConvnextTiny()
