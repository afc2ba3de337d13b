import ArchcIR
import ArchcInterpreter
import ArchcRuntime
import XCTest

/// The fused expand 1x1 + depthwise step (`ExpandDepthwiseKernel`) against its twins: the
/// same two convs as two steps (`ExpandDepthwiseFusion.off`), and the interpreter's naive
/// NCHW convolutions. Odd map sizes, 3x3 and 5x5, stride 1 and 2, symmetric and TensorFlow
/// "SAME" padding, maps tall enough to run in several bands and segments, batch > 1, every
/// epilogue of either conv; bitwise equal for 1, 2 and 3 threads, and bitwise equal to the
/// two steps (the same tile arithmetic) except where the unfused GEMM's last tile has one row.
final class ExpandDepthwiseTwinTests: XCTestCase {
    private struct Case {
        var batch, cin, cexp, h, w, k, stride: Int
        var padding: [Int]
        var expand = Epilogue(activation: .relu6)
        var depthwise = Epilogue(activation: .relu6)
    }

    /// input -> (residual: a zero-weight dense conv with a bias, the depthwise output's shape)
    /// -> expand 1x1 -> depthwise reading it.
    private func graph(_ k: Case, seed: UInt64) -> Graph {
        let dwAttrs = ConvAttributes(stride: [k.stride, k.stride], padding: k.padding, dilation: [1, 1], groups: k.cexp)
        let oh = (k.h + k.padding[0] + k.padding[2] - k.k) / k.stride + 1, ow = (k.w + k.padding[1] + k.padding[3] - k.k) / k.stride + 1
        var constants: [String: Tensor] = [
            "we": RuntimeTest.random([k.cexp, k.cin, 1, 1], seed: seed), "be": RuntimeTest.random([k.cexp], seed: seed + 1),
            "wd": RuntimeTest.random([k.cexp, 1, k.k, k.k], seed: seed + 2), "bd": RuntimeTest.random([k.cexp], seed: seed + 3),
        ]
        var nodes: [Node] = []
        var dwInputs = [ValueID(2)]
        if k.depthwise.residual {
            let attrs = ConvAttributes(stride: [k.stride, k.stride], padding: k.padding, dilation: [1, 1], groups: 1)
            constants["zero"] = Tensor(zeros: [k.cexp, k.cin, k.k, k.k])
            constants["r"] = RuntimeTest.random([k.cexp], seed: seed + 4)
            nodes.append(Node(id: 1, kind: .conv2d(attrs, Epilogue()), inputs: [0], weights: ["zero", "r"], type: TensorType([k.cexp, oh, ow]), name: "res"))
            dwInputs.append(1)
        }
        let pointwise = ConvAttributes(stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1)
        let wide = TensorType([k.cexp, k.h, k.w]), out = TensorType([k.cexp, oh, ow])
        nodes.append(Node(id: 2, kind: .conv2d(pointwise, k.expand), inputs: [0], weights: ["we", "be"], type: wide, name: "expand"))
        nodes.append(Node(id: 3, kind: .conv2d(dwAttrs, k.depthwise), inputs: dwInputs, weights: ["wd", "bd"], type: out, name: "dw"))
        return Graph(name: "expand-dw", inputType: TensorType([k.cin, k.h, k.w]), nodes: nodes, output: 3, constants: constants)
    }

    private func check(_ k: Case, seed: UInt64, batchOrder: BatchOrder = .layer, file: StaticString = #filePath, line: UInt = #line) throws {
        let g = graph(k, seed: seed)
        XCTAssertEqual(Verifier.verify(g), [], file: file, line: line)
        let x = RuntimeTest.random([k.batch, k.cin, k.h, k.w], seed: seed + 5)
        let naive = Interpreter.run(g, input: x)
        for wide in RuntimeTest.kernelSets {
            try RuntimeTest.withKernels(wide: wide) { try check(k, g, x, naive, batchOrder: batchOrder, file: file, line: line) }
        }
    }

