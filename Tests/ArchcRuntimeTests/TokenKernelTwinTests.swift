import ArchcIR
import ArchcInterpreter
import ArchcPasses
import ArchcRuntime
import XCTest

/// The transformer kernels against their naive twins (the interpreter's token kernels):
/// attention per head, token LayerNorm, linears on tokens and per pixel with every epilogue,
/// the token ops; odd token counts and depths, batch > 1, bitwise equal for any thread count.
final class TokenKernelTwinTests: XCTestCase {
    /// One op on a random input through the engine (1, 2 and 3 threads) and the interpreter.
    private func check(
        _ kind: OpKind, input: [Int], output: [Int], weights: KeyValuePairs<String, [Int]> = [:], batch: Int, seed: UInt64, tolerance: Float = 1e-5,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let names = weights.map(\.key)
        var constants: [String: Tensor] = [:]
        for (i, (name, dims)) in weights.enumerated() { constants[name] = RuntimeTest.random(dims, seed: seed + UInt64(i) + 1) }
        let node = Node(id: 1, kind: kind, inputs: [Graph.inputID], weights: names, type: TensorType(output), name: "op")
        let graph = Graph(name: "op", inputType: TensorType(input), nodes: [node], output: 1, constants: constants)
        XCTAssertEqual(Verifier.verify(graph), [], file: file, line: line)
        let x = RuntimeTest.random([batch] + input, seed: seed)
        let expected = Interpreter.run(graph, input: x)
        let one = try Engine(graph: graph, batch: batch, threads: 1).run(x)
        let error = one.relativeError(to: expected)
        XCTAssertLessThanOrEqual(error, tolerance, "\(kind) \(input) batch \(batch): error \(error)", file: file, line: line)
        for threads in [2, 3] {
            XCTAssertEqual(try Engine(graph: graph, batch: batch, threads: threads).run(x).data, one.data, "\(kind) \(threads) threads", file: file, line: line)
        }
    }

    func testAttentionAgainstNaiveOnRandomShapes() throws {
        // Token counts around the 6-row tiles, the 12-row query blocks and the 16-column tiles
        // (1, 5, 6, 7, 12, 13, 16, 17, 197, 200), depths below, at and between multiples of 16
        // (4, 7, 12, 16, 20, 33, 64), several heads, batch > 1.
        let cases: [(t: Int, heads: Int, depth: Int, batch: Int)] = [
            (1, 1, 4, 2), (5, 2, 12, 3), (6, 1, 16, 1), (7, 3, 20, 2), (12, 2, 7, 2), (13, 1, 33, 3), (16, 2, 8, 2), (17, 4, 16, 1), (33, 2, 64, 2),
            (197, 6, 64, 1), (197, 6, 64, 2), (200, 3, 24, 2),
        ]
        for (i, k) in cases.enumerated() {
            let c = k.heads * k.depth
            try check(.attention(heads: k.heads), input: [k.t, 3 * c], output: [k.t, c], batch: k.batch, seed: UInt64(10 * i))
        }
    }

    func testAttentionOnLargeScoresStaysFinite() throws {
        // Scores of hundreds: the softmax must subtract the row's maximum before exponentiating.
        let graph = Graph(
            name: "op", inputType: TensorType([9, 24]),
            nodes: [Node(id: 1, kind: .attention(heads: 2), inputs: [0], weights: [], type: TensorType([9, 8]), name: "attn")], output: 1, constants: [:])
        let x = RuntimeTest.random([2, 9, 24], seed: 3, low: -30, high: 30)
        let got = try Engine(graph: graph, batch: 2, threads: 2).run(x)
        XCTAssertTrue(got.data.allSatisfy(\.isFinite))
        XCTAssertLessThanOrEqual(got.relativeError(to: Interpreter.run(graph, input: x)), 1e-5)
    }

    func testTokenLayerNormAgainstNaive() throws {
        for (i, (t, c)) in [(1, 1), (5, 7), (197, 384), (3, 8), (9, 33)].enumerated() {
            try check(
                .layerNorm(eps: 1e-6, affine: true), input: [t, c], output: [t, c], weights: ["g": [c], "b": [c]], batch: 2, seed: UInt64(100 + 10 * i))
            try check(.layerNorm(eps: 1e-5, affine: false), input: [t, c], output: [t, c], batch: 3, seed: UInt64(200 + 10 * i))
        }
        try check(.layerNorm(eps: 1e-6, affine: true), input: [13, 3, 5], output: [13, 3, 5], weights: ["g": [13], "b": [13]], batch: 2, seed: 300)
    }

    func testLinearsOnTokensAndPixelsWithEveryEpilogue() throws {
        let acts: [Activation?] = [nil, .relu, .gelu]
        var trial: UInt64 = 400
        for (t, c, out) in [(1, 3, 5), (7, 16, 24), (197, 40, 17), (50, 64, 96)] {
            for act in acts {
                trial += 10
                try check(.linear(Epilogue(activation: act)), input: [t, c], output: [t, out], weights: ["w": [out, c], "b": [out]], batch: 2, seed: trial)
            }
        }
        try check(.linear(Epilogue(activation: .gelu)), input: [12, 5, 3], output: [20, 5, 3], weights: ["w": [20, 12], "b": [20]], batch: 3, seed: 500)
    }

    func testResidualLinearOnTokensAgainstNaive() throws {
        // x + fc(x): the residual is the layer's own input.
        let (t, c) = (11, 24)
        let graph = Graph(
            name: "res", inputType: TensorType([t, c]),
            nodes: [
                Node(
                    id: 1, kind: .linear(Epilogue(activation: .gelu, residual: true)), inputs: [0, 0], weights: ["w", "b"], type: TensorType([t, c]), name: "fc"
                )
            ],
            output: 1, constants: ["w": RuntimeTest.random([c, c], seed: 1), "b": RuntimeTest.random([c], seed: 2)])
        XCTAssertEqual(Verifier.verify(graph), [])
        let x = RuntimeTest.random([3, t, c], seed: 3)
        XCTAssertLessThanOrEqual(try Engine(graph: graph, batch: 3, threads: 2).run(x).relativeError(to: Interpreter.run(graph, input: x)), 1e-5)
    }

    func testTokenOpsAgainstNaive() throws {
        try check(.tokens, input: [5, 3, 4], output: [12, 5], batch: 2, seed: 600)
        try check(.prependToken, input: [7, 6], output: [8, 6], weights: ["cls": [1, 1, 6]], batch: 3, seed: 610)
        try check(.addConstant, input: [7, 6], output: [7, 6], weights: ["pos": [1, 7, 6]], batch: 3, seed: 620)
        try check(.selectToken(index: 0), input: [7, 6], output: [6], batch: 3, seed: 630)
        try check(.selectToken(index: 6), input: [7, 6], output: [6], batch: 2, seed: 640)
        try check(.tokenMean, input: [7, 6], output: [6], batch: 3, seed: 650)
        try check(.channelScale, input: [7, 6], output: [7, 6], weights: ["gamma": [6]], batch: 2, seed: 660)
    }
}
