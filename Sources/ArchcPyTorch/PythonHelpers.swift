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
