import CKernelSupport

/// The token ops of vision transformers on (N, T, C) activations (one token's channels
/// contiguous, like a pixel's in NHWC), and a vectorised LayerNorm for rows of channels.
public enum TokenKernels {
    /// (N, T, C) and a token (C) -> (N, T + 1, C), the token first.
    public static func prependToken(
        batch: Int, tokens t: Int, channels c: Int, x: UnsafePointer<Float>, token: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    ) {
        for n in 0..<batch {
            let out = y + n * (t + 1) * c
            out.update(from: token, count: c)
            (out + c).update(from: x + n * t * c, count: t * c)
        }
    }

    /// y = x + constant, the constant (`count` values) repeated for every image of the batch.
    public static func addConstant(batch: Int, count: Int, x: UnsafePointer<Float>, constant: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            let (a, b) = (x + n * count, y + n * count)
            for i in 0..<count { b[i] = a[i] + constant[i] }
        }
    }

    /// (N, T, C) -> (N, C): token `index` of each image.
    public static func selectToken(batch: Int, tokens t: Int, channels c: Int, index: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        for n in 0..<batch { (y + n * c).update(from: x + (n * t + index) * c, count: c) }
    }

    /// (N, T, C) -> (N, C): the mean over tokens, accumulated in token order.
    public static func tokenMean(batch: Int, tokens t: Int, channels c: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            let out = y + n * c
            out.update(repeating: 0, count: c)
            for token in 0..<t {
                let row = x + (n * t + token) * c
                for ch in 0..<c { out[ch] += row[ch] }
            }
            let scale = 1 / Float(t)
            for ch in 0..<c { out[ch] *= scale }
        }
    }

    /// LayerNorm over the C channels of each row (a token, or a pixel in NHWC), eight channels
    /// at a time; rows split into chunks of at least 16 K values, fixed by the shape.
    public static func layerNorm(
        rows: Int, channels c: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, eps: Float, pool: WorkerPool
    ) {
        let chunks = max(1, min(rows, rows * c / 16_384))
        pool.run(chunks: chunks) { chunk in
            for r in (chunk * rows / chunks)..<((chunk + 1) * rows / chunks) {
                normalizeRow(x + r * c, y + r * c, channels: c, weight: weight, bias: bias, eps: eps)
            }
        }
    }

    /// One row: mean, then the mean of squared deviations (two passes, as exact as one row of
    /// floats allows), then `(x - mean) / sqrt(var + eps) * weight + bias`.
    @inline(__always)
    static func normalizeRow(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, channels c: Int, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, eps: Float
    ) {
        let full = c / 8 * 8
        var acc = SIMD8<Float>()
        for i in stride(from: 0, to: full, by: 8) { acc += archc_load8(x + i) }
        var total = acc.sum()
        for i in full..<c { total += x[i] }
        let mean = total / Float(c)
        let m = SIMD8<Float>(repeating: mean)
        acc = SIMD8<Float>()
        for i in stride(from: 0, to: full, by: 8) {
            let v = archc_load8(x + i) - m
            acc.addProduct(v, v)
        }
        var squares = acc.sum()
        for i in full..<c { squares += (x[i] - mean) * (x[i] - mean) }
        let inverse = 1 / (squares / Float(c) + eps).squareRoot()
        let s = SIMD8<Float>(repeating: inverse)
        for i in stride(from: 0, to: full, by: 8) {
            var v = (archc_load8(x + i) - m) * s
            if let weight { v *= archc_load8(weight + i) }
            if let bias { v += archc_load8(bias + i) }
            UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD8<Float>.self)
        }
        for i in full..<c { y[i] = (x[i] - mean) * inverse * (weight?[i] ?? 1) + (bias?[i] ?? 0) }
    }
}