    /// `check` on the kernel set in force.
    private func check(_ k: Case, _ g: Graph, _ x: Tensor, _ naive: Tensor, batchOrder: BatchOrder, file: StaticString, line: UInt) throws {
        let unfused = try Engine(graph: g, batch: k.batch, threads: 2, batchOrder: batchOrder, fusion: .off).run(x)
        let oneTile = (batchOrder == .layer ? k.batch : 1) * k.h * k.w % 6 == 1
        var first: Tensor?
        for threads in [1, 2, 3] {
            let engine = try Engine(graph: g, batch: k.batch, threads: threads, batchOrder: batchOrder, fusion: .always)
            let fused = engine.kernelPlan.steps.contains { if case .expandDepthwise = $0.kernel { return true } else { return false } }
            XCTAssertTrue(fused, "\(k): not fused", file: file, line: line)
            let got = try engine.run(x)
            let error = got.relativeError(to: naive)
            XCTAssertLessThanOrEqual(error, 1e-5, "\(k) threads \(threads): error \(error)", file: file, line: line)
            if oneTile {
                XCTAssertLessThanOrEqual(got.relativeError(to: unfused), 1e-6, "\(k) threads \(threads) against two steps", file: file, line: line)
            } else {
                XCTAssertEqual(got.data, unfused.data, "\(k) threads \(threads): not the two steps' bits", file: file, line: line)
            }
            if let first {
                XCTAssertEqual(got.data, first.data, "\(k): threads \(threads) differ from threads 1", file: file, line: line)
            } else {
                first = got
            }
        }
    }

    /// 3x3 and 5x5, stride 1 and 2, symmetric and TF "SAME" padding, odd sizes, maps narrower
    /// than a strip of seven, expand depths from 1 to 200 (one GEMM depth block).
    func testStridesPaddingAndOddSizesAgainstTwoStepsAndNaive() throws {
        let cases = [
            Case(batch: 2, cin: 16, cexp: 96, h: 23, w: 23, k: 3, stride: 2, padding: [0, 0, 1, 1]),
            Case(batch: 3, cin: 8, cexp: 48, h: 17, w: 19, k: 5, stride: 1, padding: [2, 2, 2, 2]),
            Case(batch: 1, cin: 5, cexp: 32, h: 31, w: 9, k: 3, stride: 1, padding: [1, 1, 1, 1]),
            Case(batch: 2, cin: 24, cexp: 32, h: 15, w: 13, k: 5, stride: 2, padding: [1, 1, 2, 2]),
            Case(batch: 2, cin: 1, cexp: 16, h: 7, w: 7, k: 3, stride: 1, padding: [1, 1, 1, 1]),
            Case(batch: 1, cin: 200, cexp: 32, h: 9, w: 11, k: 5, stride: 1, padding: [2, 2, 2, 2]),
            Case(batch: 2, cin: 12, cexp: 16, h: 5, w: 3, k: 3, stride: 2, padding: [1, 1, 1, 1]),
            Case(batch: 1, cin: 7, cexp: 32, h: 4, w: 4, k: 5, stride: 1, padding: [2, 2, 2, 2]),
            Case(batch: 2, cin: 16, cexp: 32, h: 11, w: 31, k: 5, stride: 2, padding: [0, 3, 4, 0]),
        ]
        for (trial, k) in cases.enumerated() { try check(k, seed: UInt64(21_000 + 10 * trial)) }
    }

    /// Maps whose blocks run in several bands of rows (the halo rows carried from band to band)
    /// and several segments per image (batch 1, few blocks: the threads split the rows).
    func testBandsAndSegmentsAgainstTwoStepsAndNaive() throws {
        let cases = [
            Case(batch: 1, cin: 16, cexp: 32, h: 61, w: 57, k: 3, stride: 1, padding: [1, 1, 1, 1]),
            Case(batch: 1, cin: 8, cexp: 48, h: 66, w: 58, k: 3, stride: 2, padding: [0, 0, 1, 1]),
            Case(batch: 2, cin: 16, cexp: 16, h: 57, w: 63, k: 5, stride: 2, padding: [1, 1, 2, 2]),
            Case(batch: 1, cin: 24, cexp: 32, h: 53, w: 50, k: 5, stride: 1, padding: [2, 2, 2, 2]),
            Case(batch: 1, cin: 16, cexp: 16, h: 113, w: 112, k: 3, stride: 2, padding: [0, 0, 1, 1]),
        ]
        for (trial, k) in cases.enumerated() { try check(k, seed: UInt64(22_000 + 10 * trial)) }
    }

    /// Every epilogue: the expand's bias alone, ReLU, ReLU6, GELU; the depthwise conv's bias
    /// alone, ReLU, ReLU6, GELU, a residual, a post-activation.
    func testEveryEpilogueAgainstTwoStepsAndNaive() throws {
        let expands = [Epilogue(), Epilogue(activation: .relu), Epilogue(activation: .relu6), Epilogue(activation: .gelu)]
        let depthwises = [
            Epilogue(), Epilogue(activation: .relu), Epilogue(activation: .relu6), Epilogue(activation: .gelu), Epilogue(residual: true),
            Epilogue(activation: .relu6, residual: true, postActivation: .relu), Epilogue(activation: .gelu, postActivation: .relu6),
        ]
        for (trial, (e, d)) in zip(expands + expands, depthwises + depthwises.prefix(1)).enumerated() {
            let k = 3 + 2 * (trial % 2), stride = 1 + trial / 2 % 2
            let c = Case(
                batch: 2, cin: 8 + trial, cexp: 32, h: 11 + trial, w: 16 + trial, k: k, stride: stride, padding: Array(repeating: k / 2, count: 4),
                expand: e, depthwise: d)
            try check(c, seed: UInt64(23_000 + 10 * trial))
        }
    }

