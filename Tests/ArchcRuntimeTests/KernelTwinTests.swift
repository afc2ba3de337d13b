import ArchcIR
import ArchcInterpreter
import ArchcRuntime
import XCTest

/// Every runtime kernel against its naive twin (the interpreter's NCHW kernels) on random
/// shapes: odd sizes, strides, padding (asymmetric too), dilation, groups, batch > 1, and
/// every epilogue; on a CPU with AVX-512, by both kernel sets.
final class KernelTwinTests: XCTestCase {
    private struct Case {
        var batch, c, h, w, cout, kh, kw, stride, dilation, groups: Int
        var padding: [Int]
        var epilogue: Epilogue
    }

    /// Runs one conv through the engine and through the naive kernel. A residual, when the
    /// epilogue has one, comes from a zero-weight conv of the same geometry whose bias makes
    /// it a per-channel constant map of exactly the output's shape.
    private func check(_ k: Case, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let attrs = ConvAttributes(stride: [k.stride, k.stride], padding: k.padding, dilation: [k.dilation, k.dilation], groups: k.groups)
        let (graph, x, expected) = RuntimeTest.oneConv(
            "kernel", batch: k.batch, c: k.c, h: k.h, w: k.w, cout: k.cout, kh: k.kh, kw: k.kw, attrs: attrs, epilogue: k.epilogue, seed: seed)
        XCTAssertEqual(Verifier.verify(graph), [], file: file, line: line)
        var packed: [Bool: Tensor] = [:]
        for wide in RuntimeTest.kernelSets {
            for gemm in GemmBackend.allCases {
                for threads in [1, 2] {
                    let got: Tensor
                    do {
                        got = try RuntimeTest.withKernels(wide: wide) { try Engine(graph: graph, batch: k.batch, threads: threads, gemm: gemm).run(x) }
                    } catch {
                        XCTFail("\(k) \(gemm) threads \(threads) wide \(wide): \(error)", file: file, line: line)
                        continue
                    }
                    let error = got.relativeError(to: expected)
                    XCTAssertLessThanOrEqual(error, 1e-5, "\(k) \(gemm) threads \(threads) wide \(wide): error \(error)", file: file, line: line)
                    if gemm == .packed { packed[wide] = got }
                }
            }
        }
        // The 512-bit kernels give the AVX2 kernels' values.
        if let wide = packed[true], let narrow = packed[false] {
            XCTAssertEqual(wide.data, narrow.data, "\(k): the 512-bit kernels differ from the AVX2 ones", file: file, line: line)
        }
    }

    func testDepthwiseAgainstNaiveOnRandomShapes() {
        var rng = SeededGenerator(seed: 100)
        for trial in 0..<40 {
            let k = [3, 5, 7, 9, 11, 13, 31][Int(rng.next() % 7)]
            let c = [1, 7, 8, 13, 32, 40, 96, 100][Int(rng.next() % 8)]
            let stride = Int(rng.next() % 2) + 1
            let h = Int(rng.next() % 14) + max(1, k / 2), w = Int(rng.next() % 14) + max(1, k / 2)
            let pad = k / 2
            let acts: [Activation?] = [nil, .relu, .relu6, .gelu]
            let epilogue = Epilogue(activation: acts[Int(rng.next() % 4)], residual: rng.next() % 2 == 0, postActivation: acts[Int(rng.next() % 4)])
            check(
                Case(
                    batch: Int(rng.next() % 3) + 1, c: c, h: h, w: w, cout: c, kh: k, kw: k, stride: stride, dilation: 1, groups: c,
                    padding: [pad, pad, pad, pad], epilogue: epilogue), seed: UInt64(trial * 10))
        }
    }

    func testDepthwiseTapRunsAgainstNaive() {
        // The wide-kernel path (runs of seven taps in registers): 7x7, 13x13 (two runs, one
        // zero-padded) and 6x6 kernels, full 16-channel blocks next to a partial one (40
        // channels), widths with and without a remainder after groups of seven pixels,
        // asymmetric padding, residual epilogues and a bias-only one (trial 5), batch 2.
        let cases: [(c: Int, h: Int, w: Int, k: Int, padding: [Int], stride: Int)] = [
            (32, 14, 14, 7, [3, 3, 3, 3], 1), (40, 9, 16, 7, [3, 3, 3, 3], 1), (16, 7, 7, 7, [3, 3, 3, 3], 1),
            (48, 15, 20, 13, [6, 6, 6, 6], 1), (32, 12, 11, 6, [2, 3, 2, 3], 1), (16, 10, 23, 7, [1, 0, 5, 2], 1),
        ]
        for (trial, shape) in cases.enumerated() {
            check(
                Case(
                    batch: 2, c: shape.c, h: shape.h, w: shape.w, cout: shape.c, kh: shape.k, kw: shape.k, stride: shape.stride, dilation: 1,
                    groups: shape.c, padding: shape.padding,
                    epilogue: Epilogue(
                        activation: trial % 2 == 0 ? .relu : nil, residual: trial % 3 != 2, postActivation: trial % 2 == 1 && trial != 5 ? .relu6 : nil)),
                seed: UInt64(500 + trial))
        }
    }

