/// Prices one layer, per image, under the field's convention and as true FLOPs.
///
/// MACs follow fvcore (docs/paper.md): conv N*Cout*Hout*Wout*(Cin/groups)*kh*kw (bias free);
/// linear in*out; BatchNorm 2 per element (1 without affine); LayerNorm 5 per element
/// (4 without affine); global average pool 1 per input element; ReLU, GELU, add, scale,
/// max/avg pool and flatten 0.
///
/// FLOPs count every arithmetic operation once: 2 per MAC plus one add per bias element;
/// BatchNorm 2 per element (a multiply and an add once folded); LayerNorm 8 per element
/// (6 without affine); add and scale 1; ReLU 1, ReLU6 2, GELU 8 per element; pools one
/// operation per window element.
public enum CostModel {
    /// Nil when a count overflows 64 bits.
    public static func cost(of layer: Layer) -> Cost? {
        guard let inElements = layer.inputShape.elements, let outElements = layer.outputShape.elements else { return nil }
        let params = Checked.sum(layer.tensors.filter(\.isParameter).map { Checked.product($0.shape) ?? Int.max })
        guard let params, params < Int.max else { return nil }
        var macs: Int?
        var extra: Int? = 0
        switch layer.operation {
        case .conv(let c):
            macs = Checked.product([outElements, c.inChannels / c.groups, c.kernel.h, c.kernel.w])
            extra = c.bias ? outElements : 0
        case .linear(let out, let bias):
            macs = Checked.product([inElements, out])
            extra = bias ? out : 0
        case .batchNorm(_, let affine):
            macs = Checked.product([inElements, affine ? 2 : 1])
            extra = Checked.product([inElements, affine ? 2 : 1]).map { $0 - (macs ?? 0) * 2 }
        case .layerNorm(_, let affine):
            macs = Checked.product([inElements, affine ? 5 : 4])
            extra = Checked.product([inElements, affine ? 8 : 6]).map { $0 - (macs ?? 0) * 2 }
        case .globalAveragePool:
            macs = inElements
            extra = -inElements
        case .activation(let kind):
            macs = 0
            extra = Checked.product([outElements, kind == .relu ? 1 : kind == .relu6 ? 2 : 8])
        case .add, .scale:
            macs = 0
            extra = outElements
        case .pool(let p):
            macs = 0
            extra = Checked.product([outElements, p.kernel, p.kernel])
        case .flatten:
            macs = 0
        }
        guard let macs, let extra, let doubled = Checked.product([macs, 2]), let flops = Checked.sum([doubled, extra]) else { return nil }
        return Cost(params: params, macs: macs, flops: flops)
    }
}
