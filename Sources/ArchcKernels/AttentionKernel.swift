import CKernelSupport

/// Multi-head self-attention on fused projections, without ever storing a T x T matrix:
/// x (N, T, 3C) holds q, k and v side by side (head h in columns h*d..<(h+1)*d of each,
/// d = C / heads); y (N, T, C) gets, per head, softmax(q k^T / sqrt(d)) v.
///
/// One chunk per (image, head), fixed by the shape, so results do not depend on the thread
/// count. A chunk transposes its head's keys once (scaled by 1 / sqrt(d)) into a d x T' buffer
/// (T' = T rounded up to 16, zero columns after T), then walks the queries six at a time:
/// scores for six rows (6 x T', 5 KB at DeiT-S's T = 197) stay in L1 through the softmax and
/// the product with v. Both products are 6-row x 16-column register tiles (12 accumulators),
/// the shape of the packed GEMM's micro-kernel.
public enum AttentionKernel {
    static let rows = 6

    public static func run(batch: Int, tokens t: Int, channels c: Int, heads: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let d = c / heads
        let padded = (t + 15) / 16 * 16
        pool.run(chunks: batch * heads) { chunk in
            let n = chunk / heads, h = chunk % heads
            withUnsafeTemporaryAllocation(of: Float.self, capacity: d * padded + rows * padded) { buffer in
                let keys = buffer.baseAddress!, scores = keys + d * padded
                let base = x + n * t * 3 * c
                transposeKeys(base + c + h * d, stride: 3 * c, tokens: t, depth: d, padded: padded, into: keys)
                var i0 = 0
                while i0 < t {
                    let count = min(rows, t - i0)
                    // Rows past the last query repeat it; their results are never stored.
                    let query = { (r: Int) in UnsafePointer(base + (i0 + min(r, count - 1)) * 3 * c + h * d) }
                    score((query(0), query(1), query(2), query(3), query(4), query(5)), keys: keys, depth: d, padded: padded, into: scores)
                    var inverse = SIMD8<Float>()
                    for r in 0..<count { inverse[r] = 1 / softmaxNumerators(scores + r * padded, tokens: t, padded: padded) }
                    let values = base + 2 * c + h * d
                    weightValues(
                        scores, padded: padded, tokens: t, values: values, stride: 3 * c, depth: d, inverse: inverse,
                        out: y + (n * t + i0) * c + h * d, outStride: c, rows: count)
                    i0 += rows
                }
            }
        }
    }

    /// keys[e * padded + j] = k[j][e] / sqrt(depth), zero for j >= tokens.
    static func transposeKeys(_ k: UnsafePointer<Float>, stride: Int, tokens: Int, depth: Int, padded: Int, into keys: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(depth).squareRoot()
        keys.update(repeating: 0, count: depth * padded)
        for j in 0..<tokens {
            let row = k + j * stride
            for e in 0..<depth { keys[e * padded + j] = row[e] * scale }
        }
    }

    /// scores[r * padded + j] = sum_e q_r[e] * keys[e * padded + j], 6 rows x 16 columns at a time.
    @inline(__always)
    static func score(
        _ q: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
        keys: UnsafePointer<Float>, depth: Int, padded: Int, into scores: UnsafeMutablePointer<Float>
    ) {
        let (q0, q1, q2, q3, q4, q5) = q
        var j = 0
        while j < padded {
            var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
            var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
            var a4 = SIMD8<Float>(), b4 = SIMD8<Float>(), a5 = SIMD8<Float>(), b5 = SIMD8<Float>()
            for e in 0..<depth {
                let k = keys + e * padded + j
                let lo = archc_load8(k), hi = archc_load8(k + 8)
                var s = SIMD8<Float>(repeating: q0[e])
                a0.addProduct(s, lo); b0.addProduct(s, hi)
                s = SIMD8<Float>(repeating: q1[e])
                a1.addProduct(s, lo); b1.addProduct(s, hi)
                s = SIMD8<Float>(repeating: q2[e])
                a2.addProduct(s, lo); b2.addProduct(s, hi)
                s = SIMD8<Float>(repeating: q3[e])
                a3.addProduct(s, lo); b3.addProduct(s, hi)
                s = SIMD8<Float>(repeating: q4[e])
                a4.addProduct(s, lo); b4.addProduct(s, hi)
                s = SIMD8<Float>(repeating: q5[e])
                a5.addProduct(s, lo); b5.addProduct(s, hi)
            }
            let row = scores + j
            store(a0, row); store(b0, row + 8)
            store(a1, row + padded); store(b1, row + padded + 8)
            store(a2, row + 2 * padded); store(b2, row + 2 * padded + 8)
            store(a3, row + 3 * padded); store(b3, row + 3 * padded + 8)
            store(a4, row + 4 * padded); store(b4, row + 4 * padded + 8)
            store(a5, row + 5 * padded); store(b5, row + 5 * padded + 8)
            j += 16
        }
    }