    func testDenseConvsAgainstNaiveOnRandomShapes() {
        var rng = SeededGenerator(seed: 200)
        for trial in 0..<40 {
            let k = [1, 1, 2, 3, 4, 7][Int(rng.next() % 6)]
            let stride = [1, 2, k][Int(rng.next() % 3)]
            let dilation = k > 1 && rng.next() % 4 == 0 ? 2 : 1
            let span = dilation * (k - 1) + 1
            let h = Int(rng.next() % 11) + span, w = Int(rng.next() % 11) + span
            let padding = (0..<4).map { _ in Int(rng.next() % UInt64(k)) }
            let c = Int(rng.next() % 20) + 1, cout = Int(rng.next() % 40) + 1
            let epilogue = Epilogue(
                activation: rng.next() % 2 == 0 ? .relu : nil, residual: rng.next() % 3 == 0, postActivation: rng.next() % 2 == 0 ? .relu6 : nil)
            check(
                Case(
                    batch: Int(rng.next() % 3) + 1, c: c, h: h, w: w, cout: cout, kh: k, kw: k, stride: stride, dilation: dilation, groups: 1,
                    padding: padding, epilogue: epilogue), seed: UInt64(1000 + trial * 10))
        }
    }

    /// TensorFlow "SAME" padding (more on the right and bottom, EfficientNet), padding wider
    /// than the kernel reach on one side, dilation, and widths that are and are not
    /// multiples of the kernel's seven-pixel blocks; a bias-only epilogue (trial 3).
    func testDepthwiseAsymmetricPaddingAndDilationAgainstNaive() {
        let cases: [(c: Int, size: Int, k: Int, stride: Int, dilation: Int, padding: [Int])] = [
            (32, 14, 3, 2, 1, [0, 0, 1, 1]), (48, 28, 5, 2, 1, [1, 1, 2, 2]), (16, 21, 5, 1, 2, [4, 4, 4, 4]),
            (64, 7, 11, 1, 1, [5, 5, 5, 5]), (16, 15, 7, 2, 3, [9, 2, 1, 9]), (35, 13, 3, 1, 2, [0, 3, 2, 0]),
        ]
        for (trial, t) in cases.enumerated() {
            check(
                Case(
                    batch: 1 + trial % 3, c: t.c, h: t.size, w: t.size, cout: t.c, kh: t.k, kw: t.k, stride: t.stride, dilation: t.dilation,
                    groups: t.c, padding: t.padding, epilogue: Epilogue(activation: trial == 3 ? nil : .relu6, residual: trial % 2 == 0)),
                seed: UInt64(8000 + trial))
        }
    }

    /// Padding wider than the (dilated) kernel: a strip of seven pixels whose first ones lie
    /// wholly in padding took the taps some pixel needs from a range that ran past kw (and
    /// kh), reading the next kernel row's weights and, in the last channel block, memory past
    /// the packed weights: pixels that should be bias only got a product.
    func testDepthwisePaddingWiderThanTheKernelAgainstNaive() {
        let cases: [(c: Int, h: Int, w: Int, k: Int, dilation: Int, padding: [Int])] = [
            (16, 1, 1, 3, 2, [8, 8, 8, 8]), (32, 3, 2, 4, 1, [9, 10, 9, 10]), (16, 5, 9, 3, 1, [1, 12, 1, 12]),
            (48, 2, 3, 5, 2, [11, 11, 11, 11]), (16, 9, 1, 3, 3, [0, 9, 0, 9]),
        ]
        for (trial, t) in cases.enumerated() {
            check(
                Case(
                    batch: 1 + trial % 2, c: t.c, h: t.h, w: t.w, cout: t.c, kh: t.k, kw: t.k, stride: 1, dilation: t.dilation, groups: t.c,
                    padding: t.padding, epilogue: Epilogue(activation: trial % 2 == 0 ? .relu : nil, residual: trial % 3 == 0)),
                seed: UInt64(8500 + trial))
        }
    }

