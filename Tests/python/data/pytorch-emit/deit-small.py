# deit-small: the PyTorch model of specs/deit-small.yaml, written by archc. Do not edit; regenerate with
#   archc compile specs/deit-small.yaml --emit pytorch -o deit-small.py
# 22,050,664 parameters, 4,608,338,304 MACs (fvcore's convention) per image.
# The spec as written, unfused: BatchNorm, layer scale and activations are layers of their own, so
# it trains. state_dict() names and shapes are the spec's tensors: a checkpoint saved from it runs
# in archc as it is (archc run specs/deit-small.yaml --weights model.pth).
import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    """Multi-head self-attention on tokens (N, T, C) with fused q, k, v, in timm's layout: channel
    j*C + h*C/heads + d of `qkv` is element d of head h of q (j = 0), k (j = 1) or v (j = 2)."""

    def __init__(self, channels: int, heads: int, qkv_bias: bool = True):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(channels, channels * 3, bias=qkv_bias)
        self.proj = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, c = x.shape
        q, k, v = self.qkv(x).reshape(n, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        scores = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5  # (N, heads, T, T)
        x = scores.softmax(-1) @ v
        return self.proj(x.transpose(1, 2).reshape(n, t, c))


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


class Vit(nn.Module):
    """Block 'vit' (specs/blocks/vit.yaml:5): ViT block - LN, multi-head attention (fused qkv, proj), add; LN, fc1 (ratio x C), GELU, fc2, add."""

    def __init__(self, in_channels: int, *, heads: int, ratio: int = 4, stride: int = 1):
        super().__init__()
        self.norm1 = nn.LayerNorm(in_channels, eps=1e-06)
        self.attn = Attention(in_channels, heads=heads)
        self.drop_path1 = DropPath(0.0)
        self.norm2 = nn.LayerNorm(in_channels, eps=1e-06)
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Linear(in_channels, in_channels * ratio)
        self.mlp.fc2 = nn.Linear(in_channels * ratio, in_channels)
        self.drop_path2 = DropPath(0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x
        x = self.norm1(x)
        x = self.attn(x)
        x = self.drop_path1(x)
        x = x + skip
        skip = x
        x = self.norm2(x)
        x = self.mlp.fc1(x)
        x = F.gelu(x)
        x = self.mlp.fc2(x)
        x = self.drop_path2(x)
        x = x + skip
        return x


class DeitSmall(nn.Module):
    """deit-small (specs/deit-small.yaml:5): input (3, 224, 224), output (1000,)."""

    input_shape = (3, 224, 224)

    def __init__(self) -> None:
        super().__init__()
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, 384, kernel_size=16, stride=16)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 384))
        self.pos_embed = nn.Parameter(torch.zeros(1, 197, 384))
        self.dropout1 = nn.Dropout(0.0)
        self.blocks = nn.Sequential(
            Vit(384, heads=6),
            Vit(384, heads=6),
            Vit(384, heads=6),
            Vit(384, heads=6),
            Vit(384, heads=6),
            Vit(384, heads=6),
            Vit(384, heads=6),
            Vit(384, heads=6),
            Vit(384, heads=6),
            Vit(384, heads=6),
            Vit(384, heads=6),
            Vit(384, heads=6),
        )
        self.norm = nn.LayerNorm(384, eps=1e-06)
        self.head = nn.Linear(384, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # stem (specs/deit-small.yaml:11)
        x = self.patch_embed.proj(x)
        x = x.flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.pos_embed
        x = self.dropout1(x)
        # stages: vit x12
        x = self.blocks(x)
        # head (specs/deit-small.yaml:20)
        x = self.norm(x)
        x = x[:, 0]
        x = self.head(x)
        return x


def build() -> DeitSmall:
    """The model with PyTorch's default initialisation (layer scale at 1e-6), in training mode."""
    return DeitSmall()
