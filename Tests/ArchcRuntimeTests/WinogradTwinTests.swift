import ArchcIR
import ArchcInterpreter
import ArchcRuntime
import XCTest

/// The Winograd F(4x4, 3x3) kernel against its naive twin, the interpreter's direct NCHW
/// convolution: maps whose sides are not multiples of the 4x4 tile (tiles overhang the
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
    }

    /// F(4x4, 3x3) rounds more than a direct dot product: its transforms weight values by
    /// coefficients up to 5 (input) and 8 (output) before the sums cancel. The error is taken
    /// relative to the largest magnitude of the conv's output before its activation: rounding
    /// grows with the sums, and a ReLU6 clip caps the output at 6 but not the error (Cin = 264
    /// with ReLU6 measured 1.05e-4 against the clipped output, 8.0e-6 against the sums). Measured
    /// on these cases: at most 9.9e-6, against 1e-5 for the direct kernels' twin tests;
    /// ResNet-50's logits stay within 7.2e-7 of PyTorch's (tools/winograd_logits.py).
    static let tolerance: Float = 5e-5

    /// Largest error seen over the cases, relative to each output's largest magnitude before
    /// the activation.
    private var worst: Float = 0

    /// A one-conv graph (plus, with a residual, a bias-only conv of the same geometry that
    /// makes the residual a per-channel constant map), run through the engine with Winograd
    /// forced and through the naive kernels.
    private func check(_ k: Case, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
        let attrs = ConvAttributes(stride: [1, 1], padding: k.padding, dilation: [1, 1], groups: 1)
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
            let engine = try Engine(graph: graph, batch: k.batch, threads: threads, conv3x3: .winograd)
            guard case .winograd = engine.kernelPlan.steps.last!.kernel else { return XCTFail("\(k): not planned as Winograd", file: file, line: line) }
            let got = try engine.run(x)
            let error = zip(got.data, expected.data).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
            worst = max(worst, error)
            XCTAssertLessThanOrEqual(error, Self.tolerance, "\(k) threads \(threads): error \(error)", file: file, line: line)
            if let first {
                XCTAssertEqual(got.data, first.data, "\(k): threads \(threads) differ from threads 1", file: file, line: line)
            } else {
                first = got
            }
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
        for (trial, k) in cases.enumerated() { try check(k, seed: UInt64(9000 + 10 * trial)) }
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
        print("winograd twin: largest error relative to the largest sum before the activation \(worst)")
    }

    /// `direct` keeps every 3x3 conv on the implicit-im2col GEMM; `auto` never picks Winograd
    /// for a conv it does not apply to (strided 3x3), nor for a 7x7 map at batch 1 (4 tiles:
    /// the transformed weights' reading dominates), but does at batch 8.
    func testChoicePlansTheKernel() throws {
        let g = { (stride: Int, size: Int, batch: Int) in
            ConvGeometry(
                batch: batch, input: TensorType([64, size, size]), output: TensorType([64, (size + 2 - 3) / stride + 1, (size + 2 - 3) / stride + 1]),
                weightDims: [64, 64, 3, 3], ConvAttributes(stride: [stride, stride], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1))
        }
        XCTAssertTrue(Conv3x3Algorithm.winograd.usesWinograd(g(1, 56, 1)))
        XCTAssertTrue(Conv3x3Algorithm.auto.usesWinograd(g(1, 56, 1)))
        XCTAssertTrue(Conv3x3Algorithm.auto.usesWinograd(g(1, 14, 1)))
        XCTAssertFalse(Conv3x3Algorithm.direct.usesWinograd(g(1, 56, 1)))
        XCTAssertFalse(Conv3x3Algorithm.winograd.usesWinograd(g(2, 56, 1)))
        XCTAssertFalse(Conv3x3Algorithm.auto.usesWinograd(g(2, 56, 8)))
        XCTAssertFalse(Conv3x3Algorithm.auto.usesWinograd(g(1, 7, 1)))
        XCTAssertTrue(Conv3x3Algorithm.winograd.usesWinograd(g(1, 7, 1)))
        XCTAssertTrue(Conv3x3Algorithm.auto.usesWinograd(g(1, 7, 8)))
    }
}