    /// Maps whose channel block does not fit in L2 at once (the mobile models' 112x112 and
    /// 56x56 layers) run in bands of output rows, each copying only the input rows it reads:
    /// 3x3 and 5x5 at stride 1 and 2, TensorFlow "SAME" padding (more on the bottom and
    /// right), symmetric padding, a band count that does not divide the height, a partial
    /// channel block (40 = 16 + 16 + 8), ReLU6 alone (the clamp path), ReLU with a residual,
    /// bias only, batch 2.
    func testDepthwiseRowBandsOnLargeMapsAgainstNaive() {
        let cases: [(c: Int, h: Int, w: Int, k: Int, stride: Int, padding: [Int], epilogue: Epilogue)] = [
            (32, 61, 57, 3, 1, [1, 1, 1, 1], Epilogue(activation: .relu6)),
            (40, 58, 60, 3, 2, [0, 0, 1, 1], Epilogue(activation: .relu6)),
            (16, 49, 71, 5, 2, [1, 1, 2, 2], Epilogue(activation: .relu, residual: true)),
            (48, 53, 50, 5, 1, [2, 2, 2, 2], Epilogue()),
            (16, 65, 64, 3, 1, [1, 1, 1, 1], Epilogue(activation: .relu6, residual: true, postActivation: .relu)),
        ]
        for (trial, t) in cases.enumerated() {
            check(
                Case(
                    batch: 2, c: t.c, h: t.h, w: t.w, cout: t.c, kh: t.k, kw: t.k, stride: t.stride, dilation: 1, groups: t.c,
                    padding: t.padding, epilogue: t.epilogue), seed: UInt64(9000 + trial))
        }
    }

    /// Dense convs the packed GEMM reads in place (Cin >= 16, an implicit im2col): taps on
    /// padding, strides, dilation, Cin above the 256-deep block (a tap split across blocks),
    /// Cin not a multiple of 16 or 6, batch > 1, and the epilogue fused after several blocks.
    func testImplicitIm2colConvsAgainstNaive() {
        let cases: [(c: Int, cout: Int, size: Int, k: Int, stride: Int, dilation: Int, padding: [Int])] = [
            (16, 16, 9, 3, 1, 1, [1, 1, 1, 1]), (64, 40, 14, 3, 2, 1, [1, 1, 1, 1]), (300, 33, 7, 3, 1, 1, [1, 1, 1, 1]),
            (24, 17, 11, 5, 2, 2, [3, 0, 4, 2]), (130, 64, 8, 1, 2, 1, [0, 0, 0, 0]), (17, 50, 13, 7, 3, 1, [3, 3, 3, 3]),
        ]
        for (trial, t) in cases.enumerated() {
            check(
                Case(
                    batch: 1 + trial % 3, c: t.c, h: t.size, w: t.size + trial % 2, cout: t.cout, kh: t.k, kw: t.k, stride: t.stride,
                    dilation: t.dilation, groups: 1, padding: t.padding,
                    epilogue: Epilogue(activation: .relu, residual: trial % 2 == 0, postActivation: trial % 3 == 0 ? .relu6 : nil)),
                seed: UInt64(8500 + trial))
        }
    }

    /// Depthwise with a channel multiplier (Up-Inverted-DW's first block: groups = Cin, Cout = 2 Cin).
    func testDepthwiseWithChannelMultiplierAgainstNaive() {
        for (trial, (c, cout, k, stride, size)) in [(16, 32, 3, 1, 9), (32, 64, 7, 2, 14), (96, 192, 11, 1, 14), (5, 15, 5, 2, 11)].enumerated() {
            check(
                Case(
                    batch: 1 + trial % 2, c: c, h: size, w: size + 1, cout: cout, kh: k, kw: k, stride: stride, dilation: 1, groups: c,
                    padding: Array(repeating: k / 2, count: 4), epilogue: Epilogue(activation: .relu)), seed: UInt64(7000 + trial))
        }
    }

    func testGroupedConvsAgainstNaive() {
        for (trial, (c, cout, groups)) in [(4, 8, 2), (6, 6, 3), (8, 16, 4), (12, 24, 6), (6, 12, 6)].enumerated() {
            check(
                Case(
                    batch: 2, c: c, h: 9, w: 7, cout: cout, kh: 3, kw: 3, stride: 1 + trial % 2, dilation: 1, groups: groups,
                    padding: [1, 1, 1, 1], epilogue: Epilogue(activation: .relu)), seed: UInt64(5000 + trial))
        }
    }

