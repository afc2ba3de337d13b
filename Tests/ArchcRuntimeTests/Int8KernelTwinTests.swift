import ArchcIR
import ArchcKernels
import CKernelSupport
import XCTest

/// The int8 kernels against naive integer loops: exact sums on odd sizes, every zero point,
/// both kernel paths (AVX2 and portable C), im2col convs with padding, strides, dilation and
/// batch > 1; and the quantizers' round trips.
final class Int8KernelTwinTests: XCTestCase {
    let pool = WorkerPool(threads: 2)

    /// Random weights that quantize exactly: integers in [-63, 63], each row's largest |w| 63
    /// (so its scale is 1).
    func integerWeights(n: Int, k: Int, generator: inout SeededGenerator) -> [Float] {
        var w = (0..<(n * k)).map { _ in Float(Int(generator.next() % 127) - 63) }
        for row in 0..<n { w[row * k + Int(generator.next() % UInt64(k))] = generator.next() % 2 == 0 ? 63 : -63 }
        return w
    }

    func packed(_ w: [Float], n: Int, k: Int) -> Int8Weights {
        let memory = UnsafeMutableRawPointer(AlignedMemory.bytes(Int8Weights.packedBytes(n: n, k: k))).bindMemory(to: Int8.self, capacity: 1)
        return w.withUnsafeBufferPointer { Int8Weights(quantizing: $0.baseAddress!, n: n, k: k, into: memory) }
    }

    func gemm(_ weights: Int8Weights, zeroPoint: Int, bias: [Float]?) -> Int8Gemm {
        let input = ActivationQuantization(scale: 1, zeroPoint: zeroPoint)
        return bias.withUnsafeBufferPointer(or: nil) { b in
            Int8Gemm(weights: weights, input: input, bias: b) { UnsafeMutableRawPointer(AlignedMemory.bytes($0)) }
        }
    }

    func testGemmSumsAreExactIntegers() throws {
        var generator = SeededGenerator(seed: 3)
        for (m, n, k, zp) in [(1, 1, 1, 0), (5, 7, 3, 128), (49, 33, 17, 255), (101, 16, 64, 7), (13, 50, 259, 0), (196, 40, 96, 90)] {
            let w = integerWeights(n: n, k: k, generator: &generator)
            let weights = packed(w, n: n, k: k)
            XCTAssertEqual(weights.scales, [Float](repeating: 1, count: n))
            let kp = weights.kp
            var a = [UInt8](repeating: 0, count: m * kp)
            for r in 0..<m { for i in 0..<k { a[r * kp + i] = UInt8(generator.next() % 256) } }
            var c = [Float](repeating: .nan, count: m * n)
            let g = gemm(weights, zeroPoint: zp, bias: nil)
            let identity = EpilogueKernel(bias: nil, activation: nil, postActivation: nil)
            c.withUnsafeMutableBufferPointer { out in
                g.multiply(m: m, quantized: a, c: out.baseAddress!, ldc: n, epilogue: identity, residual: nil, pool: pool)
            }
            for r in 0..<m {
                for j in 0..<n {
                    var sum = 0
                    for i in 0..<k { sum += (Int(a[r * kp + i]) - zp) * Int(w[j * k + i]) }
                    XCTAssertEqual(c[r * n + j], Float(sum), "m \(m) n \(n) k \(k) zp \(zp) at [\(r), \(j)]")
                }
            }
        }
    }

    func testAVX2AndPortableKernelsAgreeExactly() throws {
        var generator = SeededGenerator(seed: 4)
        let (m, n, k) = (23, 37, 45)
        let w = integerWeights(n: n, k: k, generator: &generator)
        let weights = packed(w, n: n, k: k)
        let g = gemm(weights, zeroPoint: 0, bias: nil)
        let a = (0..<(m * weights.kp)).map { _ in UInt8(generator.next() % 256) }
        var fast = [Float](repeating: 0, count: m * n), portable = fast
        var e = archc_qepilogue(scale: g.scale, offset: g.offset, bias: g.bias, residual: nil, activation: 0, post_activation: 0)
        archc_qgemm_u8s8(a, weights.kp, weights.kp, weights.data, 0, m, 0, weights.panels, n, &fast, n, &e)
        archc_qgemm_u8s8_portable(a, weights.kp, weights.kp, weights.data, 0, m, 0, weights.panels, n, &portable, n, &e)
        XCTAssertEqual(fast, portable)
    }

