/// A layer's weights [N, K] quantized for the int8 GEMM: per output channel (row) a
/// symmetric scale `max |w| / 63`, values rounded to [-63, 63], packed by panels of 16
/// columns as `[KP / 4][16][4]` bytes (KP = K rounded up to 4, zero-padded; panels past N
/// zero too).
///
/// 7 bits, not 8: vpmaddubsw adds two u8 x s8 products into an int16 lane with saturation;
/// with |w| <= 63 the largest pair is 2 x 255 x 63 = 32130 < 32767, so every integer sum is
/// exact (the error is the rounding of the weights alone, stated in docs/precision.md).
public struct Int8Weights {
    public static let maxMagnitude: Float = 63

    public let n: Int
    public let k: Int
    public let kp: Int
    public let data: UnsafeMutablePointer<Int8>
    /// Per output channel: the dequantizing scale, and the sum of its int8 values (for the
    /// activations' zero point).
    public let scales: [Float]
    public let sums: [Int32]

    public var panels: Int { (n + 15) / 16 }

    /// Bytes the packed form of [N, K] weights takes.
    public static func packedBytes(n: Int, k: Int) -> Int { (n + 15) / 16 * 16 * paddedDepth(k) }

    /// K rounded up to the 4 steps of k one 32-bit lane holds.
    public static func paddedDepth(_ k: Int) -> Int { (k + 3) / 4 * 4 }

    /// Quantizes and packs row-major weights [N, K] into `data` (`packedBytes` bytes, 32-byte
    /// aligned), which the caller owns.
    public init(quantizing w: UnsafePointer<Float>, n: Int, k: Int, into data: UnsafeMutablePointer<Int8>) {
        (self.n, self.k, self.kp, self.data) = (n, k, Self.paddedDepth(k), data)
        data.update(repeating: 0, count: Self.packedBytes(n: n, k: k))
        var scales = [Float](repeating: 1, count: n), sums = [Int32](repeating: 0, count: n)
        for row in 0..<n {
            let values = UnsafeBufferPointer(start: w + row * k, count: k)
            let largest = values.reduce(Float(0)) { max($0, abs($1)) }
            scales[row] = largest > 0 ? largest / Self.maxMagnitude : 1
            let panel = data + (row / 16) * kp * 16, column = row % 16
            for (i, v) in values.enumerated() {
                let q = Self.quantize(v, scale: scales[row])
                panel[(i / 4) * 64 + column * 4 + i % 4] = q
                sums[row] += Int32(q)
            }
        }
        (self.scales, self.sums) = (scales, sums)
    }

    /// One weight: `round(v / scale)` clamped to [-63, 63].
    @inline(__always)
    public static func quantize(_ v: Float, scale: Float) -> Int8 {
        let q = (v / scale).rounded(.toNearestOrEven)
        return Int8(max(-maxMagnitude, min(maxMagnitude, q.isNaN ? 0 : q)))
    }

    /// The int8 value at row `row`, depth `i` of the packed form (for tests and round trips).
    public func value(row: Int, depth i: Int) -> Int8 {
        data[(row / 16) * kp * 16 + (i / 4) * 64 + (row % 16) * 4 + i % 4]
    }
}