    /// The packed GEMM's edges: M not a multiple of 6, N not of 16, K across several 256-blocks.
    func testPackedGemmEdgesAgainstNaive() {
        for (trial, (c, cout, h)) in [(300, 17, 5), (513, 33, 7), (40, 1, 3), (1, 50, 13), (257, 16, 1)].enumerated() {
            check(
                Case(
                    batch: 1 + trial % 2, c: c, h: h, w: h, cout: cout, kh: 1, kw: 1, stride: 1, dilation: 1, groups: 1, padding: [0, 0, 0, 0],
                    epilogue: Epilogue(activation: trial % 2 == 0 ? .relu : nil)), seed: UInt64(9000 + trial))
        }
    }

    /// Last panels of 8 to 15 columns (N = 24 and 40, the mobile models' narrow projections,
    /// and 13, 47), which the packed GEMM stores column by column: with every epilogue part,
    /// over more than one depth block (K = 300), batch 2.
    func testNarrowLastPanelsAgainstNaive() {
        let cases: [(c: Int, cout: Int, h: Int, epilogue: Epilogue)] = [
            (96, 24, 11, Epilogue()), (144, 40, 9, Epilogue(activation: .relu6, residual: true)),
            (300, 13, 7, Epilogue(activation: .relu, residual: true, postActivation: .relu6)), (24, 47, 13, Epilogue(activation: .gelu)),
        ]
        for (trial, t) in cases.enumerated() {
            check(
                Case(
                    batch: 2, c: t.c, h: t.h, w: t.h, cout: t.cout, kh: 1, kw: 1, stride: 1, dilation: 1, groups: 1, padding: [0, 0, 0, 0],
                    epilogue: t.epilogue), seed: UInt64(9100 + trial))
        }
    }

    func testLargeGemmsSplitAcrossChunksAgainstNaive() {
        // Big enough that the GEMM is split by rows and, for wide layers, by columns.
        check(
            Case(
                batch: 2, c: 64, h: 28, w: 28, cout: 48, kh: 1, kw: 1, stride: 1, dilation: 1, groups: 1, padding: [0, 0, 0, 0],
                epilogue: Epilogue(activation: .relu)), seed: 7)
        check(
            Case(
                batch: 1, c: 96, h: 7, w: 7, cout: 1000, kh: 1, kw: 1, stride: 1, dilation: 1, groups: 1, padding: [0, 0, 0, 0],
                epilogue: Epilogue(residual: true, postActivation: .relu)), seed: 8)
    }

    func testGemmsSplitIntoRowPartsAgainstNaive() {
        // M > N with at least 24 row tiles: the GEMM is split into row parts, a tile that
        // straddles two parts split by panels (169 rows = 28 tiles + 1 row; 675 rows = 113 tiles
        // in 8 parts), with residual epilogues and depth blocks.
        check(
            Case(
                batch: 1, c: 300, h: 13, w: 13, cout: 40, kh: 1, kw: 1, stride: 1, dilation: 1, groups: 1, padding: [0, 0, 0, 0],
                epilogue: Epilogue(activation: .relu, residual: true)), seed: 21)
        check(
            Case(
                batch: 3, c: 20, h: 15, w: 15, cout: 24, kh: 3, kw: 3, stride: 1, dilation: 1, groups: 1, padding: [1, 1, 1, 1],
                epilogue: Epilogue(residual: true, postActivation: .relu)), seed: 22)
    }

    func testPoolsLinearAndElementwiseAgainstNaive() throws {
        let x = RuntimeTest.random([3, 5, 11, 9], seed: 77)
        let text = """
            graph @"ops"(%0: [N, 5, 11, 9]) -> %9 {
              %1 = maxpool(%0) {kernel = 3, stride = 2, padding = 1} : [N, 5, 6, 5] loc("mp")
              %2 = avgpool(%1) {kernel = 2, stride = 1, padding = 1} : [N, 5, 7, 6] loc("ap")
              %3 = scale_shift(%2) [@"s", @"t"] : [N, 5, 7, 6] loc("ss")
              %4 = layernorm(%3) [@"lw", @"lb"] {eps = 1e-06, affine = true} : [N, 5, 7, 6] loc("ln")
              %5 = gelu(%4) : [N, 5, 7, 6] loc("g")
              %6 = add(%5, %3) : [N, 5, 7, 6] loc("a")
              %7 = flatten(%6) : [N, 210] loc("f")
              %8 = linear(%7) [@"fw", @"fb"] : [N, 13] loc("fc")
              %9 = relu6(%8) : [N, 13] loc("r")
            }
            const @"s" : [5]
            const @"t" : [5]
            const @"lw" : [5]
            const @"lb" : [5]
            const @"fw" : [13, 210]
            const @"fb" : [13]
            """
        let graph = try IRParser.parse(text, seed: 3).get()
        XCTAssertEqual(Verifier.verify(graph), [])
        let expected = Interpreter.run(graph, input: x)
        let pooled = """
            graph @"gap"(%0: [N, 5, 11, 9]) -> %1 {
              %1 = global_avgpool(%0) : [N, 5] loc("p")
            }
            """
        let gap = try IRParser.parse(pooled).get()
        for threads in [1, 2] {
            XCTAssertLessThanOrEqual(try Engine(graph: graph, batch: 3, threads: threads).run(x).relativeError(to: expected), 1e-5)
            XCTAssertLessThanOrEqual(try Engine(graph: gap, batch: 3, threads: threads).run(x).relativeError(to: Interpreter.run(gap, input: x)), 1e-6)
        }
    }

