import ArchcIR
import ArchcInterpreter
import ArchcPasses
import Foundation
import XCTest

/// The token ops: textual form, type rules and their reference semantics, on a two-block
/// ViT small enough to read.
final class TransformerIRTests: XCTestCase {
    /// Patchify 8x8 into 4 tokens of 8 channels, class token, position embedding, one
    /// pre-norm block (2 heads), final norm, class-token head.
    static let vit = """
        graph @"tiny-vit"(%0: [N, 3, 8, 8]) -> %18 {
          %1 = conv2d(%0) [@"patch_embed.proj.weight", @"patch_embed.proj.bias"] {stride = [4, 4], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 8, 2, 2] loc("patch_embed.proj")
          %2 = tokens(%1) : [N, 4, 8] loc("patch_embed.tokens")
          %3 = prepend_token(%2) [@"cls_token"] : [N, 5, 8] loc("cls_token")
          %4 = add_constant(%3) [@"pos_embed"] : [N, 5, 8] loc("pos_embed")
          %5 = layernorm(%4) [@"blocks.0.norm1.weight", @"blocks.0.norm1.bias"] {eps = 1e-06, affine = true} : [N, 5, 8] loc("blocks.0.norm1")
          %6 = linear(%5) [@"blocks.0.attn.qkv.weight", @"blocks.0.attn.qkv.bias"] : [N, 5, 24] loc("blocks.0.attn.qkv")
          %7 = attention(%6) {heads = 2} : [N, 5, 8] loc("blocks.0.attn")
          %8 = linear(%7) [@"blocks.0.attn.proj.weight", @"blocks.0.attn.proj.bias"] : [N, 5, 8] loc("blocks.0.attn.proj")
          %9 = add(%4, %8) : [N, 5, 8] loc("blocks.0.add1")
          %10 = layernorm(%9) [@"blocks.0.norm2.weight", @"blocks.0.norm2.bias"] {eps = 1e-06, affine = true} : [N, 5, 8] loc("blocks.0.norm2")
          %11 = linear(%10) [@"blocks.0.mlp.fc1.weight", @"blocks.0.mlp.fc1.bias"] : [N, 5, 16] loc("blocks.0.mlp.fc1")
          %12 = gelu(%11) : [N, 5, 16] loc("blocks.0.mlp.act")
          %13 = linear(%12) [@"blocks.0.mlp.fc2.weight", @"blocks.0.mlp.fc2.bias"] : [N, 5, 8] loc("blocks.0.mlp.fc2")
          %14 = add(%9, %13) : [N, 5, 8] loc("blocks.0.add2")
          %15 = layernorm(%14) [@"norm.weight", @"norm.bias"] {eps = 1e-06, affine = true} : [N, 5, 8] loc("norm")
          %16 = select_token(%15) {index = 0} : [N, 8] loc("head.select")
          %17 = token_mean(%15) : [N, 8] loc("head.mean")
          %18 = linear(%16, %17) [@"head.weight", @"head.bias"] {residual = true} : [N, 8] loc("head")
        }
        const @"blocks.0.attn.proj.bias" : [8]
        const @"blocks.0.attn.proj.weight" : [8, 8]
        const @"blocks.0.attn.qkv.bias" : [24]
        const @"blocks.0.attn.qkv.weight" : [24, 8]
        const @"blocks.0.mlp.fc1.bias" : [16]
        const @"blocks.0.mlp.fc1.weight" : [16, 8]
        const @"blocks.0.mlp.fc2.bias" : [8]
        const @"blocks.0.mlp.fc2.weight" : [8, 16]
        const @"blocks.0.norm1.bias" : [8]
        const @"blocks.0.norm1.weight" : [8]
        const @"blocks.0.norm2.bias" : [8]
        const @"blocks.0.norm2.weight" : [8]
        const @"cls_token" : [1, 1, 8]
        const @"head.bias" : [8]
        const @"head.weight" : [8, 8]
        const @"norm.bias" : [8]
        const @"norm.weight" : [8]
        const @"patch_embed.proj.bias" : [8]
        const @"patch_embed.proj.weight" : [8, 3, 4, 4]
        const @"pos_embed" : [1, 5, 8]

        """

