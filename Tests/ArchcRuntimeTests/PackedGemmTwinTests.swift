import ArchcIR
import CKernelSupport
import XCTest

@testable import ArchcKernels

/// The packed GEMM against a naive triple loop on the mobile nets' shapes: narrow depths (K in
/// 1..40, whose blocks run their row tiles over all panels in turn), last panels of at most 8
/// columns (the half-panel tile: N = 24, 40, 1000) or of 9-15 (stored column by column), odd
/// M, every epilogue; and the same bits for 1, 2 and 3 threads, and (on a CPU with AVX-512)
/// from the 512-bit and the AVX2 micro-kernels.
final class PackedGemmTwinTests: XCTestCase {
    private struct Shape {
        var m, n, k: Int
        var activation: Activation?
        var residual: Bool
        var postActivation: Activation?
    }

    /// `epilogue(A[M, K] * W[N, K]^T)` by the packed GEMM on `pool`; `inPlace`: C is the
    /// residual's own memory (as the engine runs a conv that reads its residual last).
    private func packed(_ s: Shape, a: [Float], w: [Float], bias: [Float], residual: [Float], pool: WorkerPool, inPlace: Bool = false) -> [Float] {
        let weights = PackedGemm.pack(w, n: s.n, k: s.k)
        defer { AlignedMemory.free(weights.data) }
        var c = inPlace ? residual : [Float](repeating: .nan, count: s.m * s.n)
        bias.withUnsafeBufferPointer { bias in
            residual.withUnsafeBufferPointer { res in
                c.withUnsafeMutableBufferPointer { c in
                    let epilogue = EpilogueKernel(bias: bias.baseAddress, activation: s.activation, postActivation: s.postActivation)
                    let residual = s.residual ? (inPlace ? UnsafePointer(c.baseAddress) : res.baseAddress) : nil
                    PackedGemm.multiply(
                        m: s.m, a: a, lda: s.k, weights, c: c.baseAddress!, ldc: s.n, epilogue: epilogue, residual: residual, pool: pool)
                }
            }
        }
        return c
    }

    /// The same in the obvious order, in Double, then rounded.
    private func naive(_ s: Shape, a: [Float], w: [Float], bias: [Float], residual: [Float]) -> [Float] {
        (0..<s.m * s.n).map { index in
            let (i, j) = (index / s.n, index % s.n)
            var sum = Double(bias[j])
            for kk in 0..<s.k { sum += Double(a[i * s.k + kk]) * Double(w[j * s.k + kk]) }
            var v = Float(sum)
            if let act = s.activation { v = EpilogueKernel.activate(v, act) }
            if s.residual { v += residual[index] }
            if let post = s.postActivation { v = EpilogueKernel.activate(v, post) }
            return v
        }
    }

    private func check(_ s: Shape, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var generator = SeededGenerator(seed: seed)
        let a = generator.uniformArray(s.m * s.k, -1, 1), w = generator.uniformArray(s.n * s.k, -1, 1)
        let bias = generator.uniformArray(s.n, -1, 1), residual = generator.uniformArray(s.m * s.n, -1, 1)
        let expected = naive(s, a: a, w: w, bias: bias, residual: residual)
        let one = packed(s, a: a, w: w, bias: bias, residual: residual, pool: WorkerPool(threads: 1))
        let scale = max(1, expected.map(abs).max() ?? 0)
        // C starts as NaN: an element never stored counts as an infinite error (max skips NaN).
        let error = zip(one, expected).map { abs($0 - $1) }.map { $0.isNaN ? .infinity : $0 }.max() ?? 0
        XCTAssertLessThanOrEqual(error / scale, 1e-5, "\(s): error \(error) of \(scale)", file: file, line: line)
        for threads in [2, 3] {
            let got = packed(s, a: a, w: w, bias: bias, residual: residual, pool: WorkerPool(threads: threads))
            XCTAssertTrue(got.elementsEqual(one) { $0.bitPattern == $1.bitPattern }, "\(s): \(threads) threads differ from 1", file: file, line: line)
        }
        // On a CPU with AVX-512 the other micro-kernel (the 512-bit one or the AVX2 one) gives the same bits.
        for wide in RuntimeTest.kernelSets where wide != AVX512.enabled {
            for threads in [1, 2] {
                let got = RuntimeTest.withKernels(wide: wide) { packed(s, a: a, w: w, bias: bias, residual: residual, pool: WorkerPool(threads: threads)) }
                XCTAssertTrue(
                    got.elementsEqual(one) { $0.bitPattern == $1.bitPattern }, "\(s): the \(wide ? "512-bit" : "AVX2") tile on \(threads) threads differs",
                    file: file, line: line)
            }
        }
        // Where the engine may write C over the residual (`PackedGemm.storesOnce`): the same bits.
        if s.residual && PackedGemm.storesOnce(k: s.k) {
            for wide in RuntimeTest.kernelSets {
                for threads in [1, 2] {
                    let got = RuntimeTest.withKernels(wide: wide) {
                        packed(s, a: a, w: w, bias: bias, residual: residual, pool: WorkerPool(threads: threads), inPlace: true)
                    }
                    XCTAssertTrue(
                        got.elementsEqual(one) { $0.bitPattern == $1.bitPattern }, "\(s): in place on \(threads) threads, wide \(wide)", file: file,
                        line: line)
                }
            }
        }
    }

