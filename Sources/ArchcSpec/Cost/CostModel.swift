/// Prices one layer, per image, under the field's convention and as true FLOPs.
///
/// MACs follow fvcore (docs/paper.md): conv N*Cout*Hout*Wout*(Cin/groups)*kh*kw (bias free);
/// linear in*out per vector, token or pixel; BatchNorm 2 per element (1 without affine);
/// LayerNorm 5 per element (4 without affine); global average pool and token mean 1 per
/// input element; ReLU, GELU, add, scale, max/avg pool, flatten, tokens, class token,
/// position embedding and class-token pooling 0.
///
/// Attention extends the convention: its two matmuls (q k^T and A v) count
/// heads*T*T*headDim MACs each, as fvcore counts `matmul`. fvcore prints 0 for timm's fused
/// `scaled_dot_product_attention` because it does not know the op (DeiT-S: 4.25 G instead
/// of 4.61 G); archc prices every op it has, and the switch below has no `default`, so an
/// op added later cannot be counted as free by omission.
///
/// FLOPs count every arithmetic operation once: 2 per MAC plus one add per bias element;
/// BatchNorm 2 per element (a multiply and an add once folded); LayerNorm 8 per element
/// (6 without affine); add, scale and position embedding 1; ReLU 1, ReLU6 2, GELU 8 per
/// element; pools one operation per window element; attention 6 per score beyond its
/// matmuls (the scale, then softmax's max, subtract, exp, sum and divide).
public enum CostModel {
    /// FLOPs per attention score besides the matmuls: scale, max, subtract, exp, sum, divide.
    public static let attentionFlopsPerScore = 6

    /// Nil when a count overflows 64 bits.
    public static func cost(of layer: Layer) -> Cost? {
        guard let inElements = layer.inputShape.elements, let outElements = layer.outputShape.elements else { return nil }
        guard let params = parameters(layer), let (macs, flops) = work(layer.operation, in: inElements, out: outElements, output: layer.outputShape)
        else { return nil }
        return Cost(params: params, macs: macs, flops: flops)
    }

    /// Elements of the layer's learned tensors (buffers such as running means excluded).
    static func parameters(_ layer: Layer) -> Int? {
        var counts: [Int] = []
        for tensor in layer.tensors where tensor.isParameter {
            guard let count = Checked.product(tensor.shape) else { return nil }
            counts.append(count)
        }
        return Checked.sum(counts)
    }

    /// (MACs, FLOPs) of one image through the operation; every step checked.
    static func work(_ operation: LayerOperation, in inElements: Int, out outElements: Int, output: TensorShape) -> (Int, Int)? {
        func perElement(_ count: Int, _ macs: Int, _ flops: Int) -> (Int, Int)? {
            guard let m = Checked.product([count, macs]), let f = Checked.product([count, flops]) else { return nil }
            return (m, f)
        }
        /// 2 FLOPs per MAC, plus one add per bias element.
        func multiplyAdd(_ macs: Int?, bias: Int) -> (Int, Int)? {
            guard let macs, let doubled = Checked.product([macs, 2]), let flops = Checked.sum([doubled, bias]) else { return nil }
            return (macs, flops)
        }
        switch operation {
        case .conv(let c):
            return multiplyAdd(Checked.product([outElements, c.inChannels / c.groups, c.kernel.h, c.kernel.w]), bias: c.bias ? outElements : 0)
        case .linear(let out, let bias):
            // One bias add per output element: per vector, token or pixel.
            return multiplyAdd(Checked.product([inElements, out]), bias: bias ? outElements : 0)
        case .batchNorm(_, let affine):
            return perElement(inElements, affine ? 2 : 1, affine ? 2 : 1)
        case .layerNorm(_, let affine):
            return perElement(inElements, affine ? 5 : 4, affine ? 8 : 6)
        case .globalAveragePool:
            return (inElements, inElements)
        case .activation(let kind):
            return perElement(outElements, 0, kind == .relu ? 1 : kind == .relu6 ? 2 : 8)
        case .add, .scale:
            return (0, outElements)
        case .pool(let p):
            return Checked.product([outElements, p.kernel, p.kernel]).map { (0, $0) }
        case .flatten, .tokens, .classToken, .classTokenPool:
            return (0, 0)
        case .positionEmbedding:
            return (0, outElements)
        case .tokenMean:
            // The emitted `x.mean(1)` is an op fvcore has no handle for: 0 MACs there, so 0
            // here (it counted one MAC per element, 204 more than fvcore on a small ViT); its
            // adds stay in the FLOPs.
            return (0, inElements)
        case .attention(let a):
            // Scores: heads * T * T; each of the two matmuls is heads * T * T * headDim MACs.
            guard case .tokens(let t, _) = output, let scores = Checked.product([a.heads, t, t]) else { return nil }
            return multiplyAdd(Checked.product([scores, a.headDim, 2]), bias: Checked.product([scores, attentionFlopsPerScore]) ?? Int.max)
        }
    }
}
