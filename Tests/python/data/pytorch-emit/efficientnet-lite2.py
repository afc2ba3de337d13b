# efficientnet-lite2: the PyTorch model of specs/efficientnet-lite2.yaml, written by archc. Do not edit; regenerate with
#   archc compile specs/efficientnet-lite2.yaml --emit pytorch -o efficientnet-lite2.py
# 6,092,072 parameters, 885,629,152 MACs (fvcore's convention) per image.
# The spec as written, unfused: BatchNorm, layer scale and activations are layers of their own, so
# it trains. state_dict() names and shapes are the spec's tensors: a checkpoint saved from it runs
# in archc as it is (archc run specs/efficientnet-lite2.yaml --weights model.pth).
import torch
import torch.nn.functional as F
from torch import nn


class Conv2dSame(nn.Conv2d):
    """A conv with TensorFlow's "SAME" padding: output size ceil(input / stride), the odd pixel of
    padding at the bottom and right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = []  # F.pad wants (left, right, top, bottom): the last dimension first
        for size, kernel, stride, dilation in zip(x.shape[:1:-1], self.kernel_size[::-1], self.stride[::-1], self.dilation[::-1]):
            out = -(-size // stride)
            total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
            pad += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pad))


class MbconvNoexpand(nn.Module):
    """Block 'mbconv-noexpand' (specs/blocks/mbconv.yaml:21): MBConv with expand ratio 1 (no expand conv)."""

    def __init__(self, in_channels: int, *, out_ch: int, kernel: int, stride: int = 1, residual: bool = True):
        super().__init__()
        self._depthwise_conv = Conv2dSame(in_channels, in_channels, kernel_size=kernel, stride=stride, groups=in_channels, bias=False)
        self._bn1 = nn.BatchNorm2d(in_channels, eps=0.001)
        self._project_conv = Conv2dSame(in_channels, out_ch, kernel_size=1, bias=False)
        self._bn2 = nn.BatchNorm2d(out_ch, eps=0.001)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self._depthwise_conv(x)
        x = self._bn1(x)
        x = F.relu6(x)
        x = self._project_conv(x)
        x = self._bn2(x)
        if self.residual:
            x = x + shortcut
        return x


class Mbconv(nn.Module):
    """Block 'mbconv' (specs/blocks/mbconv.yaml:6): MBConv with expand ratio `expand`."""

    def __init__(self, in_channels: int, *, out_ch: int, kernel: int, expand: int = 6, stride: int = 1, residual: bool = True):
        super().__init__()
        self._expand_conv = Conv2dSame(in_channels, in_channels * expand, kernel_size=1, bias=False)
        self._bn0 = nn.BatchNorm2d(in_channels * expand, eps=0.001)
        self._depthwise_conv = Conv2dSame(in_channels * expand, in_channels * expand, kernel_size=kernel, stride=stride, groups=in_channels * expand, bias=False)
        self._bn1 = nn.BatchNorm2d(in_channels * expand, eps=0.001)
        self._project_conv = Conv2dSame(in_channels * expand, out_ch, kernel_size=1, bias=False)
        self._bn2 = nn.BatchNorm2d(out_ch, eps=0.001)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self._expand_conv(x)
        x = self._bn0(x)
        x = F.relu6(x)
        x = self._depthwise_conv(x)
        x = self._bn1(x)
        x = F.relu6(x)
        x = self._project_conv(x)
        x = self._bn2(x)
        if self.residual:
            x = x + shortcut
        return x


class EfficientnetLite2(nn.Module):
    """efficientnet-lite2 (specs/efficientnet-lite2.yaml:5): input (3, 260, 260), output (1000,)."""

    input_shape = (3, 260, 260)

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = Conv2dSame(3, 32, kernel_size=3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=0.001)
        self._blocks = nn.Sequential(
            MbconvNoexpand(32, out_ch=16, kernel=3, residual=False),
            Mbconv(16, out_ch=24, kernel=3, stride=2, residual=False),
            Mbconv(24, out_ch=24, kernel=3),
            Mbconv(24, out_ch=24, kernel=3),
            Mbconv(24, out_ch=48, kernel=5, stride=2, residual=False),
            Mbconv(48, out_ch=48, kernel=5),
            Mbconv(48, out_ch=48, kernel=5),
            Mbconv(48, out_ch=88, kernel=3, stride=2, residual=False),
            Mbconv(88, out_ch=88, kernel=3),
            Mbconv(88, out_ch=88, kernel=3),
            Mbconv(88, out_ch=88, kernel=3),
            Mbconv(88, out_ch=120, kernel=5, residual=False),
            Mbconv(120, out_ch=120, kernel=5),
            Mbconv(120, out_ch=120, kernel=5),
            Mbconv(120, out_ch=120, kernel=5),
            Mbconv(120, out_ch=208, kernel=5, stride=2, residual=False),
            Mbconv(208, out_ch=208, kernel=5),
            Mbconv(208, out_ch=208, kernel=5),
            Mbconv(208, out_ch=208, kernel=5),
            Mbconv(208, out_ch=208, kernel=5),
            Mbconv(208, out_ch=352, kernel=3, residual=False),
        )
        self._conv_head = Conv2dSame(352, 1280, kernel_size=1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=0.001)
        self._fc = nn.Linear(1280, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # stem (specs/efficientnet-lite2.yaml:10)
        x = self._conv_stem(x)
        x = self._bn0(x)
        x = F.relu6(x)
        # stages: mbconv-noexpand x1, mbconv x3, mbconv x3, mbconv x4, mbconv x4, mbconv x5, mbconv x1
        x = self._blocks(x)
        # head (specs/efficientnet-lite2.yaml:23)
        x = self._conv_head(x)
        x = self._bn1(x)
        x = F.relu6(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        x = self._fc(x)
        return x


def build() -> EfficientnetLite2:
    """The model with PyTorch's default initialisation (layer scale at 1e-6), in training mode."""
    return EfficientnetLite2()
