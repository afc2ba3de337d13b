import XCTest
@testable import ArchcSpec

/// Each counting rule of the fvcore convention, on small hand-checked layers.
final class CostModelTests: XCTestCase {
    private func layer(_ op: LayerOperation, _ input: TensorShape, _ output: TensorShape, _ tensors: [Layer.Tensor] = []) -> Layer {
        Layer(
            name: "x", operation: op, inputs: [-1], inputShape: input, outputShape: output, tensors: tensors,
            section: .stem, block: nil, location: .commandLine("test"))
    }

    func testConvCountsOutputTimesReducedKernelAndIgnoresBias() throws {
        let conv = LayerOperation.Conv2D(
            inChannels: 6, outChannels: 8, kernel: (3, 5), stride: (2, 2), padding: (1, 2, 1, 2),
            dilation: (1, 1), groups: 2, bias: true)
        let weights: [Layer.Tensor] = [.init(name: "w", shape: [8, 3, 3, 5], isParameter: true), .init(name: "b", shape: [8], isParameter: true)]
        let cost = try XCTUnwrap(
            CostModel.cost(of: layer(.conv(conv), .image(channels: 6, height: 9, width: 9), .image(channels: 8, height: 5, width: 5), weights)))
        XCTAssertEqual(cost.macs, 8 * 5 * 5 * 3 * 3 * 5)
        XCTAssertEqual(cost.params, 8 * 3 * 15 + 8)
        XCTAssertEqual(cost.flops, 2 * cost.macs + 8 * 25)
    }

    func testNormsPoolsAndElementwiseOps() throws {
        let map = TensorShape.image(channels: 4, height: 3, width: 3)
        XCTAssertEqual(CostModel.cost(of: layer(.batchNorm(eps: 1e-5, affine: true), map, map))?.macs, 72)
        XCTAssertEqual(CostModel.cost(of: layer(.batchNorm(eps: 1e-5, affine: false), map, map))?.macs, 36)
        XCTAssertEqual(CostModel.cost(of: layer(.layerNorm(eps: 1e-6, affine: true), map, map))?.macs, 180)
        XCTAssertEqual(CostModel.cost(of: layer(.globalAveragePool, map, .vector(4)))?.macs, 36)
        XCTAssertEqual(CostModel.cost(of: layer(.linear(outFeatures: 10, bias: true), .vector(4), .vector(10)))?.macs, 40)
        for op in [LayerOperation.activation(.relu), .activation(.gelu), .add, .scale, .pool(.init(kind: .max, kernel: 3, stride: 2, padding: 1))] {
            XCTAssertEqual(CostModel.cost(of: layer(op, map, map))?.macs, 0, "\(op)")
        }
        XCTAssertEqual(CostModel.cost(of: layer(.batchNorm(eps: 1e-5, affine: true), map, map))?.flops, 72)
        XCTAssertEqual(CostModel.cost(of: layer(.add, map, map))?.flops, 36)
    }

    func testOverflowIsReportedNotWrapped() {
        let huge = TensorShape.image(channels: 1 << 30, height: 1 << 20, width: 1 << 20)
        XCTAssertNil(CostModel.cost(of: layer(.add, huge, huge)))
    }

    func testBatchScalesTheMemoryGuard() {
        let ok = Repo.compile("specs/resnet50.yaml", options: ElaborationOptions(batch: 64))
        XCTAssertTrue(ok.succeeded, ok.diagnostics.rendered())
        let refused = Repo.compile("specs/resnet50.yaml", options: ElaborationOptions(batch: 64, maxBytes: 128 << 20))
        XCTAssertEqual(
            refused.diagnostics.errors.first?.message,
            "the output of 'conv1' [64, 112, 112] needs 196.00 MiB at batch 64, over the 128.00 MiB limit (--max-memory)")
    }

    func testFormatting() {
        XCTAssertEqual(Format.grouped(25_557_032), "25,557,032")
        XCTAssertEqual(Format.si(4_111_512_576), "4.11 G")
        XCTAssertEqual(Format.parseBytes("512M"), 512 << 20)
        XCTAssertEqual(Format.parseBytes("4GiB"), 4 << 30)
        XCTAssertNil(Format.parseBytes("lots"))
        // Under a byte, hex, and the words Double also reads are not sizes (1e-300 was a 0 B limit).
        for text in ["1e-300", "0.5", "0x10G", "nan", "inf", "-4G", "0"] { XCTAssertNil(Format.parseBytes(text), text) }
        XCTAssertEqual(Format.parseBytes("1.5K"), 1536)
        XCTAssertEqual(Format.parseBytes("1e3"), 1000)
        XCTAssertEqual(ScalarParsing.quantity("4.48G")?.decimals, 2)
        XCTAssertTrue(Expectations.matches(4_477_799_040, ScalarParsing.quantity("4.48G")!))
        XCTAssertFalse(Expectations.matches(4_477_799_040, ScalarParsing.quantity("4.47G")!))
        XCTAssertTrue(Expectations.matches(1234, ScalarParsing.quantity("1234")!))
        XCTAssertFalse(Expectations.matches(1235, ScalarParsing.quantity("1234")!))
    }
}

/// The layer-count guard, reachable only with a lowered limit (10,000 blocks stay below 200,000 layers).
final class ElaborationLimitTests: XCTestCase {
    func testLayerLimitRefusesAndStops() throws {
        var options = ElaborationOptions()
        options.maxLayers = 50
        let result = Repo.compile("specs/resnet50.yaml", options: options)
        XCTAssertNil(result.network)
        XCTAssertEqual(result.diagnostics.errors.map(\.message), ["the network has more than 50 layers; refused"])
    }
}