    /// Replaces a row of scores by exp(score - max) over the first `tokens` (zero after them)
    /// and returns their sum, accumulated eight lanes at a time in a fixed order.
    static func softmaxNumerators(_ row: UnsafeMutablePointer<Float>, tokens: Int, padded: Int) -> Float {
        for j in tokens..<padded { row[j] = -.infinity }
        var largest = SIMD8<Float>(repeating: -.infinity)
        for j in stride(from: 0, to: padded, by: 8) {
            let v = archc_load8(row + j)
            largest = largest.replacing(with: v, where: v .> largest)
        }
        let shift = SIMD8<Float>(repeating: largest.max())
        for j in stride(from: 0, to: padded, by: 8) { store(VectorMath.exp(archc_load8(row + j) - shift), row + j) }
        for j in tokens..<padded { row[j] = 0 }
        var sum = SIMD8<Float>()
        for j in stride(from: 0, to: padded, by: 8) { sum += archc_load8(row + j) }
        return sum.sum()
    }

    /// out[r][e] = inverse[r] * sum_j p[r][j] * v[j][e], 6 rows x 16 columns at a time, the
    /// columns past the last multiple of 16 one by one.
    static func weightValues(
        _ p: UnsafePointer<Float>, padded: Int, tokens: Int, values: UnsafePointer<Float>, stride: Int, depth: Int, inverse: SIMD8<Float>,
        out: UnsafeMutablePointer<Float>, outStride: Int, rows count: Int
    ) {
        let (p0, p1, p2, p3, p4, p5) = (p, p + padded, p + 2 * padded, p + 3 * padded, p + 4 * padded, p + 5 * padded)
        var e0 = 0
        while e0 + 16 <= depth {
            var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
            var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
            var a4 = SIMD8<Float>(), b4 = SIMD8<Float>(), a5 = SIMD8<Float>(), b5 = SIMD8<Float>()
            for j in 0..<tokens {
                let v = values + j * stride + e0
                let lo = archc_load8(v), hi = archc_load8(v + 8)
                var s = SIMD8<Float>(repeating: p0[j])
                a0.addProduct(s, lo); b0.addProduct(s, hi)
                s = SIMD8<Float>(repeating: p1[j])
                a1.addProduct(s, lo); b1.addProduct(s, hi)
                s = SIMD8<Float>(repeating: p2[j])
                a2.addProduct(s, lo); b2.addProduct(s, hi)
                s = SIMD8<Float>(repeating: p3[j])
                a3.addProduct(s, lo); b3.addProduct(s, hi)
                s = SIMD8<Float>(repeating: p4[j])
                a4.addProduct(s, lo); b4.addProduct(s, hi)
                s = SIMD8<Float>(repeating: p5[j])
                a5.addProduct(s, lo); b5.addProduct(s, hi)
            }
            let row = out + e0
            storeRow(a0, b0, row, inverse[0])
            if count > 1 { storeRow(a1, b1, row + outStride, inverse[1]) }
            if count > 2 { storeRow(a2, b2, row + 2 * outStride, inverse[2]) }
            if count > 3 { storeRow(a3, b3, row + 3 * outStride, inverse[3]) }
            if count > 4 { storeRow(a4, b4, row + 4 * outStride, inverse[4]) }
            if count > 5 { storeRow(a5, b5, row + 5 * outStride, inverse[5]) }
            e0 += 16
        }
        for e in e0..<depth {
            for r in 0..<count {
                var sum: Float = 0
                for j in 0..<tokens { sum += p[r * padded + j] * values[j * stride + e] }
                out[r * outStride + e] = sum * inverse[r]
            }
        }
    }

    @inline(__always)
    static func storeRow(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ address: UnsafeMutablePointer<Float>, _ scale: Float) {
        store(lo * SIMD8<Float>(repeating: scale), address)
        store(hi * SIMD8<Float>(repeating: scale), address + 8)
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ address: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(address).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}
