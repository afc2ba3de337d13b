import ArchcIR
import ArchcInterpreter
import ArchcRuntime
import XCTest

/// `BatchOrder.auto`: the leading layers on large maps run image by image in a per-image
/// arena, the rest over the whole batch. Against the interpreter and the layer-major order,
/// node by node, across thread counts; and which prefixes it picks.
final class BatchOrderTests: XCTestCase {
    /// Specs whose first layers are on maps of 28x28 or more with small weights.
    let specs: [(String, [String])] = [
        ("specs/efficientnet-lite0.yaml", ["input.size=128"]),
        ("specs/tiny/tiny-resnet.yaml", ["input.size=64"]),
        ("specs/resnet50.yaml", ["input.size=64"]),
    ]

    func testImageMajorPrefixMatchesTheInterpreterAndTheLayerOrder() throws {
        for (spec, overrides) in specs {
            let (plain, optimized) = try RuntimeTest.graphs(spec, overrides: overrides)
            let input = WeightInit.input(for: plain, batch: 3, seed: 4)
            let engine = try Engine(graph: optimized, batch: 3, threads: 2, batchOrder: .auto)
            let layerMajor = try Engine(graph: optimized, batch: 3, threads: 2, batchOrder: .layer)
            XCTAssertGreaterThan(engine.imageMajorNodes, 0, spec)
            XCTAssertEqual(layerMajor.imageMajorNodes, 0, spec)
            let output = try engine.run(input)
            XCTAssertLessThanOrEqual(output.relativeError(to: Interpreter.run(plain, input: input)), 1e-4, spec)
            XCTAssertLessThanOrEqual(output.relativeError(to: try layerMajor.run(input)), 1e-5, spec)
            // A second run on other images: nothing of the first batch's per-image state leaks.
            let other = WeightInit.input(for: plain, batch: 3, seed: 8)
            XCTAssertLessThanOrEqual(try engine.run(other).relativeError(to: try layerMajor.run(other)), 1e-5, spec)
        }
    }

    /// `runAll` (what `archc run --check` and calibration read) gives every node's value for
    /// the whole batch, those of the prefix assembled image by image.
    func testRunAllGivesEveryNodeOfEveryImage() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/efficientnet-lite0.yaml", overrides: ["input.size=128"])
        let input = WeightInit.input(for: optimized, batch: 2, seed: 6)
        let engine = try Engine(graph: optimized, batch: 2, threads: 2)
        XCTAssertGreaterThan(engine.imageMajorNodes, 1)
        let got = try engine.runAll(input), expected = Interpreter.runAll(optimized, input: input)
        for node in optimized.nodes {
            let value = try XCTUnwrap(got[node.id], node.name)
            XCTAssertEqual(value.dims, [2] + node.type.dims, node.name)
            XCTAssertLessThanOrEqual(value.relativeError(to: expected[node.id]!), 1e-4, node.name)
        }
    }

    func testImageMajorOutputsAreBitwiseIdenticalAcrossThreadCounts() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/efficientnet-lite0.yaml", overrides: ["input.size=128"])
        let input = WeightInit.input(for: optimized, batch: 3, seed: 3)
        let one = try Engine(graph: optimized, batch: 3, threads: 1).run(input)
        for threads in [2, 3] {
            XCTAssertEqual(try Engine(graph: optimized, batch: 3, threads: threads).run(input).data, one.data, "\(threads) threads")
        }
    }

    /// The prefix's output is filled image by image while the batch's input is still read:
    /// the two must not share bytes in the batch arena, even where the input's last reader
    /// comes before the prefix's last node.
    func testPrefixOutputDoesNotShareBytesWithTheInput() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/efficientnet-lite0.yaml", overrides: ["input.size=128"])
        let engine = try Engine(graph: optimized, batch: 4, threads: 1)
        let last = optimized.nodes[engine.imageMajorNodes - 1]
        let input = try XCTUnwrap(engine.plan.offsets[Graph.inputID]), output = try XCTUnwrap(engine.plan.offsets[last.id])
        let inputBytes = 4 * optimized.inputType.elements * 4, outputBytes = 4 * last.type.elements * 4
        XCTAssertTrue(
            input + inputBytes <= output || output + outputBytes <= input, "input [\(input), +\(inputBytes)) and prefix output [\(output), +\(outputBytes))")
    }

    func testWhichPrefixIsChosen() throws {
        let (_, lite) = try RuntimeTest.graphs("specs/efficientnet-lite0.yaml")
        let length = BatchOrder.auto.prefixLength(lite, batch: 8)
        // Through the 28x28 layers (up to block 5's expand conv), not into the 14x14 ones.
        XCTAssertEqual(lite.nodes[length - 1].type.dims, [240, 28, 28])
        XCTAssertEqual(lite.nodes[length].type.dims.suffix(2), [14, 14])
        XCTAssertEqual(BatchOrder.auto.prefixLength(lite, batch: 1), 0)
        XCTAssertEqual(BatchOrder.layer.prefixLength(lite, batch: 8), 0)
        // ResNet-50: the stem, its max pool and layer1 (3x3 convs of 147 KiB); layer2's first
        // conv (128 KiB) would fit, but its shortcut also reads layer1's output, so the cut
        // falls at layer1's end.
        let (_, resnet) = try RuntimeTest.graphs("specs/resnet50.yaml")
        XCTAssertEqual(BatchOrder.auto.prefixLength(resnet, batch: 8), 12)
        XCTAssertTrue(resnet.nodes[11].name.hasPrefix("layer1.2."), resnet.nodes[11].name)
        // A patchify stem's weights (295 KiB) and token inputs keep the whole batch together.
        let (_, robust) = try RuntimeTest.graphs("specs/robust-resnet-dw-small.yaml")
        XCTAssertEqual(BatchOrder.auto.prefixLength(robust, batch: 8), 0)
        let (_, deit) = try RuntimeTest.graphs("specs/deit-tiny.yaml")
        XCTAssertEqual(BatchOrder.auto.prefixLength(deit, batch: 8), 0)
    }
}
