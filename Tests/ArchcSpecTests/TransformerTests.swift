import XCTest
@testable import ArchcSpec

/// The transformer side of the spec language: token shapes, attention's price and its own
/// report line, residual lists, stage downsamples, and budgets and fits across families.
final class TransformerTests: XCTestCase {
    private func shapes(_ network: Network, _ names: [String]) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: network.layers.filter { names.contains($0.name) }.map { ($0.name, $0.outputShape.dims) })
    }

    func testTokenShapesThroughDeiTSmall() throws {
        let network = try XCTUnwrap(Repo.compile("specs/deit-small.yaml").network)
        let found = shapes(network, ["patch_embed.proj", "cls_token", "pos_embed", "blocks.0.attn.qkv", "blocks.0.attn", "blocks.0.mlp.fc1", "head"])
        XCTAssertEqual(found["patch_embed.proj"], [384, 14, 14])
        XCTAssertEqual(found["cls_token"], [197, 384])
        XCTAssertEqual(found["pos_embed"], [197, 384])
        XCTAssertEqual(found["blocks.0.attn.qkv"], [197, 1152])
        XCTAssertEqual(found["blocks.0.attn"], [197, 384])
        XCTAssertEqual(found["blocks.0.mlp.fc1"], [197, 1536])
        XCTAssertEqual(found["head"], [1000])
        let tokens = try XCTUnwrap(network.layers.first { $0.operation == .tokens })
        XCTAssertEqual(tokens.outputShape, .tokens(count: 196, channels: 384))
        // Each block: two residual adds, the first over the attention branch, the second over the MLP.
        let adds = network.layers.filter { $0.block == "blocks.0" && $0.operation == .add }
        XCTAssertEqual(adds.count, 2)
        XCTAssertEqual(adds.map { network.layers[$0.inputs[0]].name }, ["blocks.0.attn.proj", "blocks.0.mlp.fc2"])
    }

    /// The two matmuls of one attention layer: heads * T * T * headDim MACs each; softmax and
    /// the scale are 6 FLOPs per score on top.
    func testAttentionCost() throws {
        let attention = Layer(
            name: "attn", operation: .attention(.init(heads: 2, headDim: 3)), inputs: [-1], inputShape: .tokens(count: 5, channels: 18),
            outputShape: .tokens(count: 5, channels: 6), tensors: [], section: .stem, block: nil, location: .commandLine("test"))
        let cost = try XCTUnwrap(CostModel.cost(of: attention))
        XCTAssertEqual(cost.macs, 2 * (2 * 5 * 5 * 3))
        XCTAssertEqual(cost.flops, 2 * cost.macs + 6 * (2 * 5 * 5))
        XCTAssertEqual(cost.params, 0)
    }

    func testTokenLinearAndElementwiseCosts() throws {
        func cost(_ op: LayerOperation, _ input: TensorShape, _ output: TensorShape, _ tensors: [Layer.Tensor] = []) -> Cost? {
            CostModel.cost(
                of: Layer(
                    name: "x", operation: op, inputs: [-1], inputShape: input, outputShape: output, tensors: tensors, section: .stem,
                    block: nil, location: .commandLine("test")))
        }
        let tokens = TensorShape.tokens(count: 5, channels: 4)
        // A linear on every token: T * in * out MACs, one bias add per output element.
        let linear = cost(.linear(outFeatures: 6, bias: true), tokens, .tokens(count: 5, channels: 6))
        XCTAssertEqual(linear?.macs, 5 * 4 * 6)
        XCTAssertEqual(linear?.flops, 2 * 5 * 4 * 6 + 5 * 6)
        // Per pixel: the same rule over H * W positions (ConvNeXt's mlp.fc1).
        let pixels = cost(.linear(outFeatures: 6, bias: false), .image(channels: 4, height: 2, width: 3), .image(channels: 6, height: 2, width: 3))
        XCTAssertEqual(pixels?.macs, 2 * 3 * 4 * 6)
        XCTAssertEqual(cost(.layerNorm(eps: 1e-6, affine: true), tokens, tokens)?.macs, 5 * 20)
        XCTAssertEqual(cost(.positionEmbedding, tokens, tokens)?.macs, 0)
        XCTAssertEqual(cost(.positionEmbedding, tokens, tokens)?.flops, 20)
        // fvcore counts the emitted `x.mean(1)` as 0 MACs (it has no handle for aten::mean).
        XCTAssertEqual(cost(.tokenMean, tokens, .vector(4))?.macs, 0)
        XCTAssertEqual(cost(.tokenMean, tokens, .vector(4))?.flops, 20)
        for op in [LayerOperation.tokens, .classToken, .classTokenPool, .activation(.gelu), .add] {
            XCTAssertEqual(cost(op, tokens, tokens)?.macs, 0, "\(op)")
        }
    }

    /// DeiT-S is 4.61 G MACs with its attention matmuls; without them 4.25 G, what fvcore
    /// prints for timm's model (Tests/python/count_fvcore_macs.py).
    func testAttentionShareIsReportedOnItsOwnLine() throws {
        let result = Repo.compile("specs/deit-small.yaml")
        let network = try XCTUnwrap(result.network)
        XCTAssertEqual(network.attentionLayers, 12)
        XCTAssertEqual(network.attentionCost.macs, 12 * 2 * 6 * 197 * 197 * 64)
        XCTAssertEqual(network.macs - network.attentionCost.macs, 4_250_674_560)
        let summary = SummaryReport.render(network, budget: nil)
        XCTAssertTrue(
            summary.contains("  attention 357,663,744  (357.66 M, 7.8% of MACs; q k^T and A v in 12 layers, in the MACs above)"), summary)
        let table = TableReport.render(network)
        XCTAssertTrue(table.hasSuffix("7.8%") && table.contains("= attention"), table)
        XCTAssertTrue(TableReport.render(network, useFLOPs: true).contains(Format.grouped(network.attentionCost.flops)))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(JSONReport.render(network, budget: nil).utf8)) as? [String: Any])
        XCTAssertEqual(json["attention_macs"] as? Int, 357_663_744)
        XCTAssertEqual(json["attention_flops"] as? Int, network.attentionCost.flops)
        // A CNN has no attention line, and 0 in the JSON.
        let cnn = try XCTUnwrap(Repo.compile("specs/resnet50.yaml").network)
        XCTAssertFalse(SummaryReport.render(cnn, budget: nil).contains("attention"))
        XCTAssertFalse(TableReport.render(cnn).contains("= attention"))
    }

    /// Dropout and drop-path are accepted and add no layer.
    func testDropoutIsAnInferenceNoOp() throws {
        let base = """
            model: drop
            input: {channels: 3, size: 16}
            defaults: {norm: layernorm}
            stem: [conv: {name: embed, out: 8, kernel: 8, stride: 8}, tokens, cls_token, pos_embed%@]
            stages: [{block: mix, depth: 1}]
            head: [pool: class-token, linear: {name: head, out: 3}]
            blocks: {mix: {body: [residual: [layernorm: norm, attention: {heads: 2}]]}}
            expect: {output: [3]}
            """
        let plain = try XCTUnwrap(Repo.compileText(base.replacingOccurrences(of: "%@", with: "")).network)
        let dropped = Repo.compileText(base.replacingOccurrences(of: "%@", with: ", dropout: 0.1, drop_path"))
        XCTAssertTrue(dropped.succeeded, dropped.diagnostics.rendered())
        XCTAssertEqual(dropped.network?.layers.map(\.name), plain.layers.map(\.name))
        XCTAssertEqual(
            plain.tensors.map(\.name),
            [
                "embed.weight", "embed.bias", "cls_token", "pos_embed", "stages.0.blocks.0.norm.weight",
                "stages.0.blocks.0.norm.bias", "stages.0.blocks.0.attn.qkv.weight", "stages.0.blocks.0.attn.qkv.bias",
                "stages.0.blocks.0.attn.proj.weight", "stages.0.blocks.0.attn.proj.bias", "head.weight", "head.bias",
            ])
    }

    /// ConvNeXt's downsample runs once per stage, takes the stage's stride, and is no block:
    /// the cost of one more block is a block's, never the downsample's.
    func testStageDownsampleIsOutsideEveryBlock() throws {
        let network = try XCTUnwrap(Repo.compile("specs/convnext-tiny.yaml").network)
        let downsample = network.layers.filter { $0.name.hasPrefix("stages.2.downsample") }
        XCTAssertEqual(downsample.map(\.name), ["stages.2.downsample.0", "stages.2.downsample.1"])
        XCTAssertEqual(downsample.map(\.block), [nil, nil])
        XCTAssertEqual(downsample.last?.outputShape, .image(channels: 384, height: 14, width: 14))
        let block = network.layers.filter { $0.block == "stages.2.blocks.4" }.reduce(0) { $0 + $1.cost.macs }
        XCTAssertEqual(Compiler.marginalBlockMacs(network, stage: 2), block)
        XCTAssertEqual(network.layers.filter { $0.name.hasSuffix("downsample.0") }.count, 3, "stage 0 has none")
    }
}