    /// A max pool propagates NaN as PyTorch's does: `max` dropped a NaN met after a number,
    /// so a NaN inside the network could come out as a finite prediction.
    func testMaxPoolPropagatesNaN() throws {
        let text = """
            graph @"mp"(%0: [N, 2, 4, 4]) -> %1 {
              %1 = maxpool(%0) {kernel = 2, stride = 2, padding = 0} : [N, 2, 2, 2] loc("p")
            }
            """
        let graph = try IRParser.parse(text).get()
        var data = (0..<32).map { Float($0) }
        data[5] = .nan  // channel 0, row 1, column 1: the last tap of window (0, 0)
        data[16 + 10] = .nan  // channel 1, row 2, column 2: the first tap of window (1, 1)
        let x = Tensor(dims: [1, 2, 4, 4], data: data)
        let expected: [Float] = [.nan, 7, 13, 15, 21, 23, 29, .nan]
        for y in [Interpreter.run(graph, input: x), try Engine(graph: graph, batch: 1, threads: 2).run(x)] {
            XCTAssertEqual(y.data.map(\.isNaN), expected.map(\.isNaN), "\(y.data)")
            XCTAssertEqual(y.data.filter { !$0.isNaN }, expected.filter { !$0.isNaN })
        }
    }

    /// Max pools on blocks of 8 channels and on the channels past them (C = 13, 5) against the
    /// interpreter: the stem pool's 3x3 stride 2 with padding, windows larger and smaller than
    /// the stride, batch 2, odd sizes, with NaN planted every 97 values.
    func testMaxPoolOnVectorAndTailChannelsAgainstNaive() throws {
        let cases: [(c: Int, h: Int, w: Int, k: Int, stride: Int, pad: Int)] = [
            (16, 13, 11, 3, 2, 1), (8, 9, 9, 2, 2, 0), (24, 7, 10, 5, 1, 2), (64, 12, 12, 3, 3, 1), (8, 5, 6, 2, 3, 0), (13, 9, 8, 3, 2, 1), (5, 7, 7, 2, 1, 0),
        ]
        for (trial, t) in cases.enumerated() {
            let outH = (t.h + 2 * t.pad - t.k) / t.stride + 1, outW = (t.w + 2 * t.pad - t.k) / t.stride + 1
            let text = """
                graph @"mp"(%0: [N, \(t.c), \(t.h), \(t.w)]) -> %1 {
                  %1 = maxpool(%0) {kernel = \(t.k), stride = \(t.stride), padding = \(t.pad)} : [N, \(t.c), \(outH), \(outW)] loc("p")
                }
                """
            let graph = try IRParser.parse(text).get()
            XCTAssertEqual(Verifier.verify(graph), [], text)
            var x = RuntimeTest.random([2, t.c, t.h, t.w], seed: UInt64(4400 + trial))
            for i in stride(from: trial, to: x.data.count, by: 97) { x.data[i] = .nan }
            let expected = Interpreter.run(graph, input: x)
            for threads in [1, 2] {
                let y = try Engine(graph: graph, batch: 2, threads: threads).run(x)
                XCTAssertEqual(y.data.map(\.isNaN), expected.data.map(\.isNaN), "case \(trial)")
                XCTAssertEqual(y.data.filter { !$0.isNaN }, expected.data.filter { !$0.isNaN }, "case \(trial)")
                XCTAssertGreaterThan(y.data.filter(\.isNaN).count, 0, "case \(trial): no NaN reached an output")
            }
        }
    }
}
