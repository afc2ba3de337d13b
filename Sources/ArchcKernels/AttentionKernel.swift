import CKernelSupport

/// Multi-head self-attention on fused projections, without ever storing a T x T matrix:
/// x (N, T, 3C) holds q, k and v side by side (head h in columns h*d..<(h+1)*d of each,
/// d = C / heads); y (N, T, C) gets, per head, softmax(q k^T / sqrt(d)) v.
///
/// One chunk per (image, head), fixed by the shape, so results do not depend on the thread
/// count. A chunk transposes its head's keys once (scaled by 1 / sqrt(d)) into a d x T' buffer
/// (T' = T rounded up to 16, zero columns after T), then walks the queries in blocks of two
/// 6-row tiles: the block's 12 x T' scores (10 KB at DeiT-S's T = 197) stay in L1 through the
/// softmax and the product with v. Both products are 6-row x 16-column register tiles (12
/// accumulators), the shape of the packed GEMM's micro-kernel, and both run the block's tiles
/// inside the loop over 16-column slices, so a slice of keys (d x 16, 4 KB) or of v (T x 16,
/// 12.6 KB) comes from L2 once per block rather than once per tile.
public enum AttentionKernel {
    static let rows = 6
    /// 6-row tiles per query block: a block's scores and one 16-column slice of v fit L1
    /// together (10 + 12.6 KB at T = 197).
    static let tilesPerBlock = 2