/// Budgets and `fit` across families: the CNNs held to DeiT-S, and the other way round.
final class CrossFamilyBudgetTests: XCTestCase {
    func testRobustSpecsNameDeiTSmallAsTheirBudget() throws {
        for block in ["dw", "inverted-dw", "up-inverted-dw", "down-inverted-dw"] {
            let result = Repo.compile("specs/robust-resnet-\(block)-small.yaml")
            let verdict = try XCTUnwrap(result.budget, block)
            XCTAssertEqual(verdict.referenceName, "deit-small", block)
            XCTAssertEqual(verdict.target, 4_608_338_304, block)
            XCTAssertTrue(verdict.within, "\(block): \(verdict.summary)")
        }
    }

    /// A CNN fitted to a transformer reference: from ResNet-50's depths the fitter finds the
    /// paper's Robust-ResNet-DW depths against DeiT-S itself.
    func testCNNFittedToATransformer() throws {
        let start = Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["stages[2].depth=6"])
        XCTAssertEqual(start.blockingErrors.count, 0, start.diagnostics.rendered())
        let proposal = try Fitter.fit(start).get()
        XCTAssertEqual(proposal.proposed, [3, 4, 12, 3])
        XCTAssertEqual(proposal.verdict.referenceName, "deit-small")
        XCTAssertTrue(proposal.verdict.within)
        let widths = try Fitter.fitWidths(start).get()
        XCTAssertTrue(try XCTUnwrap(widths.first).verdict.within)
    }

    /// Small to base: held to DeiT-B, every stage's width grows by the same smallest factor.
    func testUniformWidthFitGrowsASmallModelToDeiTBase() throws {
        let start = Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["budget.reference=deit-base.yaml"])
        XCTAssertEqual(start.blockingErrors.count, 0, start.diagnostics.rendered())
        XCTAssertEqual(start.budget?.referenceName, "deit-base")
        let proposal = try XCTUnwrap(try Fitter.fitUniformWidth(start).get())
        XCTAssertEqual(proposal.original, [96, 192, 384, 768])
        XCTAssertEqual(proposal.proposed, [192, 384, 768, 1536])
        XCTAssertTrue(proposal.verdict.within, proposal.verdict.summary)
        XCTAssertEqual(proposal.flags.first, "--set stages[0].dim=192")
        // One step less (the narrowest stage 8 channels smaller) is outside: the factor is the smallest.
        let smaller = Repo.compile(
            "specs/robust-resnet-dw-small.yaml",
            overrides: ["budget.reference=deit-base.yaml", "stages[0].dim=184", "stages[1].dim=368", "stages[2].dim=736", "stages[3].dim=1472"])
        XCTAssertFalse(try XCTUnwrap(smaller.budget).within)
    }

    /// And a transformer fitted to a CNN: a 6-block DeiT-S grows back to 12 blocks to match
    /// Robust-ResNet-DW's cost.
    func testTransformerFittedToACNN() throws {
        let text = """
            extends: \(Repo.specs.path)/deit-small.yaml
            model: deit-vs-robust
            budget: {reference: \(Repo.specs.path)/robust-resnet-dw-small.yaml, tolerance: 5%}
            set:
              stages[0].depth: 6
            expect: {output: [1000]}
            """
        let start = Repo.compileText(text)
        XCTAssertFalse(start.succeeded, "6 blocks are half the cost")
        XCTAssertEqual(start.blockingErrors.count, 0, start.diagnostics.rendered())
        let proposal = try Fitter.fit(start).get()
        XCTAssertEqual(proposal.proposed, [12])
        XCTAssertEqual(proposal.verdict.referenceName, "robust-resnet-dw-small")
        XCTAssertTrue(proposal.verdict.within)
    }
}
