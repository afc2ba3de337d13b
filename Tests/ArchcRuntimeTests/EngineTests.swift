import ArchcIR
import ArchcInterpreter
import ArchcRuntime
import XCTest

/// The runtime against the reference interpreter, on every kind of spec, at batch 1 and
/// more, and bitwise identical across thread counts.
final class EngineTests: XCTestCase {
    func testSpecsMatchTheInterpreter() throws {
        let cases: [(String, [String], Int)] = [
            ("specs/tiny/tiny-robust-dw.yaml", [], 3),
            ("specs/tiny/tiny-resnet.yaml", [], 2),
            ("specs/tiny/tiny-inverted-family.yaml", [], 2),
            ("specs/resnet50.yaml", ["input.size=64"], 2),
            ("specs/robust-resnet-dw-small.yaml", ["input.size=64"], 2),
            ("specs/robust-resnet-inverted-dw-small.yaml", ["input.size=64"], 1),
            ("specs/robust-resnet-up-inverted-dw-small.yaml", ["input.size=64"], 2),
            ("specs/robust-resnet-down-inverted-dw-small.yaml", ["input.size=64"], 1),
            ("specs/ablations/resnet50-patchify-p8.yaml", ["input.size=64"], 1),
            ("specs/deit-tiny.yaml", ["input.size=96"], 2),
            ("specs/convnext-tiny.yaml", ["input.size=64"], 2),
        ]
        for (spec, overrides, batch) in cases {
            let (plain, optimized) = try RuntimeTest.graphs(spec, overrides: overrides)
            let input = WeightInit.input(for: plain, batch: batch, seed: 9)
            let reference = Interpreter.run(plain, input: input)
            let output = Engine(graph: optimized, batch: batch, threads: 2).run(input)
            let error = output.relativeError(to: reference)
            XCTAssertLessThanOrEqual(error, 1e-4, "\(spec): runtime differs from the interpreter by \(error)")
            let unoptimized = Engine(graph: plain, batch: batch, threads: 2).run(input)
            XCTAssertLessThanOrEqual(unoptimized.relativeError(to: reference), 1e-4, "\(spec): unfused graph on the runtime")
        }
    }

    func testOutputsAreBitwiseIdenticalAcrossThreadCounts() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/robust-resnet-up-inverted-dw-small.yaml", overrides: ["input.size=64"])
        let input = WeightInit.input(for: optimized, batch: 2, seed: 1)
        let one = Engine(graph: optimized, batch: 2, threads: 1).run(input)
        for threads in [2, 3, 8] {
            XCTAssertEqual(Engine(graph: optimized, batch: 2, threads: threads).run(input).data, one.data, "\(threads) threads")
        }
        // Large maps, few channels: GEMMs split into row parts (M = 3 x 32 x 32 rows, N = 8..32).
        let (_, resnet) = try RuntimeTest.graphs("specs/tiny/tiny-resnet.yaml", overrides: ["input.size=32"])
        let image = WeightInit.input(for: resnet, batch: 3, seed: 2)
        let serial = Engine(graph: resnet, batch: 3, threads: 1).run(image)
        for threads in [2, 3] {
            XCTAssertEqual(Engine(graph: resnet, batch: 3, threads: threads).run(image).data, serial.data, "tiny-resnet, \(threads) threads")
        }
    }

    func testMemoryPlanReusesBuffers() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/robust-resnet-dw-small.yaml")
        let engine = Engine(graph: optimized, batch: 1, threads: 1)
        XCTAssertLessThan(engine.activationBytes, engine.plan.unplannedBytes / 10, "liveness should reuse most buffers")
        XCTAssertLessThan(engine.activationBytes, 4 << 20, "the robust models' activations fit in ~3 MB at batch 1")
    }
}
