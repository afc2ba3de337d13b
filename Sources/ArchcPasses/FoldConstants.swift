import ArchcIR

/// `fold-constants`: evaluates the weight-only arithmetic that is left: a BatchNorm with no
/// layer to fold into becomes `scale_shift` with its two vectors precomputed; a layer scale of
/// all ones and a flatten of an already flat value disappear.
public struct FoldConstants: Pass {
    public let flag = "fold-constants"
    public let summary = "precompute BatchNorm scale and shift, drop identity scales and flattens"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        var rewrites = 0
        var index = 0
        while index < graph.nodes.count {
            let node = graph.nodes[index]
            switch node.kind {
            case .batchNorm(let eps, let affine):
                let w = node.weights.map { graph.constants[$0]! }
                let (s, t) = NormArithmetic.batchNormScaleShift(w, eps: eps, affine: affine)
                let scale = graph.freshConstantName(node.name + ".scale")
                graph.constants[scale] = Tensor(dims: [s.count], data: s)
                let shift = graph.freshConstantName(node.name + ".shift")
                graph.constants[shift] = Tensor(dims: [t.count], data: t)
                graph.nodes[index].kind = .scaleShift
                graph.nodes[index].weights = [scale, shift]
                rewrites += 1
            case .channelScale where graph.constants[node.weights[0]]!.data.allSatisfy({ $0 == 1 }):
                graph.bypass(node.id, with: node.inputs[0])
                rewrites += 1
                continue
            case .flatten where graph.type(of: node.inputs[0])?.dims.count == 1:
                graph.bypass(node.id, with: node.inputs[0])
                rewrites += 1
                continue
            default:
                break
            }
            index += 1
        }
        return rewrites
    }
}