    /// Every depth from 1 to 40 (odd ones included), with N of one to several panels and
    /// half-panel tails; M odd and long enough for row parts (at least 24 six-row tiles).
    func testNarrowDepthsAgainstNaive() {
        let widths = [96, 24, 40, 16, 5, 13, 144]
        let epilogues: [(Activation?, Bool, Activation?)] = [
            (.relu6, false, nil), (nil, false, nil), (nil, true, nil), (.relu, true, .relu6), (.gelu, false, nil),
        ]
        for k in 1...40 {
            let n = widths[k % widths.count]
            let (act, res, post) = epilogues[k % epilogues.count]
            let m = k % 3 == 0 ? 12 * 12 + 5 : 2 * 13 * 13
            check(Shape(m: m, n: n, k: k, activation: act, residual: res, postActivation: post), seed: UInt64(700 + k))
        }
    }

    /// Last panels of 1 to 15 columns on deep and shallow K (one and two depth blocks), every
    /// epilogue, and M below a tile, at 7x7 (one-row tail) and across row parts.
    func testNarrowLastPanelsAgainstNaive() {
        let shapes = [
            Shape(m: 3136 / 4 + 1, n: 24, k: 96, activation: nil, residual: false, postActivation: nil),
            Shape(m: 784, n: 40, k: 144, activation: nil, residual: true, postActivation: nil),
            Shape(m: 49, n: 1000, k: 300, activation: nil, residual: false, postActivation: nil),
            Shape(m: 5, n: 8, k: 513, activation: .relu6, residual: true, postActivation: nil),
            Shape(m: 197, n: 7, k: 33, activation: .gelu, residual: true, postActivation: .relu),
            Shape(m: 61, n: 1, k: 17, activation: .relu, residual: false, postActivation: nil),
            Shape(m: 300, n: 47, k: 260, activation: .relu, residual: true, postActivation: .relu6),
            // Two tiles over a full panel and one of 12 columns (the 512-bit tile's sums through
            // `TileOutput`), shallow and across depth blocks.
            Shape(m: 100, n: 28, k: 40, activation: .relu, residual: true, postActivation: nil),
            Shape(m: 601, n: 28, k: 600, activation: nil, residual: false, postActivation: .relu),
        ]
        for (index, shape) in shapes.enumerated() { check(shape, seed: UInt64(800 + index)) }
    }

    /// The shapes of ResNet-50's and EfficientNet-Lite0's pointwise convs, cut down in M.
    func testModelShapesAgainstNaive() {
        let shapes = [
            Shape(m: 1000, n: 96, k: 16, activation: .relu6, residual: false, postActivation: nil),
            Shape(m: 700, n: 144, k: 24, activation: .relu6, residual: false, postActivation: nil),
            Shape(m: 601, n: 64, k: 64, activation: .relu, residual: false, postActivation: nil),
            Shape(m: 601, n: 256, k: 64, activation: nil, residual: true, postActivation: .relu),
            Shape(m: 433, n: 64, k: 256, activation: .relu, residual: false, postActivation: nil),
        ]
        for (index, shape) in shapes.enumerated() { check(shape, seed: UInt64(900 + index)) }
    }

    /// Both loop orders inside a block, each with residuals and one or several depth blocks:
    /// blocks whose weights (at one depth block) pass `rowsOuterBytesOfB` run each panel over
    /// all tiles, the others each tile over all panels (ResNet-50's layer4 shapes among them).
    /// The limit follows the machine's L2; the shapes are chosen for 256 KiB (a Zen 3's), set here.
    func testBothLoopOrdersAgainstNaive() {
        let saved = PackedGemm.rowsOuterBytesOfB
        PackedGemm.rowsOuterBytesOfB = PackedGemm.rowsOuterLimit(l2Bytes: 512 << 10)
        defer { PackedGemm.rowsOuterBytesOfB = saved }
        let panelsOuter = [
            Shape(m: 601, n: 256, k: 300, activation: nil, residual: true, postActivation: .relu),
            Shape(m: 400, n: 144, k: 1000, activation: .relu, residual: false, postActivation: nil),
        ]
        let rowsOuter = [
            Shape(m: 601, n: 256, k: 250, activation: nil, residual: true, postActivation: .relu),
            Shape(m: 300, n: 96, k: 1100, activation: .relu6, residual: true, postActivation: nil),
            Shape(m: 49, n: 512, k: 512, activation: nil, residual: true, postActivation: .relu),
        ]
        // The order of every block at every depth block, as `multiply` decides it.
        func orders(_ s: Shape) -> Set<Bool> {
            let depth = PackedGemm.depthBlock(k: s.k)
            let blocks = PackedGemm.split(m: s.m, n: s.n, panels: (s.n + PackedGemm.nr - 1) / PackedGemm.nr).joined().filter { $0.r1 > $0.r0 && $0.p1 > $0.p0 }
            let depths = stride(from: 0, to: s.k, by: depth).map { min(depth, s.k - $0) }
            return Set(blocks.flatMap { block in depths.map { PackedGemm.runsRowsOuter(depth: $0, panels: block.p1 - block.p0) } })
        }
        for (index, shape) in panelsOuter.enumerated() {
            XCTAssertTrue(orders(shape).contains(false), "\(shape): no block runs panels over tiles")
            check(shape, seed: UInt64(980 + index))
        }
        for (index, shape) in rowsOuter.enumerated() {
            XCTAssertEqual(orders(shape), [true], "\(shape): a block runs panels over tiles")
            check(shape, seed: UInt64(990 + index))
        }
    }

