/// Small definitions the emitted file carries only when its code uses them.
enum PythonHelpers {
    static let all: [(name: String, source: String)] = [
        (
            "centred_padding(",
            """
            def centred_padding(kernel: int, dilation: int = 1) -> int:
                \"\"\"archc's default padding: centred for odd kernels, none for even (patchify) kernels.\"\"\"
                return dilation * (kernel - 1) // 2 if kernel % 2 == 1 else 0
            """
        ),
        (
            "Conv2dSame(",
            """
            class Conv2dSame(nn.Conv2d):
                \"\"\"A conv with TensorFlow's "SAME" padding: output size ceil(input / stride), the odd pixel of
                padding at the bottom and right.\"\"\"

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    pad = []  # F.pad wants (left, right, top, bottom): the last dimension first
                    for size, kernel, stride, dilation in zip(x.shape[:1:-1], self.kernel_size[::-1], self.stride[::-1], self.dilation[::-1]):
                        out = -(-size // stride)
                        total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
                        pad += [total // 2, total - total // 2]
                    return super().forward(F.pad(x, pad))
            """
        ),
        (
            "LayerNorm2d(",
            """
            class LayerNorm2d(nn.LayerNorm):
                \"\"\"LayerNorm over the channels of a feature map (N, C, H, W), at every pixel.\"\"\"

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            """
        ),
        (
            "Attention(",
            """
            class Attention(nn.Module):
                \"\"\"Multi-head self-attention on tokens (N, T, C) with fused q, k, v, in timm's layout: channel
                j*C + h*C/heads + d of `qkv` is element d of head h of q (j = 0), k (j = 1) or v (j = 2).\"\"\"

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
            """
        ),
        (
            "DropPath(",
            """
            class DropPath(nn.Module):
                \"\"\"Stochastic depth: in training, drops a sample's branch with probability p and rescales the
                others; the identity in eval mode.\"\"\"

                def __init__(self, p: float = 0.0):
                    super().__init__()
                    self.p = p

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if not self.training or self.p == 0.0:
                        return x
                    keep = 1.0 - self.p
                    mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
                    return x * mask / keep
            """
        ),
        (
            "Chain({",
            """
            class Chain(nn.ModuleDict):
                \"\"\"Named children run in order: a level of block names such as `stages.0.blocks`.\"\"\"

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for module in self.values():
                        x = module(x)
                    return x
            """
        ),
    ]

    static func definitions(usedIn body: String) -> [String] {
        all.filter { body.contains($0.name) }.map { $0.source + "\n" }
    }
}