    public static func run(batch: Int, tokens t: Int, channels c: Int, heads: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, pool: WorkerPool) {
        let d = c / heads
        let padded = (t + 15) / 16 * 16
        let blockRows = rows * tilesPerBlock
        pool.run(chunks: batch * heads) { chunk in
            let n = chunk / heads, h = chunk % heads
            withUnsafeTemporaryAllocation(of: Float.self, capacity: d * padded + blockRows * padded + blockRows) { buffer in
                let keys = buffer.baseAddress!, scores = keys + d * padded, inverse = scores + blockRows * padded
                let base = x + n * t * 3 * c
                transposeKeys(base + c + h * d, stride: 3 * c, tokens: t, depth: d, padded: padded, into: keys)
                var i0 = 0
                while i0 < t {
                    let count = min(blockRows, t - i0)
                    let tiles = (count + rows - 1) / rows
                    // Rows past the last query repeat it; their results are never stored.
                    let query = { (r: Int) in UnsafePointer(base + (i0 + min(r, count - 1)) * 3 * c + h * d) }
                    var j = 0
                    while j < padded {
                        for tile in 0..<tiles {
                            let r = tile * rows
                            score(
                                (query(r), query(r + 1), query(r + 2), query(r + 3), query(r + 4), query(r + 5)), keys: keys + j, depth: d, padded: padded,
                                into: scores + r * padded + j)
                        }
                        j += 16
                    }
                    for r in 0..<count { inverse[r] = 1 / softmaxNumerators(scores + r * padded, tokens: t) }
                    weightValues(
                        scores, padded: padded, tokens: t, values: base + 2 * c + h * d, stride: 3 * c, depth: d, inverse: inverse,
                        out: y + (n * t + i0) * c + h * d, outStride: c, rows: count)
                    i0 += count
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

    /// scores[r * padded + i] = sum_e q_r[e] * keys[e * padded + i] for 6 rows and 16 columns
    /// (`keys` and `scores` point at the tile's first column).
    @inline(__always)
    static func score(
        _ q: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
        keys: UnsafePointer<Float>, depth: Int, padded: Int, into row: UnsafeMutablePointer<Float>
    ) {
        let (q0, q1, q2, q3, q4, q5) = q
        var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
        var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
        var a4 = SIMD8<Float>(), b4 = SIMD8<Float>(), a5 = SIMD8<Float>(), b5 = SIMD8<Float>()
        for e in 0..<depth {
            let k = keys + e * padded
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
        store(a0, row); store(b0, row + 8)
        store(a1, row + padded); store(b1, row + padded + 8)
        store(a2, row + 2 * padded); store(b2, row + 2 * padded + 8)
        store(a3, row + 3 * padded); store(b3, row + 3 * padded + 8)
        store(a4, row + 4 * padded); store(b4, row + 4 * padded + 8)
        store(a5, row + 5 * padded); store(b5, row + 5 * padded + 8)
    }

    /// Replaces the first `tokens` scores of a row by exp(score - max) and returns their sum:
    /// one pass for the maximum, one for the exponentials and their sum, eight lanes at a time
    /// in a fixed order (the last partial vector masked; the padding after it is never read).
    static func softmaxNumerators(_ row: UnsafeMutablePointer<Float>, tokens: Int) -> Float {
        let full = tokens / 8 * 8
        let keep = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .< SIMD8<Int32>(repeating: Int32(tokens - full))
        var largest = SIMD8<Float>(repeating: -.infinity)
        for j in stride(from: 0, to: full, by: 8) {
            let v = archc_load8(row + j)
            largest = largest.replacing(with: v, where: v .> largest)
        }
        if full < tokens {
            let v = archc_load8(row + full).replacing(with: -.infinity, where: .!keep)
            largest = largest.replacing(with: v, where: v .> largest)
        }
        let shift = SIMD8<Float>(repeating: largest.max())
        var sum = SIMD8<Float>()
        for j in stride(from: 0, to: full, by: 8) {
            let e = VectorMath.exp(archc_load8(row + j) - shift)
            store(e, row + j)
            sum += e
        }
        if full < tokens {
            let e = VectorMath.exp(archc_load8(row + full) - shift).replacing(with: 0, where: .!keep)
            store(e, row + full)
            sum += e
        }
        return sum.sum()
    }

    /// out[r][e] = inverse[r] * sum_j p[r][j] * v[j][e] for the block's `count` rows:
    /// per 16 columns of v, every 6-row tile (so the T x 16 slice of v is read from L2 once per
    /// block), the columns past the last multiple of 16 one by one.
    static func weightValues(
        _ p: UnsafePointer<Float>, padded: Int, tokens: Int, values: UnsafePointer<Float>, stride: Int, depth: Int, inverse: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, outStride: Int, rows count: Int
    ) {
        let tiles = (count + rows - 1) / rows
        var e0 = 0
        while e0 + 16 <= depth {
            for tile in 0..<tiles {
                let r = tile * rows
                weightTile(
                    p + r * padded, padded: padded, tokens: tokens, values: values + e0, stride: stride, inverse: inverse + r,
                    out: out + r * outStride + e0, outStride: outStride, rows: min(rows, count - r))
            }
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

    /// One 6-row x 16-column tile of `weightValues` (`values` and `out` at its first column);
    /// rows past `count` (the last query's raw scores again) are computed but not stored.
    @inline(__always)
    static func weightTile(
        _ p: UnsafePointer<Float>, padded: Int, tokens: Int, values: UnsafePointer<Float>, stride: Int, inverse: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, outStride: Int, rows count: Int
    ) {
        let (p0, p1, p2, p3, p4, p5) = (p, p + padded, p + 2 * padded, p + 3 * padded, p + 4 * padded, p + 5 * padded)
        var a0 = SIMD8<Float>(), b0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b1 = SIMD8<Float>()
        var a2 = SIMD8<Float>(), b2 = SIMD8<Float>(), a3 = SIMD8<Float>(), b3 = SIMD8<Float>()
        var a4 = SIMD8<Float>(), b4 = SIMD8<Float>(), a5 = SIMD8<Float>(), b5 = SIMD8<Float>()
        for j in 0..<tokens {
            let v = values + j * stride
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
        storeRow(a0, b0, out, inverse[0])
        if count > 1 { storeRow(a1, b1, out + outStride, inverse[1]) }
        if count > 2 { storeRow(a2, b2, out + 2 * outStride, inverse[2]) }
        if count > 3 { storeRow(a3, b3, out + 3 * outStride, inverse[3]) }
        if count > 4 { storeRow(a4, b4, out + 4 * outStride, inverse[4]) }
        if count > 5 { storeRow(a5, b5, out + 5 * outStride, inverse[5]) }
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
