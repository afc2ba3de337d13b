/// A dense float32 tensor, row-major: the weights of a graph and the values the
/// interpreter computes. `dims` include the batch dimension for activations.
public struct Tensor: Sendable, Equatable {
    public var dims: [Int]
    public var data: [Float]

    public init(dims: [Int], data: [Float]) {
        precondition(dims.reduce(1, *) == data.count, "tensor data does not match its shape")
        self.dims = dims
        self.data = data
    }

    public init(zeros dims: [Int]) {
        self.dims = dims
        self.data = [Float](repeating: 0, count: dims.reduce(1, *))
    }

    public var count: Int { data.count }

    /// The NaN and infinite values: how many, the first one's flat index and its image (the
    /// index over the leading dimension); nil when every value is finite. What the input,
    /// weight, output and calibration checks report.
    public var nonFinite: (count: Int, first: Int, image: Int)? {
        guard let first = data.firstIndex(where: { !$0.isFinite }) else { return nil }
        let count = data[first...].reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        let perImage = dims.first.map { $0 > 0 ? data.count / $0 : 1 } ?? 1
        return (count, first, first / max(1, perImage))
    }

    /// Largest absolute difference, relative to the largest magnitude in `reference`.
    public func relativeError(to reference: Tensor) -> Float {
        precondition(dims == reference.dims, "comparing tensors of shapes \(dims) and \(reference.dims)")
        var worst: Float = 0, scale: Float = 0
        for i in data.indices {
            let a = data[i], b = reference.data[i]
            guard a.isFinite, b.isFinite else {
                // A non-finite value agrees only with the same one (NaN with NaN): `max`
                // drops NaN, and outputs of NaN against finite ones compared as error 0.
                if a == b || (a.isNaN && b.isNaN) { continue }
                return .infinity
            }
            worst = max(worst, abs(a - b))
            scale = max(scale, abs(b))
        }
        return scale > 0 ? worst / scale : worst
    }
}

/// A deterministic generator (SplitMix64) for seeded weights and inputs: same seed, same bits
/// on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }

    /// `count` uniform values in [low, high).
    public mutating func uniformArray(_ count: Int, _ low: Float, _ high: Float) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = uniform(low, high) }
            initialized = count
        }
    }
}