    func testTokenOpsRoundTripAndVerify() throws {
        let graph = IRTest.parse(Self.vit)
        XCTAssertEqual(graph.text, Self.vit)
        let optimized = try Pipeline.run(graph, verify: true).get().0
        let reparsed = try IRParser.parse(optimized.text, seed: nil).get()
        XCTAssertEqual(reparsed.text, optimized.text)
        XCTAssertEqual(Verifier.verify(reparsed), [])
    }

    func testPipelineKeepsTheOutputAndFusesTheBlock() throws {
        let graph = IRTest.parse(Self.vit)
        let optimized = try Pipeline.run(graph, verify: true).get().0
        let input = WeightInit.input(for: graph, batch: 2, seed: 3)
        let error = Interpreter.run(optimized, input: input).relativeError(to: Interpreter.run(graph, input: input))
        XCTAssertLessThanOrEqual(error, 1e-5)
        let counts = optimized.opCounts()
        XCTAssertEqual(counts["add"], nil, "both residual adds join a linear's epilogue")
        XCTAssertEqual(counts["gelu"], nil, "GELU joins fc1's epilogue")
        XCTAssertEqual(
            optimized.nodes.filter { if case .layerNorm(_, false) = $0.kind { return true } else { return false } }.count, 2,
            "norm1 and norm2 hand their affine to qkv and fc1; the final norm feeds a select and keeps it")
    }

    func testTypeRulesOfTheTokenOps() throws {
        func errors(_ input: String, _ line: String, _ constants: String = "") throws -> [String] {
            let text = "graph @\"g\"(%0: \(input)) -> %1 {\n  \(line) loc(\"x\")\n}\n\(constants)"
            return Verifier.verify(try IRParser.parse(text).get())
        }
        XCTAssertEqual(try errors("[N, 8, 2, 3]", "%1 = tokens(%0) : [N, 6, 8]"), [])
        XCTAssertEqual(try errors("[N, 6, 8]", "%1 = tokens(%0) : [N, 6, 8]"), ["%1 (tokens 'x'): tokens expects [N, C, H, W], found [N, 6, 8]"])
        XCTAssertEqual(
            try errors("[N, 4, 8]", "%1 = prepend_token(%0) [@\"c\"] : [N, 5, 8]", "const @\"c\" : [1, 1, 6]\n"),
            ["%1 (prepend_token 'x'): prepend_token token has shape [1, 1, 6], expected [1, 1, 8]"])
        XCTAssertEqual(
            try errors("[N, 4, 8]", "%1 = add_constant(%0) [@\"p\"] : [N, 4, 8]", "const @\"p\" : [1, 5, 8]\n"),
            ["%1 (add_constant 'x'): add_constant constant has shape [1, 5, 8], expected [1, 4, 8]"])
        XCTAssertEqual(
            try errors("[N, 5, 24]", "%1 = attention(%0) {heads = 3} : [N, 5, 8]"),
            ["%1 (attention 'x'): attention with 3 heads needs 3 x heads to divide its 24 input channels"])
        XCTAssertEqual(
            try errors("[N, 8, 2, 2]", "%1 = attention(%0) {heads = 1} : [N, 5, 8]"),
            ["%1 (attention 'x'): attention expects [N, T, 3C], found [N, 8, 2, 2]"])
        XCTAssertEqual(
            try errors("[N, 5, 8]", "%1 = select_token(%0) {index = 5} : [N, 8]"), ["%1 (select_token 'x'): select_token index 5 is outside 5 tokens"])
        XCTAssertEqual(try errors("[N, 40]", "%1 = token_mean(%0) : [N, 8]"), ["%1 (token_mean 'x'): token_mean expects [N, T, C], found [N, 40]"])
        XCTAssertEqual(
            try errors("[N, 5, 8]", "%1 = linear(%0) [@\"w\"] : [N, 5, 4]", "const @\"w\" : [4, 6]\n"),
            ["%1 (linear 'x'): linear weight has shape [4, 6], expected [out, 8]"])
        XCTAssertEqual(try errors("[N, 6, 3, 3]", "%1 = linear(%0) [@\"w\"] : [N, 4, 3, 3]", "const @\"w\" : [4, 6]\n"), [], "a linear on a map acts per pixel")
        XCTAssertEqual(
            try errors("[N, 5, 8]", "%1 = layernorm(%0) [@\"g\", @\"b\"] {eps = 1e-06, affine = true} : [N, 5, 8]", "const @\"g\" : [5]\nconst @\"b\" : [5]\n"),
            ["%1 (layernorm 'x'): weight 0 of layernorm has shape [5], expected [8]"], "a token LayerNorm normalises the channels, not the tokens")
    }

