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
        graph.rewriteNodes { index, graph in
            let node = graph[index]
            switch node.kind {
            case .batchNorm(let eps, let affine):
                let (s, t) = NormArithmetic.batchNormScaleShift(node.weights.map { graph.constant($0) }, eps: eps, affine: affine)
                var folded = node
                folded.kind = .scaleShift
                folded.weights = [
                    graph.addConstant(Tensor(dims: [s.count], data: s), base: node.name + ".scale"),
                    graph.addConstant(Tensor(dims: [t.count], data: t), base: node.name + ".shift"),
                ]
                graph.replaceNode(at: index, with: folded)
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
