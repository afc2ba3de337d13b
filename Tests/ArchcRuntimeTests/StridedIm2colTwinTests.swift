import ArchcIR
import XCTest

@testable import ArchcKernels

/// Strided dense convs the packed GEMM splits by columns read a gathered im2col matrix
/// (`ConvKernels.Im2colPath.gathersStrided`): against a naive NHWC loop in Double and against
/// the in-place rows they replace (the same bits: the same products in the same order), on
/// random shapes (odd sizes, stride 2 and 3, 1x1 to 5x5, asymmetric padding, Cin not a
/// multiple of 16 or above the 256-deep block, batch > 1), every epilogue, 1-3 threads.
final class StridedIm2colTwinTests: XCTestCase {
    fileprivate struct Case {
        var batch, c, h, w, cout, k, stride: Int
        /// top, left, bottom, right
        var padding: [Int]
        var activation: Activation? = nil
        var residual = false
        var postActivation: Activation? = nil

        var geometry: ConvGeometry {
            let outH = (h + padding[0] + padding[2] - k) / stride + 1, outW = (w + padding[1] + padding[3] - k) / stride + 1
            return ConvGeometry(
                batch: batch, input: TensorType([c, h, w]), output: TensorType([cout, outH, outW]), weightDims: [cout, c, k, k],
                ConvAttributes(stride: [stride, stride], padding: padding, dilation: [1, 1], groups: 1))
        }
    }

