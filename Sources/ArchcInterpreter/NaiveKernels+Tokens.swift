import ArchcIR
import Foundation

/// The token ops of vision transformers, as their definitions read. Tokens are (N, T, C),
/// one token's channels contiguous, as PyTorch's ViTs hold them.
extension NaiveKernels {
    /// (N, C, H, W) -> (N, H*W, C): each pixel becomes a token, row by row.
    public static func tokens(_ x: Tensor) -> Tensor {
        let (n, c, pixels) = (x.dims[0], x.dims[1], x.dims[2] * x.dims[3])
        var out = [Float](repeating: 0, count: x.count)
        for b in 0..<n {
            for ch in 0..<c {
                for p in 0..<pixels { out[(b * pixels + p) * c + ch] = x.data[(b * c + ch) * pixels + p] }
            }
        }
        return Tensor(dims: [n, pixels, c], data: out)
    }

    /// (N, T, C) with token (1, 1, C) -> (N, T + 1, C), the token first.
    public static func prependToken(_ x: Tensor, token: Tensor) -> Tensor {
        let (n, t, c) = (x.dims[0], x.dims[1], x.dims[2])
        var out: [Float] = []
        out.reserveCapacity(n * (t + 1) * c)
        for b in 0..<n {
            out += token.data
            out += x.data[(b * t * c)..<((b + 1) * t * c)]
        }
        return Tensor(dims: [n, t + 1, c], data: out)
    }

    /// x + constant, the constant (1, ...) broadcast over the batch.
    public static func addConstant(_ x: Tensor, _ constant: Tensor) -> Tensor {
        let per = constant.count
        return Tensor(dims: x.dims, data: x.data.indices.map { x.data[$0] + constant.data[$0 % per] })
    }

    /// (N, T, 3C) -> (N, T, C): per head h (columns h*d..<(h+1)*d of q, k and v, d = C / heads),
    /// softmax(q k^T / sqrt(d)) v, in double precision.
    public static func attention(_ x: Tensor, heads: Int) -> Tensor {
        let (n, t, c3) = (x.dims[0], x.dims[1], x.dims[2])
        let c = c3 / 3, d = c / heads
        let scale = 1 / Double(d).squareRoot()
        var out = [Float](repeating: 0, count: n * t * c)
        func at(_ b: Int, _ token: Int, _ column: Int) -> Double { Double(x.data[(b * t + token) * c3 + column]) }
        for b in 0..<n {
            for h in 0..<heads {
                for i in 0..<t {
                    var scores = [Double](repeating: 0, count: t)
                    for j in 0..<t {
                        var dot = 0.0
                        for e in 0..<d { dot += at(b, i, h * d + e) * at(b, j, c + h * d + e) }
                        scores[j] = dot * scale
                    }
                    let largest = scores.max()!
                    let weights = scores.map { exp($0 - largest) }
                    let total = weights.reduce(0, +)
                    for e in 0..<d {
                        var sum = 0.0
                        for j in 0..<t { sum += weights[j] * at(b, j, 2 * c + h * d + e) }
                        out[(b * t + i) * c + h * d + e] = Float(sum / total)
                    }
                }
            }
        }
        return Tensor(dims: [n, t, c], data: out)
    }

    /// (N, T, C) -> (N, C): token `index`.
    public static func selectToken(_ x: Tensor, index: Int) -> Tensor {
        let (n, t, c) = (x.dims[0], x.dims[1], x.dims[2])
        var out: [Float] = []
        for b in 0..<n { out += x.data[((b * t + index) * c)..<((b * t + index + 1) * c)] }
        return Tensor(dims: [n, c], data: out)
    }

    /// (N, T, C) -> (N, C): the mean over tokens.
    public static func tokenMean(_ x: Tensor) -> Tensor {
        let (n, t, c) = (x.dims[0], x.dims[1], x.dims[2])
        var out = [Float](repeating: 0, count: n * c)
        for b in 0..<n {
            for ch in 0..<c {
                var sum = 0.0
                for token in 0..<t { sum += Double(x.data[(b * t + token) * c + ch]) }
                out[b * c + ch] = Float(sum / Double(t))
            }
        }
        return Tensor(dims: [n, c], data: out)
    }
}