    /// At batch > 1 the leading layers on large maps run image by image (`BatchOrder.auto`):
    /// the fused step inside that prefix, at batch 1 per image.
    func testImageMajorPrefixAgainstTwoStepsAndNaive() throws {
        let c = Case(batch: 3, cin: 16, cexp: 32, h: 30, w: 29, k: 3, stride: 1, padding: [1, 1, 1, 1])
        let engine = try Engine(graph: graph(c, seed: 24_000), batch: 3, threads: 2, batchOrder: .auto, fusion: .always)
        XCTAssertEqual(engine.imageMajorNodes, 2)
        try check(c, seed: 24_000, batchOrder: .auto)
    }

    /// `runAll` (what `--check` compares node by node) still returns the fused expand's value;
    /// the plan keeps the expand's input alive through the fused step; pairs the kernel does
    /// not take stay two steps; the profile counts both convs on the fused step.
    func testRunAllMemoryAndPlan() throws {
        let c = Case(batch: 2, cin: 16, cexp: 48, h: 21, w: 19, k: 5, stride: 2, padding: [1, 1, 2, 2])
        let g = graph(c, seed: 25_000)
        let x = RuntimeTest.random([2, 16, 21, 19], seed: 25_005)
        let engine = try Engine(graph: g, batch: 2, threads: 2, batchOrder: .layer, fusion: .always)
        let got = try engine.runAll(x), expected = Interpreter.runAll(g, input: x)
        for node in g.nodes {
            XCTAssertLessThanOrEqual(try XCTUnwrap(got[node.id]).relativeError(to: expected[node.id]!), 1e-5, node.name)
        }
        XCTAssertEqual(engine.stepKinds.map(\.kind), ["expand+dw", "expand+dw"])
        let plain = try Engine(graph: g, batch: 2, threads: 2, batchOrder: .layer, fusion: .off)
        XCTAssertEqual(engine.stepKinds.map(\.flops).reduce(0, +), plain.stepKinds.map(\.flops).reduce(0, +))
        // The input (value 0) and the depthwise output (3) never share bytes.
        let input = try XCTUnwrap(engine.plan.offsets[0]), output = try XCTUnwrap(engine.plan.offsets[3])
        let inputBytes = 2 * 16 * 21 * 19 * 4, outputBytes = 2 * 48 * 11 * 10 * 4
        XCTAssertTrue(input + inputBytes <= output || output + outputBytes <= input, "input and the fused step's output overlap")
        // 300 input channels (above one GEMM depth block) and 40 expanded (not whole blocks): two steps.
        for (cin, cexp) in [(300, 32), (16, 40)] {
            let other = graph(Case(batch: 1, cin: cin, cexp: cexp, h: 9, w: 9, k: 3, stride: 1, padding: [1, 1, 1, 1]), seed: 25_100)
            let plan = try Engine(graph: other, batch: 1, threads: 1, fusion: .always).kernelPlan
            let kernels = plan.steps.map { "\($0.kernel)".prefix { $0 != "(" } }
            XCTAssertEqual(kernels, ["pointwise", "depthwise"], "\(cin) -> \(cexp)")
        }
    }

    /// `auto` on EfficientNet-Lite0 (224x224): at batch 1 the pairs whose wide map is at least
    /// 256 KiB (blocks 1-11, 112x112 to 14x14), not the 7x7 ones; at batch 8 blocks 1-4 in the
    /// image-major prefix (per image) and the 14x14 and 7x7 pairs over the batch.
    func testAutoFusesLite0sLargeMaps() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/efficientnet-lite0.yaml")
        func fused(batch: Int) -> [Int] {
            let prefix = BatchOrder.auto.prefixLength(optimized, batch: batch)
            return KernelPlan(optimized, batch: batch, fusion: .auto, imageMajorPrefix: prefix).steps.compactMap { step in
                guard case .expandDepthwise = step.kernel else { return nil }
                return Int(step.node.name.split(separator: ".")[1])
            }
        }
        XCTAssertEqual(fused(batch: 1), Array(1...11))
        let atEight = fused(batch: 8)
        XCTAssertEqual(atEight.filter { $0 <= 4 }, [1, 2, 3, 4])
        XCTAssertEqual(atEight.filter { $0 >= 6 }, Array(6...15))
    }
}
