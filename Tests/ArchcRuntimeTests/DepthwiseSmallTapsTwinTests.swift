import ArchcIR
import ArchcInterpreter
import ArchcRuntime
import XCTest

/// The depthwise 3x3 and 5x5 kernel that reads its input in place (`DepthwiseKernel.runInPlace`)
/// against its naive twin, the interpreter's direct NCHW convolution: stride 1 and 2,
/// symmetric, TensorFlow "SAME" (more on the bottom and right), zero and lopsided padding,
/// odd map sizes, maps narrower than a strip of seven pixels or whose interior is not a
/// multiple of seven (the last strip moved left), channel counts that are not multiples of
/// 16 or 8 (the partial block takes the buffered path beside it), maps large enough to run
/// in bands of rows, batch 2, every epilogue; bitwise equal for 1, 2 and 3 threads.
final class DepthwiseSmallTapsTwinTests: XCTestCase {
    private struct Case {
        var batch, c, h, w, k, stride: Int
        var padding: [Int]
        var epilogue: Epilogue
    }

    /// A one-conv graph (plus, with a residual, a bias-only dense conv of the same geometry
    /// that makes the residual a per-channel constant map), run through the engine and
    /// through the naive kernels.
    private func check(_ k: Case, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
        let attrs = ConvAttributes(stride: [k.stride, k.stride], padding: k.padding, dilation: [1, 1], groups: k.c)
        let (graph, x, expected) = RuntimeTest.oneConv(
            "depthwise", batch: k.batch, c: k.c, h: k.h, w: k.w, cout: k.c, kh: k.k, kw: k.k, attrs: attrs, epilogue: k.epilogue, seed: seed)
        XCTAssertEqual(Verifier.verify(graph), [], file: file, line: line)
        var first: Tensor?
        for wide in RuntimeTest.kernelSets {
            for threads in [1, 2, 3] {
                let got = try RuntimeTest.withKernels(wide: wide) { try Engine(graph: graph, batch: k.batch, threads: threads).run(x) }
                let error = got.relativeError(to: expected)
                XCTAssertLessThanOrEqual(error, 1e-5, "\(k) threads \(threads) wide \(wide): error \(error)", file: file, line: line)
                if let first {
                    XCTAssertEqual(got.data, first.data, "\(k): threads \(threads) wide \(wide) differ from the first run", file: file, line: line)
                } else {
                    first = got
                }
            }
        }
    }

    /// 3x3 and 5x5, stride 1 and 2, each padding, odd sizes and the strip edges: interiors of
    /// 7 (one strip), 8 and 13 (a moved last strip), 6 and fewer (pixel by pixel only).
    func testStridesPaddingAndOddSizesAgainstNaive() throws {
        let relu6 = Epilogue(activation: .relu6)
        let cases = [
            Case(batch: 2, c: 32, h: 15, w: 17, k: 3, stride: 1, padding: [1, 1, 1, 1], epilogue: relu6),
            Case(batch: 2, c: 48, h: 14, w: 16, k: 3, stride: 2, padding: [0, 0, 1, 1], epilogue: relu6),
            Case(batch: 2, c: 16, h: 13, w: 23, k: 5, stride: 1, padding: [2, 2, 2, 2], epilogue: relu6),
            Case(batch: 2, c: 32, h: 28, w: 29, k: 5, stride: 2, padding: [1, 1, 2, 2], epilogue: relu6),
            Case(batch: 1, c: 16, h: 9, w: 9, k: 3, stride: 1, padding: [0, 0, 0, 0], epilogue: relu6),
            Case(batch: 1, c: 16, h: 9, w: 10, k: 3, stride: 1, padding: [1, 1, 1, 1], epilogue: relu6),
            Case(batch: 2, c: 32, h: 7, w: 7, k: 5, stride: 1, padding: [2, 2, 2, 2], epilogue: relu6),
            Case(batch: 1, c: 16, h: 5, w: 3, k: 3, stride: 2, padding: [1, 1, 1, 1], epilogue: relu6),
            Case(batch: 2, c: 16, h: 11, w: 31, k: 5, stride: 2, padding: [0, 3, 4, 0], epilogue: relu6),
            Case(batch: 1, c: 16, h: 4, w: 4, k: 5, stride: 1, padding: [2, 2, 2, 2], epilogue: relu6),
            Case(batch: 1, c: 16, h: 21, w: 22, k: 3, stride: 1, padding: [2, 0, 0, 2], epilogue: relu6),
        ]
        for (trial, k) in cases.enumerated() { try check(k, seed: UInt64(12_000 + 10 * trial)) }
    }

    /// Channel counts with a partial last block (40 = 16 + 16 + 8, 35, 21, 13): the full
    /// blocks read in place beside a buffered one.
    func testPartialChannelBlocksAgainstNaive() throws {
        let cases = [
            Case(batch: 2, c: 40, h: 12, w: 19, k: 3, stride: 1, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu6)),
            Case(batch: 1, c: 35, h: 17, w: 15, k: 5, stride: 2, padding: [1, 1, 2, 2], epilogue: Epilogue(activation: .relu)),
            Case(batch: 2, c: 21, h: 8, w: 21, k: 5, stride: 1, padding: [2, 2, 2, 2], epilogue: Epilogue()),
            Case(batch: 1, c: 13, h: 10, w: 10, k: 3, stride: 2, padding: [0, 0, 1, 1], epilogue: Epilogue(activation: .relu6)),
        ]
        for (trial, k) in cases.enumerated() { try check(k, seed: UInt64(12_500 + 10 * trial)) }
    }

    /// Every epilogue: bias only (stored as is), ReLU and ReLU6 (a clamp in registers), GELU,
    /// a residual, a post-activation (the general epilogue).
    func testEveryEpilogueAgainstNaive() throws {
        let epilogues = [
            Epilogue(), Epilogue(activation: .relu), Epilogue(activation: .relu6), Epilogue(activation: .gelu),
            Epilogue(residual: true), Epilogue(activation: .relu, residual: true), Epilogue(activation: .relu6, residual: true, postActivation: .relu),
            Epilogue(activation: .gelu, postActivation: .relu6),
        ]
        for (trial, e) in epilogues.enumerated() {
            let k = 3 + 2 * (trial % 2), stride = 1 + trial / 2 % 2
            try check(
                Case(batch: 2, c: 32, h: 11 + trial, w: 16 + trial, k: k, stride: stride, padding: Array(repeating: k / 2, count: 4), epilogue: e),
                seed: UInt64(13_000 + 10 * trial))
        }
    }

    /// Maps whose channel block runs in bands of output rows (the mobile models' 112x112 and
    /// 56x56 layers): band edges that do not divide the height, stride 2, TF padding.
    func testRowBandsAgainstNaive() throws {
        let cases = [
            Case(batch: 2, c: 32, h: 61, w: 57, k: 3, stride: 1, padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu6)),
            Case(batch: 1, c: 48, h: 66, w: 58, k: 3, stride: 2, padding: [0, 0, 1, 1], epilogue: Epilogue(activation: .relu6)),
            Case(batch: 2, c: 16, h: 57, w: 63, k: 5, stride: 2, padding: [1, 1, 2, 2], epilogue: Epilogue(activation: .relu, residual: true)),
            Case(batch: 1, c: 32, h: 53, w: 50, k: 5, stride: 1, padding: [2, 2, 2, 2], epilogue: Epilogue()),
        ]
        for (trial, k) in cases.enumerated() { try check(k, seed: UInt64(13_500 + 10 * trial)) }
    }
}
