import ArchcIR

/// The reference executor of the IR: one plain kernel per op, no tiling, no threads.
/// It is the oracle every pass and the fast runtime are checked against.
public enum Interpreter {
    /// Runs the graph on a batch (N, C, H, W) and returns its output.
    public static func run(_ graph: Graph, input: Tensor) -> Tensor {
        let values = runAll(graph, input: input)
        return values[graph.output]!
    }

    /// Every value the graph computes, by id (the input included), for layer-by-layer checks.
    public static func runAll(_ graph: Graph, input: Tensor) -> [ValueID: Tensor] {
        precondition(Array(input.dims.dropFirst()) == graph.inputType.dims, "input \(input.dims) does not match \(graph.inputType)")
        var values: [ValueID: Tensor] = [Graph.inputID: input]
        for node in graph.nodes {
            let inputs = node.inputs.map { values[$0]! }
            let weights = node.weights.map { graph.constants[$0]! }
            values[node.id] = execute(node.kind, inputs, weights)
        }
        return values
    }

    static func execute(_ kind: OpKind, _ inputs: [Tensor], _ w: [Tensor]) -> Tensor {
        let x = inputs[0]
        switch kind {
        case .conv2d(let attrs, let epilogue):
            var y = NaiveKernels.conv2d(x, weight: w[0], bias: w.count > 1 ? w[1] : nil, attrs)
            NaiveKernels.applyEpilogue(&y, epilogue, residual: epilogue.residual ? inputs[1] : nil)
            return y
        case .batchNorm(let eps, let affine):
            let (scale, shift) = NormArithmetic.batchNormScaleShift(w, eps: eps, affine: affine)
            return NaiveKernels.scaleShift(x, scale: scale, shift: shift)
        case .scaleShift:
            return NaiveKernels.scaleShift(x, scale: w[0].data, shift: w[1].data)
        case .layerNorm(let eps, let affine):
            return NaiveKernels.layerNorm(x, weight: affine ? w[0] : nil, bias: affine ? w[1] : nil, eps: eps)
        case .activation(let act):
            return NaiveKernels.map(x) { NaiveKernels.activate($0, act) }
        case .channelScale:
            return NaiveKernels.scaleShift(x, scale: w[0].data, shift: [Float](repeating: 0, count: w[0].count))
        case .add:
            return Tensor(dims: x.dims, data: zip(x.data, inputs[1].data).map { $0 + $1 })
        case .maxPool(let p):
            return NaiveKernels.pool(x, p, max: true)
        case .avgPool(let p):
            return NaiveKernels.pool(x, p, max: false)
        case .globalAvgPool:
            return NaiveKernels.globalAvgPool(x)
        case .flatten:
            return Tensor(dims: [x.dims[0], x.count / x.dims[0]], data: x.data)
        case .linear(let epilogue):
            var y = NaiveKernels.linear(x, weight: w[0], bias: w.count > 1 ? w[1] : nil)
            NaiveKernels.applyEpilogue(&y, epilogue, residual: epilogue.residual ? inputs[1] : nil)
            return y
        case .tokens:
            return NaiveKernels.tokens(x)
        case .prependToken:
            return NaiveKernels.prependToken(x, token: w[0])
        case .addConstant:
            return NaiveKernels.addConstant(x, w[0])
        case .attention(let heads):
            return NaiveKernels.attention(x, heads: heads)
        case .selectToken(let index):
            return NaiveKernels.selectToken(x, index: index)
        case .tokenMean:
            return NaiveKernels.tokenMean(x)
        }
    }
}