    /// The AVX-512 VNNI kernel against the AVX2 one, bit for bit, with dequantization scales
    /// that are not 1 (so the epilogue's fused multiply-add and its order show), and against
    /// the portable one where every value is an exact integer (scale 1, no bias): 12-row tiles
    /// and tails of 1-8 rows (M = 1, 4, 5, 8, 13, 20, 49, 196), one or two panels per step and
    /// a narrow last panel (N = 16, 17, 33, 40, 50), K not a multiple of 4, rows in more than
    /// one block (K = 1100), a block of rows and panels inside C, both loop orders, every
    /// epilogue the kernel finishes (bias, ReLU / ReLU6, residual, post-activation), zero
    /// points 0..255; C has a guard column band and row that must stay untouched.
    func testVNNIKernelAgreesWithAVX2AndPortableExactly() throws {
        try XCTSkipUnless(archc_cpu_has_avx512vnni() != 0, "this CPU has no AVX-512 VNNI")
        var generator = SeededGenerator(seed: 14)
        let shapes = [
            (1, 16, 4, 0), (4, 17, 45, 255), (5, 40, 64, 7), (8, 33, 12, 1), (13, 50, 259, 128), (20, 16, 31, 60), (49, 33, 17, 90),
            (196, 40, 96, 3), (196, 40, 1100, 5),
        ]
        for (m, n, k, zp) in shapes {
            let w = integerWeights(n: n, k: k, generator: &generator)
            let weights = packed(w, n: n, k: k)
            let a = (0..<(m * weights.kp)).map { _ in UInt8(generator.next() % 256) }
            let ldc = n + 16, rows = m + 1
            let residual = generator.uniformArray(rows * ldc, -50, 50)
            for exact in [true, false] {
                let input = ActivationQuantization(scale: exact ? 1 : 0.0371, zeroPoint: zp)
                let bias = exact ? nil : generator.uniformArray(n, -5, 5)
                let g = bias.withUnsafeBufferPointer(or: nil) { b in
                    Int8Gemm(weights: weights, input: input, bias: b) { UnsafeMutableRawPointer(AlignedMemory.bytes($0)) }
                }
                let epilogues: [(Int32, Int32, Bool)] = exact ? [(0, 0, false)] : [(0, 0, false), (1, 0, true), (2, 1, true), (0, 2, false)]
                for (activation, post, withResidual) in epilogues {
                    // Rows [r0, m) and panels [p0, panels) of C: all of it, and a block inside it;
                    // both loop orders (rows outer when the block's weights are at most the limit).
                    for (r0, p0, rowsOuter) in [(0, 0, 0), (m / 2, weights.panels / 2, 0), (0, 0, Int.max), (m / 2, weights.panels / 2, Int.max)] {
                        var vnni = [Float](repeating: .nan, count: rows * ldc), other = vnni
                        residual.withUnsafeBufferPointer { res in
                            var e = archc_qepilogue(
                                scale: g.scale, offset: g.offset, bias: g.bias, residual: withResidual ? res.baseAddress : nil, activation: activation,
                                post_activation: post)
                            let data = weights.data
                            archc_qgemm_u8s8_vnni(a, weights.kp, weights.kp, data, r0, m, p0, weights.panels, n, &vnni, ldc, &e, rowsOuter)
                            if exact {
                                archc_qgemm_u8s8_portable(a, weights.kp, weights.kp, data, r0, m, p0, weights.panels, n, &other, ldc, &e)
                            } else {
                                archc_qgemm_u8s8(a, weights.kp, weights.kp, data, r0, m, p0, weights.panels, n, &other, ldc, &e)
                            }
                        }
                        let what = "m \(m) n \(n) k \(k) zp \(zp) act \(activation) \(post) from [\(r0), \(p0)] rows outer \(rowsOuter) exact \(exact)"
                        XCTAssertEqual(vnni.map(\.bitPattern), other.map(\.bitPattern), what)
                        XCTAssertFalse(vnni[(m - 1) * ldc + n - 1].isNaN, "\(what): the last element was not written")
                        let guards = (0..<rows).flatMap { r in (n..<ldc).map { r * ldc + $0 } } + (m * ldc..<rows * ldc)
                        XCTAssertTrue(guards.allSatisfy { vnni[$0].isNaN }, "\(what): written outside C")
                    }
                }
            }
        }
    }