    func testParserNeedsTheTokenOpsAttributes() {
        guard case .failure(let failure) = IRParser.parse("graph @\"g\"(%0: [N, 5, 24]) -> %1 {\n  %1 = attention(%0) : [N, 5, 8]\n}\n") else {
            return XCTFail("parsed an attention without heads")
        }
        XCTAssertEqual(failure.description, "2:8: attention needs an integer 'heads'")
    }

    func testTokensTakePixelsRowByRow() {
        // (1, 2, 2, 2): channel 0 holds 0...3, channel 1 holds 10...13.
        let x = Tensor(dims: [1, 2, 2, 2], data: [0, 1, 2, 3, 10, 11, 12, 13])
        XCTAssertEqual(NaiveKernels.tokens(x), Tensor(dims: [1, 4, 2], data: [0, 10, 1, 11, 2, 12, 3, 13]))
        let withToken = NaiveKernels.prependToken(Tensor(dims: [2, 1, 2], data: [1, 2, 3, 4]), token: Tensor(dims: [1, 1, 2], data: [9, 8]))
        XCTAssertEqual(withToken, Tensor(dims: [2, 2, 2], data: [9, 8, 1, 2, 9, 8, 3, 4]))
        XCTAssertEqual(NaiveKernels.selectToken(withToken, index: 1), Tensor(dims: [2, 2], data: [1, 2, 3, 4]))
        XCTAssertEqual(NaiveKernels.tokenMean(withToken), Tensor(dims: [2, 2], data: [5, 5, 6, 6]))
    }

    func testAttentionByHand() {
        // T = 2, one head of depth 1: token i holds (q_i, k_i, v_i). Query 0 sees scores
        // q0 * k = (1 * 0, 1 * ln 3) and weighs the values 1 : 3.
        let x = Tensor(dims: [1, 2, 3], data: [1, 0, 10, 0, Float(log(3.0)), 20])
        let y = NaiveKernels.attention(x, heads: 1)
        XCTAssertEqual(y.dims, [1, 2, 1])
        XCTAssertEqual(y.data[0], 17.5, accuracy: 1e-5)
        XCTAssertEqual(y.data[1], 15, accuracy: 1e-5, "query 1 is zero: both values weigh the same")
        // Two heads read their own column slices: head 1 sees the same numbers shifted over.
        let two = Tensor(dims: [1, 2, 6], data: [1, 5, 0, 0, 10, 7, 0, 5, Float(log(3.0)), 0, 20, 7])
        XCTAssertEqual(NaiveKernels.attention(two, heads: 2).data, [17.5, 7, 15, 7].map { Float($0) }, accuracy: 1e-5)
    }

    func testLinearOnAMapActsPerPixel() {
        let x = Tensor(dims: [1, 2, 1, 2], data: [1, 2, 3, 4])  // pixel 0 = (1, 3), pixel 1 = (2, 4)
        let y = NaiveKernels.linear(x, weight: Tensor(dims: [1, 2], data: [1, 10]), bias: Tensor(dims: [1], data: [0.5]))
        XCTAssertEqual(y, Tensor(dims: [1, 1, 1, 2], data: [31.5, 42.5]))
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
