/// The type rule of every op: the output type from the input types and weight shapes,
/// or why they do not fit. The verifier, the parser and the passes all use it.
public enum ShapeInference {
    /// Why an op's inputs or weights do not fit it.
    public struct ShapeError: Error, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public init(stringLiteral value: String) { message = value }
        public var description: String { message }
    }

    public static func infer(_ kind: OpKind, inputs: [TensorType], weights: [[Int]]) -> Result<TensorType, ShapeError> {
        guard let x = inputs.first else { return .failure("\(kind.mnemonic) needs an input") }
        func expectWeights(_ counts: [Int]) -> String? {
            counts.contains(weights.count)
                ? nil : "\(kind.mnemonic) expects \(counts.map(String.init).joined(separator: " or ")) weights, found \(weights.count)"
        }
        func vectors(_ c: Int) -> String? {
            for (i, w) in weights.enumerated() where w != [c] { return "weight \(i) of \(kind.mnemonic) has shape \(w), expected [\(c)]" }
            return nil
        }
        switch kind {
        case .conv2d(let attrs, let epilogue):
            return conv(attrs, epilogue, inputs: inputs, weights: weights)
        case .batchNorm(_, let affine):
            if let e = expectWeights([affine ? 4 : 2]) ?? vectors(x.channels) { return .failure(ShapeError(e)) }
            return single(inputs, x)
        case .scaleShift:
            if let e = expectWeights([2]) ?? vectors(x.channels) { return .failure(ShapeError(e)) }
            return single(inputs, x)
        case .layerNorm(_, let affine):
            if let e = expectWeights([affine ? 2 : 0]) ?? vectors(x.channels) { return .failure(ShapeError(e)) }
            return single(inputs, x)
        case .channelScale:
            if let e = expectWeights([1]) ?? vectors(x.channels) { return .failure(ShapeError(e)) }
            return single(inputs, x)
        case .activation:
            if let e = expectWeights([0]) { return .failure(ShapeError(e)) }
            return single(inputs, x)
        case .add:
            guard inputs.count == 2 else { return .failure("add expects 2 inputs, found \(inputs.count)") }
            guard inputs[0] == inputs[1] else { return .failure("add of \(inputs[0]) and \(inputs[1])") }
            return .success(x)
        case .maxPool(let p), .avgPool(let p):
            guard x.isImage else { return .failure("\(kind.mnemonic) expects [N, C, H, W], found \(x)") }
            guard p.kernel >= 1, p.stride >= 1, p.padding >= 0, p.padding <= p.kernel / 2 else { return .failure("invalid pool attributes") }
            let h = (x.dims[1] + 2 * p.padding - p.kernel) / p.stride + 1, w = (x.dims[2] + 2 * p.padding - p.kernel) / p.stride + 1
            guard h >= 1, w >= 1, x.dims[1] + 2 * p.padding >= p.kernel, x.dims[2] + 2 * p.padding >= p.kernel else {
                return .failure("pool kernel \(p.kernel) larger than its padded input")
            }
            return single(inputs, TensorType([x.channels, h, w]))
        case .globalAvgPool:
            guard x.isImage else { return .failure("global_avgpool expects [N, C, H, W], found \(x)") }
            return single(inputs, TensorType([x.channels]))
        case .flatten:
            return single(inputs, TensorType([x.elements]))
        case .linear(let epilogue):
            return linear(epilogue, inputs: inputs, weights: weights)
        case .tokens:
            guard x.isImage else { return .failure("tokens expects [N, C, H, W], found \(x)") }
            if let e = expectWeights([0]) { return .failure(ShapeError(e)) }
            return single(inputs, TensorType([x.dims[1] * x.dims[2], x.dims[0]]))
        case .prependToken:
            guard x.isTokens else { return .failure("prepend_token expects [N, T, C], found \(x)") }
            if let e = expectWeights([1]) { return .failure(ShapeError(e)) }
            guard weights[0] == [1, 1, x.channels] else { return .failure("prepend_token token has shape \(weights[0]), expected [1, 1, \(x.channels)]") }
            return single(inputs, TensorType([x.dims[0] + 1, x.channels]))
        case .addConstant:
            if let e = expectWeights([1]) { return .failure(ShapeError(e)) }
            guard weights[0] == [1] + x.dims else { return .failure("add_constant constant has shape \(weights[0]), expected \([1] + x.dims)") }
            return single(inputs, x)
        case .attention(let heads):
            guard x.isTokens else { return .failure("attention expects [N, T, 3C], found \(x)") }
            if let e = expectWeights([0]) { return .failure(ShapeError(e)) }
            guard heads >= 1, x.channels % (3 * heads) == 0 else {
                return .failure("attention with \(heads) heads needs 3 x heads to divide its \(x.channels) input channels")
            }
            return single(inputs, TensorType([x.dims[0], x.channels / 3]))
        case .selectToken(let index):
            guard x.isTokens else { return .failure("select_token expects [N, T, C], found \(x)") }
            if let e = expectWeights([0]) { return .failure(ShapeError(e)) }
            guard index >= 0, index < x.dims[0] else { return .failure("select_token index \(index) is outside \(x.dims[0]) tokens") }
            return single(inputs, TensorType([x.channels]))
        case .tokenMean:
            guard x.isTokens else { return .failure("token_mean expects [N, T, C], found \(x)") }
            if let e = expectWeights([0]) { return .failure(ShapeError(e)) }
            return single(inputs, TensorType([x.channels]))
        }
    }

    private static func single(_ inputs: [TensorType], _ result: TensorType) -> Result<TensorType, ShapeError> {
        inputs.count == 1 ? .success(result) : .failure("expects 1 input, found \(inputs.count)")
    }

    /// A linear layer on the channels of whatever it reads: [F] -> [out], [T, C] -> [T, out],
    /// [C, H, W] -> [out, H, W].
    private static func linear(_ epilogue: Epilogue, inputs: [TensorType], weights: [[Int]]) -> Result<TensorType, ShapeError> {
        let x = inputs[0]
        guard weights.count == 1 || weights.count == 2 else { return .failure("linear expects 1 or 2 weights, found \(weights.count)") }
        guard weights[0].count == 2, weights[0][1] == x.channels else {
            return .failure("linear weight has shape \(weights[0]), expected [out, \(x.channels)]")
        }
        let out = weights[0][0]
        if weights.count == 2, weights[1] != [out] { return .failure("linear bias has shape \(weights[1]), expected [\(out)]") }
        var dims = x.dims
        dims[x.isTokens ? 1 : 0] = out
        let result = TensorType(dims)
        let expectedInputs = epilogue.residual ? 2 : 1
        guard inputs.count == expectedInputs else { return .failure("linear expects \(expectedInputs) inputs, found \(inputs.count)") }
        if epilogue.residual, inputs[1] != result { return .failure("linear residual has type \(inputs[1]), expected \(result)") }
        return .success(result)
    }

    private static func conv(_ a: ConvAttributes, _ epilogue: Epilogue, inputs: [TensorType], weights: [[Int]]) -> Result<TensorType, ShapeError> {
        let x = inputs[0]
        guard x.isImage else { return .failure("conv2d expects [N, C, H, W], found \(x)") }
        guard a.stride.count == 2, a.padding.count == 4, a.dilation.count == 2, a.groups >= 1,
            a.stride.allSatisfy({ $0 >= 1 }), a.dilation.allSatisfy({ $0 >= 1 }), a.padding.allSatisfy({ $0 >= 0 })
        else {
            return .failure("invalid conv2d attributes")
        }
        guard weights.count == 1 || weights.count == 2 else { return .failure("conv2d expects 1 or 2 weights, found \(weights.count)") }
        let w = weights[0]
        guard w.count == 4 else { return .failure("conv2d weight has shape \(w), expected [Cout, Cin/groups, kh, kw]") }
        let (cout, kh, kw) = (w[0], w[2], w[3])
        guard x.channels % a.groups == 0, cout % a.groups == 0, w[1] == x.channels / a.groups else {
            return .failure("conv2d weight \(w) does not fit \(x.channels) input channels in \(a.groups) groups")
        }
        if weights.count == 2, weights[1] != [cout] { return .failure("conv2d bias has shape \(weights[1]), expected [\(cout)]") }
        let spanH = a.dilation[0] * (kh - 1) + 1, spanW = a.dilation[1] * (kw - 1) + 1
        let paddedH = x.dims[1] + a.padding[0] + a.padding[2], paddedW = x.dims[2] + a.padding[1] + a.padding[3]
        guard paddedH >= spanH, paddedW >= spanW else { return .failure("conv2d kernel \(kh)x\(kw) larger than its padded input") }
        let out = TensorType([cout, (paddedH - spanH) / a.stride[0] + 1, (paddedW - spanW) / a.stride[1] + 1])
        let expectedInputs = epilogue.residual ? 2 : 1
        guard inputs.count == expectedInputs else { return .failure("conv2d expects \(expectedInputs) inputs, found \(inputs.count)") }
        if epilogue.residual, inputs[1] != out { return .failure("conv2d residual has type \(inputs[1]), expected \(out)") }
        return .success(out)
    }
}