    func testEpiloguesMatchFloatArithmetic() throws {
        var generator = SeededGenerator(seed: 5)
        let (m, n, k) = (30, 21, 19)
        let w = integerWeights(n: n, k: k, generator: &generator)
        let weights = packed(w, n: n, k: k)
        let bias = generator.uniformArray(n, -50, 50), residual = generator.uniformArray(m * n, -50, 50)
        let a = (0..<(m * weights.kp)).map { _ in UInt8(generator.next() % 256) }
        let g = gemm(weights, zeroPoint: 100, bias: bias)
        for (act, post) in [(Activation?.none, Activation?.none), (.relu, nil), (.relu6, .relu), (nil, .relu6), (.gelu, nil), (nil, .gelu)] {
            for withResidual in [false, true] {
                let epilogue = EpilogueKernel(bias: nil, activation: act, postActivation: post)
                var c = [Float](repeating: 0, count: m * n)
                residual.withUnsafeBufferPointer { res in
                    g.multiply(m: m, quantized: a, c: &c, ldc: n, epilogue: epilogue, residual: withResidual ? res.baseAddress : nil, pool: pool)
                }
                for r in 0..<m {
                    for j in 0..<n {
                        var sum = 0
                        for i in 0..<k { sum += (Int(a[r * weights.kp + i]) - 100) * Int(w[j * k + i]) }
                        let expected = epilogue.finish(Float(sum) + bias[j], residual: withResidual ? residual[r * n + j] : nil)
                        XCTAssertEqual(
                            c[r * n + j], expected, accuracy: 1e-4 * max(1, abs(expected)),
                            "\(String(describing: act)) \(String(describing: post)) residual \(withResidual)")
                    }
                }
            }
        }
    }

    func testQuantizerMatchesItsTwinAndRoundTrips() throws {
        var generator = SeededGenerator(seed: 6)
        // Tails shorter than 16 and 32, whole vectors, rows wider than k (NaN past k, never read).
        for ((lo, hi), (k, ldx)) in zip([(Float(-2.1), Float(2.6)), (0, 6), (-0.5, 30), (0, 0), (-1, 1)], [(37, 37), (5, 9), (48, 48), (16, 19), (70, 80)]) {
            let q = ActivationQuantization(lo: lo, hi: hi)
            let (rows, kp) = (7, (k + 3) / 4 * 4 + 4)
            var x = generator.uniformArray(rows * ldx, lo * 1.5 - 1, hi * 1.5 + 1)
            for r in 0..<rows { for i in k..<ldx { x[r * ldx + i] = .nan } }
            x[0] = .infinity
            x[1] = -.infinity
            x[2] = 0
            x[3] = .nan
            var fast = [UInt8](repeating: 9, count: rows * kp), portable = fast
            q.quantize(x, rows: rows, k: k, ldx: ldx, into: &fast, ldq: kp, kp: kp, pad: 3)
            archc_quantize_u8_portable(x, rows, k, ldx, &portable, kp, kp, 1 / q.scale, Int32(q.zeroPoint), 3)
            XCTAssertEqual(fast, portable)
            var avx2 = [UInt8](repeating: 9, count: rows * kp)
            archc_quantize_u8(x, rows, k, ldx, &avx2, kp, kp, 1 / q.scale, Int32(q.zeroPoint), 3)
            XCTAssertEqual(avx2, portable)
            if archc_cpu_has_avx512f() != 0 {
                var wide = [UInt8](repeating: 9, count: rows * kp)
                archc_quantize_u8_avx512(x, rows, k, ldx, &wide, kp, kp, 1 / q.scale, Int32(q.zeroPoint), 3)
                XCTAssertEqual(wide, portable)
            }
            for r in 0..<rows {
                for i in 0..<k {
                    let v = x[r * ldx + i]
                    XCTAssertEqual(fast[r * kp + i], q.quantize(v), "\(v) in [\(lo), \(hi)]")
                    if v >= lo && v <= hi { XCTAssertLessThanOrEqual(abs(q.dequantize(fast[r * kp + i]) - v), q.scale / 2 * 1.001) }
                }
                XCTAssertEqual(Array(fast[(r * kp + k)..<(r * kp + kp)]), [UInt8](repeating: 3, count: kp - k))
            }
            XCTAssertEqual(q.dequantize(q.quantize(0)), 0, "zero is exact in [\(lo), \(hi)]")
        }
    }

