import ArchcIR

/// The linear layer on any value and the token ops of vision transformers, in ONNX ops.
extension Builder {
    /// A linear layer without its epilogue: Gemm on a vector, Gemm on the tokens as rows (both
    /// by W^T, `transB`), a 1x1 Conv on a feature map. The graph reads the spec's weight itself
    /// (the conv's [out, in, 1, 1] is an Unsqueeze of it, folded by ONNX Runtime when it loads
    /// the model), so the file holds each weight once, under its checkpoint name. Returns the
    /// result's name.
    mutating func linear(_ x: String, _ node: Node) -> String {
        let input = types[node.inputs[0]]!
        let weight = node.weights[0]
        let result = fresh()
        if input.dims.count == 1 {
            add("Gemm", [x] + node.weights, [result], node.name, [int("transB", 1)])
        } else if input.isImage {
            let w = unused(weight + ".archc_oi11")
            if !emitted.contains(w) {
                emitted.insert(w)
                add("Unsqueeze", [weight, int64s("archc.axes_2_3", [2, 3])], [w], weight + ".unsqueeze")
            }
            add("Conv", [x, w] + node.weights.dropFirst(), [result], node.name, [ints("kernel_shape", [1, 1])])
        } else {
            // (N, T, C) -> (N*T, C), Gemm by W^T with the bias, -> (N, T, out).
            let (tokens, features, out) = (input.dims[0], input.dims[1], graph.constants[weight]!.dims[0])
            let (rows, product) = (fresh(), fresh())
            add("Reshape", [x, int64s(node.name + ".archc_rows", [-1, Int64(features)])], [rows], node.name + ".rows")
            add("Gemm", [rows] + node.weights, [product], node.name + ".gemm", [int("transB", 1)])
            add("Reshape", [product, int64s(node.name + ".archc_tokens", [-1, Int64(tokens), Int64(out)])], [result], node.name)
        }
        return result
    }

    mutating func emitTokenOp(_ node: Node, _ x: String, _ out: String) {
        let input = types[node.inputs[0]]!
        switch node.kind {
        case .tokens:
            // (N, C, H, W) -> (N, C, H*W) -> (N, H*W, C)
            let flat = fresh()
            add("Reshape", [x, int64s(node.name + ".archc_shape", [0, Int64(input.channels), -1])], [flat], node.name + ".reshape")
            add("Transpose", [flat], [out], node.name, [ints("perm", [0, 2, 1])])
        case .prependToken:
            // The token (1, 1, C) expanded to (N, 1, C), N taken from x's shape.
            let (shape, batch, target, expanded) = (fresh(), fresh(), fresh(), fresh())
            add("Shape", [x], [shape], node.name + ".shape")
            add("Slice", [shape, int64s("archc.zero_1d", [0]), int64s("archc.one_1d", [1])], [batch], node.name + ".batch")
            add("Concat", [batch, int64s(node.name + ".archc_1c", [1, Int64(input.channels)])], [target], node.name + ".target", [int("axis", 0)])
            add("Expand", [node.weights[0], target], [expanded], node.name + ".expand")
            add("Concat", [expanded, x], [out], node.name, [int("axis", 1)])
        case .addConstant:
            add("Add", [x, node.weights[0]], [out], node.name)
        case .attention(let heads):
            attention(x, out, node, tokens: input.dims[0], channels: input.channels / 3, heads: heads)
        case .selectToken(let index):
            add("Gather", [x, int64Scalar(node.name + ".archc_index", Int64(index))], [out], node.name, [int("axis", 1)])
        case .tokenMean:
            add("ReduceMean", [x], [out], node.name, [ints("axes", [1]), int("keepdims", 0)])
        default:
            preconditionFailure("\(node.kind.mnemonic) is not a token op")
        }
    }

    /// (N, T, 3C) -> (N, T, C): q, k, v split by head, softmax(q k^T / sqrt(d)) v, heads rejoined.
    mutating func attention(_ x: String, _ out: String, _ node: Node, tokens t: Int, channels c: Int, heads: Int) {
        let d = c / heads
        let label = node.name
        let (split, perm) = (fresh(), fresh())
        add("Reshape", [x, int64s(label + ".archc_qkv_shape", [0, Int64(t), 3, Int64(heads), Int64(d)])], [split], label + ".split")
        add("Transpose", [split], [perm], label + ".perm", [ints("perm", [2, 0, 3, 1, 4])])  // (3, N, heads, T, d)
        var parts: [String] = []
        for (i, role) in ["q", "k", "v"].enumerated() {
            let part = fresh()
            add("Gather", [perm, int64Scalar("archc.index_\(i)", Int64(i))], [part], label + "." + role, [int("axis", 0)])
            parts.append(part)
        }
        let (keysT, scores, scaled, weights, mixed, rejoined) = (fresh(), fresh(), fresh(), fresh(), fresh(), fresh())
        add("Transpose", [parts[1]], [keysT], label + ".kT", [ints("perm", [0, 1, 3, 2])])
        add("MatMul", [parts[0], keysT], [scores], label + ".qk")
        add("Mul", [scores, scalar(label + ".archc_scale", 1 / Float(d).squareRoot())], [scaled], label + ".scale")
        add("Softmax", [scaled], [weights], label + ".softmax", [int("axis", -1)])
        add("MatMul", [weights, parts[2]], [mixed], label + ".av")
        add("Transpose", [mixed], [rejoined], label + ".heads", [ints("perm", [0, 2, 1, 3])])  // (N, T, heads, d)
        add("Reshape", [rejoined, int64s(label + ".archc_out_shape", [0, Int64(t), Int64(c)])], [out], label)
    }

    /// An int64 vector initializer (shapes, axes, indices), added once.
    mutating func int64s(_ name: String, _ values: [Int64]) -> String {
        int64Tensor(name, values, dims: [Int64(values.count)])
    }

    mutating func int64Scalar(_ name: String, _ value: Int64) -> String {
        int64Tensor(name, [value], dims: [])
    }

    private mutating func int64Tensor(_ name: String, _ values: [Int64], dims: [Int64]) -> String {
        let name = unused(name)
        if !emitted.contains(name) {
            emitted.insert(name)
            var t = Onnx_TensorProto()
            t.name = name
            t.dataType = 7  // INT64
            t.dims = dims
            t.int64Data = values
            initializers.append(t)
        }
        return name
    }
}
