import ArchcIR
import ArchcInterpreter
import ArchcKernels
import ArchcRuntime
import XCTest

/// The Winograd kernel, F(4x4, 3x3) and F(2x2, 3x3), against its naive twin, the interpreter's
/// direct NCHW convolution: maps whose sides are not multiples of the tile (tiles overhang the
/// edge), 1x1 and 2x3 maps, padding 1, 0 and asymmetric, channel counts that are not
/// multiples of the 8-lane vector or the 16-column panel, Cin deeper than the GEMM's
/// 256-deep block, batch > 1 (and more tiles than one group holds), with and without the
/// residual add and activations, on both schedules (fused per chunk of tiles, and three
/// phases over groups of tiles); bitwise equal for 1, 2 and 3 threads.
final class WinogradTwinTests: XCTestCase {
    private struct Case {
        var batch, c, h, w, cout: Int
        var padding: [Int]
        var epilogue: Epilogue
        var stride = 1
    }

    /// F(4x4, 3x3) rounds more than a direct dot product: its transforms weight values by
    /// coefficients up to 5 (input) and 8 (output) before the sums cancel. The error is taken
    /// relative to the largest magnitude of the conv's output before its activation: rounding
    /// grows with the sums, and a ReLU6 clip caps the output at 6 but not the error (Cin = 264
    /// with ReLU6 measured 1.05e-4 against the clipped output, 8.0e-6 against the sums). Measured
    /// on these cases: at most 9.9e-6, against 1e-5 for the direct kernels' twin tests;
    /// ResNet-50's logits stay within 7.2e-7 of PyTorch's (tools/winograd_logits.py). F(2x2, 3x3)
    /// (coefficients up to 1) rounds less: `tolerance2`; measured at most 2.3e-6 at stride 1
    /// and 1.7e-6 at stride 2 (by phases) on these cases.
    static let tolerance: Float = 5e-5
    static let tolerance2: Float = 1e-5

    /// Largest error seen over the cases, relative to each output's largest magnitude before
    /// the activation.
    private var worst: [WinogradKernel.Tile: Float] = [:]

    /// A one-conv graph (plus, with a residual, a bias-only conv of the same geometry that
    /// makes the residual a per-channel constant map), run through the engine with Winograd
    /// of `tile` forced and through the naive kernels.
    private func check(_ k: Case, seed: UInt64, tile: WinogradKernel.Tile = .f4x4, file: StaticString = #filePath, line: UInt = #line) throws {
        let attrs = ConvAttributes(stride: [k.stride, k.stride], padding: k.padding, dilation: [1, 1], groups: 1)
        let (graph, x, expected) = RuntimeTest.oneConv(
            "winograd", batch: k.batch, c: k.c, h: k.h, w: k.w, cout: k.cout, kh: 3, kw: 3, attrs: attrs, epilogue: k.epilogue, seed: seed)
        XCTAssertEqual(Verifier.verify(graph), [], file: file, line: line)
        // The same conv (same seeds), residual added, no activation: the sums the error scales with.
        let sums = RuntimeTest.oneConv(
            "sums", batch: k.batch, c: k.c, h: k.h, w: k.w, cout: k.cout, kh: 3, kw: 3, attrs: attrs,
            epilogue: Epilogue(residual: k.epilogue.residual), seed: seed
        ).expected
        let scale = sums.data.reduce(0) { max($0, abs($1)) }
        var first: Tensor?
        for threads in [1, 2, 3] {
            let engine = try Engine(graph: graph, batch: k.batch, threads: threads, conv3x3: tile == .f4x4 ? .winograd : .winograd2x2)
            XCTAssertEqual(tile.stride, k.stride, file: file, line: line)
            guard case .winograd(_, _, let planned) = engine.kernelPlan.steps.last!.kernel, planned == tile else {
                return XCTFail("\(k): not planned as Winograd \(tile)", file: file, line: line)
            }
            let got = try engine.run(x)
            let error = zip(got.data, expected.data).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
            worst[tile] = max(worst[tile] ?? 0, error)
            let tolerance = tile == .f4x4 ? Self.tolerance : Self.tolerance2
            XCTAssertLessThanOrEqual(error, tolerance, "\(k) \(tile) threads \(threads): error \(error)", file: file, line: line)
            if let first {
                XCTAssertEqual(got.data, first.data, "\(k): threads \(threads) differ from threads 1", file: file, line: line)
            } else {
                first = got
            }
        }
        // On a CPU with AVX-512 the other GEMM tile (the 512-bit one or the AVX2 one) gives the same bits.
        for wide in RuntimeTest.kernelSets where wide != AVX512.enabled {
            let got = try RuntimeTest.withKernels(wide: wide) {
                try Engine(graph: graph, batch: k.batch, threads: 2, conv3x3: tile == .f4x4 ? .winograd : .winograd2x2).run(x)
            }
            XCTAssertEqual(got.data, first?.data, "\(k): the \(wide ? "512-bit" : "AVX2") tile differs", file: file, line: line)
        }
    }