    func testWeightQuantizationRoundTrips() throws {
        var generator = SeededGenerator(seed: 7)
        let (n, k) = (19, 33)
        var w = generator.uniformArray(n * k, -0.3, 0.3)
        for i in 0..<k { w[5 * k + i] = 0 }  // an all-zero channel
        let weights = packed(w, n: n, k: k)
        for row in 0..<n {
            for i in 0..<k {
                let back = Float(weights.value(row: row, depth: i)) * weights.scales[row]
                XCTAssertLessThanOrEqual(abs(back - w[row * k + i]), weights.scales[row] / 2 * 1.001)
            }
            let largest = (0..<k).map { abs(Int(weights.value(row: row, depth: $0))) }.max()!
            XCTAssertEqual(largest, row == 5 ? 0 : 63, "row \(row) uses the full 7-bit range")
        }
        for i in k..<weights.kp { XCTAssertEqual(weights.value(row: 0, depth: i), 0, "depth padding is zero") }
    }

    func testIm2colConvMatchesNaiveIntegerConv() throws {
        var generator = SeededGenerator(seed: 8)
        // (batch, Cin, H, W, Cout, kernel, stride, pad, dilation)
        for (batch, cin, h, w, cout, kernel, stride, pad, dilation) in [
            (2, 3, 9, 7, 5, 3, 1, 1, 1), (1, 16, 11, 11, 17, 3, 2, 1, 1), (3, 5, 8, 10, 8, 5, 2, 2, 2), (2, 4, 7, 7, 33, 1, 2, 0, 1),
        ] {
            let outH = (h + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1, outW = (w + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1
            let attrs = ConvAttributes(stride: [stride, stride], padding: [pad, pad, pad, pad], dilation: [dilation, dilation], groups: 1)
            let g = ConvGeometry(
                batch: batch, input: TensorType([cin, h, w]), output: TensorType([cout, outH, outW]), weightDims: [cout, cin, kernel, kernel], attrs)
            let q = ActivationQuantization(lo: -1, hi: 3)
            let x = generator.uniformArray(batch * h * w * cin, -1, 3)  // NHWC
            let wt = integerWeights(n: cout, k: g.k, generator: &generator)  // [Cout, kh, kw, Cin]
            let weights = packed(wt, n: cout, k: g.k)
            let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: Int8ConvRows.bytes(g, kp: weights.kp))
            defer { scratch.deallocate() }
            let rows = Int8ConvRows.fill(g, x: x, quantization: q, kp: weights.kp, scratch: scratch, pool: pool)
            var y = [Float](repeating: 0, count: g.m * cout)
            let gemm = gemm(weights, zeroPoint: q.zeroPoint, bias: nil)
            gemm.multiply(
                m: g.m, quantized: rows, c: &y, ldc: cout, epilogue: EpilogueKernel(bias: nil, activation: nil, postActivation: nil), residual: nil, pool: pool)
            for n in 0..<batch {
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        for o in 0..<cout {
                            var sum = 0
                            for ky in 0..<kernel {
                                for kx in 0..<kernel {
                                    let iy = oy * stride - pad + ky * dilation, ix = ox * stride - pad + kx * dilation
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }  // padding: q = zp, (q - zp) = 0
                                    for c in 0..<cin {
                                        let v = Int(q.quantize(x[((n * h + iy) * w + ix) * cin + c])) - q.zeroPoint
                                        sum += v * Int(wt[o * g.k + (ky * kernel + kx) * cin + c])
                                    }
                                }
                            }
                            XCTAssertEqual(
                                y[((n * outH + oy) * outW + ox) * cout + o], Float(sum), "conv \(cin)->\(cout) k\(kernel) s\(stride) at \(n),\(oy),\(ox),\(o)")
                        }
                    }
                }
            }
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// The array's base address (nil for nil) for the duration of `body`.
    func withUnsafeBufferPointer<R>(or: UnsafePointer<Float>?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let self else { return body(or) }
        return self.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