    /// The rows-outer limit: the L2 per core less 256 KiB, at least 256 KiB, an unknown L2 taken
    /// as 512 KiB and a report above 4 MiB (more L2 than any x86 core has: a wrong CPUID) as 4 MiB.
    func testRowsOuterLimitFollowsTheL2() {
        XCTAssertEqual(PackedGemm.rowsOuterLimit(l2Bytes: 512 << 10), 256 << 10)  // Zen 3
        XCTAssertEqual(PackedGemm.rowsOuterLimit(l2Bytes: 1 << 20), 768 << 10)  // Zen 4
        XCTAssertEqual(PackedGemm.rowsOuterLimit(l2Bytes: 2 << 20), (2 << 20) - (256 << 10))
        XCTAssertEqual(PackedGemm.rowsOuterLimit(l2Bytes: 0), 256 << 10)
        XCTAssertEqual(PackedGemm.rowsOuterLimit(l2Bytes: 256 << 10), 256 << 10)
        XCTAssertEqual(PackedGemm.rowsOuterLimit(l2Bytes: 320 << 20), (4 << 20) - (256 << 10))
        XCTAssertEqual(PackedGemm.rowsOuterBytesOfB, PackedGemm.rowsOuterLimit(l2Bytes: archc_l2_cache_bytes()))
    }

    /// The 512-bit tile runs where the CPU has AVX-512F, unless ARCHC_ISA=avx2 asks for the AVX2 one.
    func testWideTileWhereTheCPUHasIt() throws {
        let asked = ProcessInfo.processInfo.environment["ARCHC_ISA"]
        XCTAssertEqual(AVX512.enabled, archc_cpu_has_avx512f() != 0 && !AVX512.asksForAVX2(asked))
        if archc_cpu_has_avx512f() == 0 { throw XCTSkip("this CPU has no AVX-512F: the 512-bit tile is never run here") }
    }

    /// K is cut into the fewest depth blocks of at most 512, each a multiple of 8 but the
    /// last, which is at most one block long and shorter by less than 8 per block.
    func testDepthBlocksAreTheFewestAndEqual() {
        for k in 1...5000 {
            let depth = PackedGemm.depthBlock(k: k)
            let blocks = (k + depth - 1) / depth
            XCTAssertLessThanOrEqual(depth, PackedGemm.maxDepthBlock, "k \(k)")
            XCTAssertEqual(depth % 8, 0, "k \(k)")
            XCTAssertEqual(blocks, (k + PackedGemm.maxDepthBlock - 1) / PackedGemm.maxDepthBlock, "k \(k): not the fewest blocks")
            let last = k - (blocks - 1) * depth
            XCTAssertTrue(last > 0 && last <= depth && depth * blocks - k < 8 * blocks, "k \(k): depth \(depth), last block \(last)")
        }
    }

    /// Depths of one to four blocks, the last one shorter (K = 513: 264 + 249; 1025: 344 +
    /// 344 + 337; 1537, 2047), every epilogue, split by rows and by columns.
    func testSeveralDepthBlocksAgainstNaive() {
        let shapes = [
            Shape(m: 13, n: 40, k: 513, activation: .relu, residual: true, postActivation: nil),
            Shape(m: 197, n: 33, k: 1025, activation: nil, residual: true, postActivation: .relu),
            Shape(m: 50, n: 200, k: 1537, activation: .relu6, residual: false, postActivation: nil),
            Shape(m: 161, n: 17, k: 2047, activation: .gelu, residual: false, postActivation: nil),
            Shape(m: 7, n: 64, k: 512, activation: nil, residual: true, postActivation: nil),
            // One partial tile over two whole panels, accumulated across depth blocks; GELU
            // before and after a residual, across depth blocks (the 512-bit tile's own epilogue).
            Shape(m: 5, n: 32, k: 513, activation: .relu6, residual: true, postActivation: nil),
            Shape(m: 61, n: 64, k: 600, activation: .gelu, residual: true, postActivation: .gelu),
            Shape(m: 97, n: 96, k: 300, activation: .gelu, residual: true, postActivation: .relu),
        ]
        for (index, shape) in shapes.enumerated() { check(shape, seed: UInt64(950 + index)) }
    }
}