    func testOddShapesAgainstNaive() throws {
        let relu = Epilogue(activation: .relu)
        let cases = [
            Case(batch: 1, c: 16, h: 9, w: 9, cout: 16, padding: [1, 1, 1, 1], epilogue: relu),
            Case(batch: 2, c: 13, h: 7, w: 11, cout: 21, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu, residual: true)),
            Case(batch: 3, c: 5, h: 1, w: 1, cout: 3, padding: [1, 1, 1, 1], epilogue: Epilogue()),
            Case(batch: 1, c: 8, h: 2, w: 3, cout: 9, padding: [1, 1, 1, 1], epilogue: Epilogue(residual: true, postActivation: .relu)),
            Case(batch: 2, c: 24, h: 10, w: 6, cout: 40, padding: [0, 0, 0, 0], epilogue: relu),
            Case(batch: 1, c: 300, h: 6, w: 5, cout: 33, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu6, residual: true)),
            Case(batch: 2, c: 7, h: 13, w: 5, cout: 17, padding: [2, 0, 1, 2], epilogue: Epilogue(activation: .gelu)),
            Case(batch: 1, c: 3, h: 3, w: 3, cout: 1, padding: [0, 0, 0, 0], epilogue: relu),
        ]
        for tile in [WinogradKernel.Tile.f4x4, .f2x2] {
            for (trial, k) in cases.enumerated() { try check(k, seed: UInt64(9000 + 10 * trial), tile: tile) }
        }
        print("winograd twin: largest error relative to the largest sum before the activation \(worst)")
    }

    /// F(2x2, 3x3) at stride 2, by phases: even and odd map sides (the last tile's window
    /// overhangs the input, a last output row or column alone in its tile), padding 1, 0 and
    /// TF "SAME"'s (0 before, 1 after), a 1x1 and a 2x2 map, channels off the 8-lane vector and
    /// the 16-column panel, batch > 1, residual and activations; both schedules (fused: Cin up
    /// to 256 with small weights; three phases: Cin above 256, one group and two, the second
    /// partial).
    func testStride2AgainstNaive() throws {
        let relu = Epilogue(activation: .relu)
        let cases = [
            Case(batch: 1, c: 16, h: 9, w: 9, cout: 16, padding: [1, 1, 1, 1], epilogue: relu, stride: 2),
            Case(batch: 2, c: 13, h: 8, w: 11, cout: 21, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu, residual: true), stride: 2),
            Case(batch: 3, c: 5, h: 1, w: 1, cout: 3, padding: [1, 1, 1, 1], epilogue: Epilogue(), stride: 2),
            Case(batch: 1, c: 8, h: 2, w: 2, cout: 9, padding: [0, 0, 1, 1], epilogue: Epilogue(residual: true, postActivation: .relu), stride: 2),
            Case(batch: 2, c: 24, h: 10, w: 7, cout: 40, padding: [0, 0, 0, 0], epilogue: relu, stride: 2),
            Case(batch: 1, c: 32, h: 14, w: 15, cout: 24, padding: [0, 0, 1, 1], epilogue: Epilogue(activation: .relu6), stride: 2),
            Case(batch: 2, c: 7, h: 13, w: 6, cout: 17, padding: [2, 0, 1, 2], epilogue: Epilogue(activation: .gelu), stride: 2),
            Case(batch: 2, c: 64, h: 56, w: 56, cout: 40, padding: [1, 1, 1, 1], epilogue: relu, stride: 2),
            Case(batch: 3, c: 264, h: 30, w: 30, cout: 24, padding: [1, 1, 1, 1], epilogue: Epilogue(residual: true, postActivation: .relu), stride: 2),
            // 432 tiles: a group of 360 (10 MiB of V and M at 25 rows per tile) and one of 72.
            Case(batch: 3, c: 264, h: 46, w: 46, cout: 24, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu), stride: 2),
        ]
        for (trial, k) in cases.enumerated() { try check(k, seed: UInt64(9700 + 10 * trial), tile: .f2x2s2) }
        print("winograd twin: largest error relative to the largest sum before the activation \(worst)")
    }

    /// Both schedules with many tiles: the fused one (Cin up to 256 and small weights: several
    /// chunks and parts, Cout over several 16-channel panels, a partial last panel) and the
    /// three-phase one (Cin above 256) with more tiles than one group of `V` and `M` scratch
    /// holds; ResNet-50's map sizes and depths (fewer output channels, to keep the naive conv
    /// short), residual and ReLU included.
    func testManyTilesAndResNetShapesAgainstNaive() throws {
        try check(Case(batch: 4, c: 64, h: 40, w: 40, cout: 64, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu)), seed: 9500)
        try check(Case(batch: 3, c: 56, h: 23, w: 29, cout: 44, padding: [1, 1, 1, 1], epilogue: Epilogue(residual: true, postActivation: .relu)), seed: 9505)
        try check(Case(batch: 3, c: 264, h: 40, w: 40, cout: 24, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu6)), seed: 9530)
        try check(Case(batch: 1, c: 256, h: 14, w: 14, cout: 72, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu)), seed: 9510)
        try check(Case(batch: 2, c: 288, h: 7, w: 7, cout: 136, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu, residual: true)), seed: 9520)
        // F(2x2): fused (Cin 64, many chunks) and three-phase (Cin above 256, more tiles than
        // one group; ResNet-50's layer3 and layer4 depths), residual and ReLU included.
        try check(Case(batch: 2, c: 64, h: 30, w: 27, cout: 40, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu)), seed: 9540, tile: .f2x2)
        try check(
            Case(batch: 3, c: 264, h: 40, w: 40, cout: 24, padding: [1, 1, 1, 1], epilogue: Epilogue(residual: true, postActivation: .relu)), seed: 9550,
            tile: .f2x2)
        try check(Case(batch: 1, c: 512, h: 7, w: 7, cout: 40, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu)), seed: 9560, tile: .f2x2)
        print("winograd twin: largest error relative to the largest sum before the activation \(worst)")
    }

    /// `direct` keeps every 3x3 conv on the implicit-im2col GEMM; at stride 1 `auto` picks
    /// F(4x4) with 32 or more 4x4 tiles, F(2x2) with fewer but 16 or more 2x2 tiles (14x14 and
    /// 7x7 maps at batch 1), and direct below (a 5x5 map at batch 1: 9 2x2 tiles, the
    /// transformed weights' reading dominates); stride 2 and few input channels below.
    func testChoicePlansTheKernel() throws {
        let g = { (stride: Int, size: Int, batch: Int, channels: Int) in
            ConvGeometry(
                batch: batch, input: TensorType([channels, size, size]),
                output: TensorType([channels, (size + 2 - 3) / stride + 1, (size + 2 - 3) / stride + 1]), weightDims: [channels, channels, 3, 3],
                ConvAttributes(stride: [stride, stride], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1))
        }
        XCTAssertTrue(Conv3x3Algorithm.winograd.usesWinograd(g(1, 56, 1, 64)))
        XCTAssertTrue(Conv3x3Algorithm.auto.usesWinograd(g(1, 56, 1, 64)))
        XCTAssertTrue(Conv3x3Algorithm.auto.usesWinograd(g(1, 14, 1, 64)))
        XCTAssertFalse(Conv3x3Algorithm.direct.usesWinograd(g(1, 56, 1, 64)))
        XCTAssertTrue(Conv3x3Algorithm.winograd.usesWinograd(g(1, 7, 1, 64)))
        XCTAssertEqual(Conv3x3Algorithm.auto.winogradTile(g(1, 56, 1, 64)), .f4x4)
        XCTAssertEqual(Conv3x3Algorithm.auto.winogradTile(g(1, 28, 1, 64)), .f4x4)
        XCTAssertEqual(Conv3x3Algorithm.auto.winogradTile(g(1, 14, 1, 64)), .f2x2)
        XCTAssertEqual(Conv3x3Algorithm.auto.winogradTile(g(1, 14, 2, 64)), .f4x4)
        XCTAssertEqual(Conv3x3Algorithm.auto.winogradTile(g(1, 7, 1, 64)), .f2x2)
        XCTAssertEqual(Conv3x3Algorithm.auto.winogradTile(g(1, 7, 4, 64)), .f2x2)
        XCTAssertEqual(Conv3x3Algorithm.auto.winogradTile(g(1, 7, 8, 64)), .f4x4)
        XCTAssertNil(Conv3x3Algorithm.auto.winogradTile(g(1, 5, 1, 64)))
        XCTAssertEqual(Conv3x3Algorithm.winograd.winogradTile(g(1, 56, 1, 64)), .f4x4)
        XCTAssertEqual(Conv3x3Algorithm.winograd2x2.winogradTile(g(1, 56, 8, 64)), .f2x2)
        XCTAssertEqual(Conv3x3Algorithm.winograd2x2.winogradTile(g(2, 56, 1, 64)), .f2x2s2)
        XCTAssertEqual(Conv3x3Algorithm.winograd.winogradTile(g(2, 56, 1, 64)), .f2x2s2)
        XCTAssertNil(Conv3x3Algorithm.direct.winogradTile(g(2, 56, 1, 64)))
        // Stride 2 under auto: from 256 input channels (ResNet-50's layer3.0, out 14x14; not
        // layer2.0's 128 at 28x28), not a 7x7 output (its 2x2 tiles overhang: 400 multiplies
        // against 441), nor a 3x3 one.
        XCTAssertEqual(Conv3x3Algorithm.auto.winogradTile(g(2, 56, 1, 256)), .f2x2s2)
        XCTAssertEqual(Conv3x3Algorithm.auto.winogradTile(g(2, 28, 1, 256)), .f2x2s2)
        XCTAssertNil(Conv3x3Algorithm.auto.winogradTile(g(2, 56, 1, 128)))
        XCTAssertNil(Conv3x3Algorithm.auto.winogradTile(g(2, 28, 8, 128)))
        XCTAssertNil(Conv3x3Algorithm.auto.winogradTile(g(2, 14, 1, 512)))
        XCTAssertNil(Conv3x3Algorithm.auto.winogradTile(g(2, 14, 8, 512)))
        XCTAssertNil(Conv3x3Algorithm.auto.winogradTile(g(2, 6, 8, 512)))
        // Few input channels run direct under auto (EfficientNet-Lite0's stem: 3 -> 32, 3x3/2).
        let stem = ConvGeometry(
            batch: 1, input: TensorType([3, 224, 224]), output: TensorType([32, 112, 112]), weightDims: [32, 3, 3, 3],
            ConvAttributes(stride: [2, 2], padding: [0, 0, 1, 1], dilation: [1, 1], groups: 1))
        XCTAssertNil(Conv3x3Algorithm.auto.winogradTile(stem))
        XCTAssertEqual(Conv3x3Algorithm.winograd.winogradTile(stem), .f2x2s2)
    }
}