    /// Output [N, outH, outW, Cout] by `ConvKernels.im2col` (gathered: true) or by the packed
    /// GEMM on the input in place (gathered: false). Weights are [Cout][kh][kw][Cin].
    private func run(
        _ t: Case, gathered: Bool, x: [Float], w: [Float], bias: [Float], residual: [Float], threads: Int
    ) -> [Float] {
        let g = t.geometry
        let packed = PackedGemm.pack(w, n: t.cout, k: g.k)
        defer { AlignedMemory.free(packed.data) }
        var scratch = [Float](repeating: .nan, count: max(1, ConvKernels.scratchFloats(g, backend: .packed)))
        var y = [Float](repeating: .nan, count: g.m * t.cout)
        let pool = WorkerPool(threads: threads)
        x.withUnsafeBufferPointer { x in
            bias.withUnsafeBufferPointer { bias in
                residual.withUnsafeBufferPointer { res in
                    scratch.withUnsafeMutableBufferPointer { scratch in
                        y.withUnsafeMutableBufferPointer { y in
                            let epilogue = EpilogueKernel(bias: bias.baseAddress, activation: t.activation, postActivation: t.postActivation)
                            let residual = t.residual ? res.baseAddress : nil
                            if gathered {
                                ConvKernels.im2col(
                                    g, x: x.baseAddress!, weight: GemmWeights(packed: packed), y: y.baseAddress!, residual: residual, epilogue: epilogue,
                                    scratch: scratch.baseAddress, pool: pool)
                            } else {
                                PackedGemm.multiply(
                                    m: g.m, rows: ConvRows(g: g, x: x.baseAddress!), packed, c: y.baseAddress!, ldc: t.cout, epilogue: epilogue,
                                    residual: residual, pool: pool)
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// The conv in the obvious order, in Double, then rounded; NHWC in and out.
    private func naive(_ t: Case, x: [Float], w: [Float], bias: [Float], residual: [Float]) -> [Float] {
        let g = t.geometry
        return (0..<g.m * t.cout).map { index in
            let (row, o) = (index / t.cout, index % t.cout)
            let n = row / (g.outH * g.outW), oy = row / g.outW % g.outH, ox = row % g.outW
            var sum = Double(bias[o])
            for ky in 0..<t.k {
                for kx in 0..<t.k {
                    let iy = oy * t.stride - t.padding[0] + ky, ix = ox * t.stride - t.padding[1] + kx
                    guard iy >= 0, iy < t.h, ix >= 0, ix < t.w else { continue }
                    for ci in 0..<t.c {
                        sum += Double(x[((n * t.h + iy) * t.w + ix) * t.c + ci]) * Double(w[((o * t.k + ky) * t.k + kx) * t.c + ci])
                    }
                }
            }
            var v = Float(sum)
            if let act = t.activation { v = EpilogueKernel.activate(v, act) }
            if t.residual { v += residual[index] }
            if let post = t.postActivation { v = EpilogueKernel.activate(v, post) }
            return v
        }
    }

    private func check(_ t: Case, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let g = t.geometry
        XCTAssertEqual(ConvKernels.Im2colPath(g, backend: .packed), .gathered, "\(t) should read a gathered matrix", file: file, line: line)
        var generator = SeededGenerator(seed: seed)
        let x = generator.uniformArray(t.batch * t.h * t.w * t.c, -1, 1), w = generator.uniformArray(t.cout * g.k, -1, 1)
        let bias = generator.uniformArray(t.cout, -1, 1), residual = generator.uniformArray(g.m * t.cout, -1, 1)
        let expected = naive(t, x: x, w: w, bias: bias, residual: residual)
        let one = run(t, gathered: true, x: x, w: w, bias: bias, residual: residual, threads: 1)
        let scale = max(1, expected.map(abs).max() ?? 0)
        // Outputs start as NaN: an element never stored counts as an infinite error.
        let error = zip(one, expected).map { abs($0 - $1) }.map { $0.isNaN ? .infinity : $0 }.max() ?? 0
        XCTAssertLessThanOrEqual(error / scale, 1e-5, "\(t): error \(error) of \(scale)", file: file, line: line)
        // The same products in the same order; the one-row and half-panel tiles alternate two
        // accumulators over k afresh in every segment, so with an odd Cin (odd segments in
        // place, one per depth block gathered) they round differently.
        let inPlace = run(t, gathered: false, x: x, w: w, bias: bias, residual: residual, threads: 1)
        if t.c % 2 == 0 {
            XCTAssertEqual(one.map(\.bitPattern), inPlace.map(\.bitPattern), "\(t): gathered and in place differ", file: file, line: line)
        } else {
            let gap = zip(one, inPlace).map { abs($0 - $1) }.map { $0.isNaN ? .infinity : $0 }.max() ?? 0
            XCTAssertLessThanOrEqual(gap / scale, 1e-6, "\(t): gathered and in place differ by \(gap)", file: file, line: line)
        }
        for threads in [2, 3] {
            let got = run(t, gathered: true, x: x, w: w, bias: bias, residual: residual, threads: threads)
            XCTAssertEqual(got.map(\.bitPattern), one.map(\.bitPattern), "\(t): \(threads) threads differ from 1", file: file, line: line)
        }
    }

    func testGatheredStridedConvsAgainstNaiveAndInPlaceOnRandomShapes() {
        var rng = SeededGenerator(seed: 1800)
        let activations: [Activation?] = [nil, .relu, .relu6, .gelu]
        for trial in 0..<14 {
            let k = [1, 3, 5][Int(rng.next() % 3)], stride = Int(rng.next() % 2) + 2
            let c = 16 + Int(rng.next() % 60), h = 5 + Int(rng.next() % 10), w = 5 + Int(rng.next() % 10)
            let padding = k == 1 ? [0, 0, 0, 0] : (0..<4).map { _ in Int(rng.next() % UInt64(k)) }
            var t = Case(
                batch: 1 + Int(rng.next() % 3), c: c, h: h, w: w, cout: 17 + Int(rng.next() % 90), k: k, stride: stride, padding: padding,
                activation: activations[trial % 4], residual: trial % 3 != 1, postActivation: trial % 5 == 0 ? .relu : nil)
            // Enough output channels for a column split where M has too many tiles for one.
            if ConvKernels.Im2colPath(t.geometry, backend: .packed) != .gathered { t.cout = t.geometry.m + Int(rng.next() % 7) }
            check(t, seed: UInt64(1900 + trial))
        }
    }

    /// ResNet-50's strided shapes scaled down (M <= N), Cin above the 256-deep block with a
    /// tap split across blocks, and a one-row tail.
    func testGatheredStridedConvsAgainstNaiveOnResNetLikeShapes() {
        let cases: [Case] = [
            Case(batch: 2, c: 300, h: 7, w: 7, cout: 64, k: 3, stride: 2, padding: [1, 1, 1, 1], activation: .relu, residual: false, postActivation: nil),
            Case(batch: 1, c: 512, h: 14, w: 14, cout: 96, k: 1, stride: 2, padding: [0, 0, 0, 0], activation: nil, residual: true, postActivation: .relu),
            Case(batch: 3, c: 40, h: 13, w: 11, cout: 160, k: 3, stride: 2, padding: [1, 0, 2, 1], activation: .relu6, residual: true, postActivation: nil),
            Case(batch: 1, c: 64, h: 13, w: 13, cout: 50, k: 3, stride: 2, padding: [0, 0, 0, 0], activation: .gelu, residual: false, postActivation: nil),
        ]
        for (trial, t) in cases.enumerated() { check(t, seed: UInt64(2000 + trial)) }
    }

    /// The rule: strided convs split by columns gather; row-part splits (M > N with enough
    /// tiles), stride 1 and matrices above the bound read in place.
    func testOnlyColumnSplitStridedConvsGather() {
        func path(batch: Int, c: Int, size: Int, cout: Int, k: Int, stride: Int) -> ConvKernels.Im2colPath {
            let t = Case(batch: batch, c: c, h: size, w: size, cout: cout, k: k, stride: stride, padding: Array(repeating: k / 2, count: 4))
            return ConvKernels.Im2colPath(t.geometry, backend: .packed)
        }
        // ResNet-50: layer4.0.conv2 and its downsample at batch 1 and 8, layer3's at batch 1.
        XCTAssertEqual(path(batch: 8, c: 512, size: 14, cout: 512, k: 3, stride: 2), .gathered)
        XCTAssertEqual(path(batch: 8, c: 1024, size: 14, cout: 2048, k: 1, stride: 2), .gathered)
        XCTAssertEqual(path(batch: 1, c: 256, size: 28, cout: 256, k: 3, stride: 2), .gathered)
        XCTAssertEqual(path(batch: 1, c: 512, size: 28, cout: 1024, k: 1, stride: 2), .gathered)
        // Row parts: layer2's at both batches, layer3's at batch 8.
        XCTAssertEqual(path(batch: 1, c: 128, size: 56, cout: 128, k: 3, stride: 2), .inPlace)
        XCTAssertEqual(path(batch: 8, c: 256, size: 56, cout: 512, k: 1, stride: 2), .inPlace)
        XCTAssertEqual(path(batch: 8, c: 256, size: 28, cout: 256, k: 3, stride: 2), .inPlace)
        // Stride 1, and layer4.0.conv2 at batch 16 (14 MiB gathered).
        XCTAssertEqual(path(batch: 1, c: 512, size: 7, cout: 512, k: 3, stride: 1), .inPlace)
        XCTAssertEqual(path(batch: 16, c: 512, size: 14, cout: 512, k: 3, stride: 2), .inPlace)
        XCTAssertEqual(path(batch: 1, c: 3, size: 224, cout: 64, k: 7, stride: 2), .paddedCopy)
    }
}
