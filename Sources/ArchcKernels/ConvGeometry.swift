import ArchcIR

/// Sizes of one convolution on NHWC data, computed once when the engine is built.
public struct ConvGeometry: Sendable {
    public var batch: Int
    public var inH: Int, inW: Int, inC: Int
    public var outH: Int, outW: Int, outC: Int
    public var kh: Int, kw: Int
    public var strideH: Int, strideW: Int
    public var padTop: Int, padLeft: Int
    public var dilationH: Int, dilationW: Int
    public var groups: Int

    public init(batch: Int, input: TensorType, output: TensorType, weightDims: [Int], _ a: ConvAttributes) {
        self.batch = batch
        (inC, inH, inW) = (input.dims[0], input.dims[1], input.dims[2])
        (outC, outH, outW) = (output.dims[0], output.dims[1], output.dims[2])
        (kh, kw) = (weightDims[2], weightDims[3])
        (strideH, strideW) = (a.stride[0], a.stride[1])
        (padTop, padLeft) = (a.padding[0], a.padding[1])
        (dilationH, dilationW) = (a.dilation[0], a.dilation[1])
        groups = a.groups
    }

    public var isPointwise: Bool {
        kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && groups == 1 && inH == outH && inW == outW
    }
    /// One group per input channel, each producing one or more output channels.
    public var isDepthwise: Bool { groups == inC && groups > 1 && outC % inC == 0 }
    /// Rows of the GEMM: one per output pixel.
    public var m: Int { batch * outH * outW }
    /// Depth of the GEMM for an im2col conv.
    public var k: Int { kh * kw * inC }
}
