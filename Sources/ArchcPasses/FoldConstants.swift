import ArchcIR

/// `fold-constants`: evaluates the weight-only arithmetic that is left: a BatchNorm with no
/// layer to fold into becomes `scale_shift` with its two vectors precomputed; a flatten of an
/// already flat value disappears. No rewrite looks at weight values, so the optimized
/// graph's structure (and the generated code's hash) is the same for every checkpoint.
public struct FoldConstants: Pass {
    public let flag = "fold-constants"
    public let summary = "precompute BatchNorm scale and shift, drop flattens of flat values"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        graph.rewriteNodes { node, graph in
            switch node.kind {
            case .batchNorm(let eps, let affine):
                let (s, t) = NormArithmetic.batchNormScaleShift(node.weights.map { graph.constants[$0]! }, eps: eps, affine: affine)
                let scale = graph.freshConstantName(node.name + ".scale")
                graph.constants[scale] = Tensor(dims: [s.count], data: s)
                let shift = graph.freshConstantName(node.name + ".shift")
                graph.constants[shift] = Tensor(dims: [t.count], data: t)
                let index = graph.producerIndex(node.id)!
                graph.nodes[index].kind = .scaleShift
                graph.nodes[index].weights = [scale, shift]
                return true
            case .flatten where graph.type(of: node.inputs[0])?.dims.count == 1:
                graph.bypass(node.id, with: node.inputs[0])
                return true
            default:
                return false
            }
        }
    }
}
