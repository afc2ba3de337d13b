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
            let output = try Engine(graph: optimized, batch: batch, threads: 2).run(input)
            let error = output.relativeError(to: reference)
            XCTAssertLessThanOrEqual(error, 1e-4, "\(spec): runtime differs from the interpreter by \(error)")
            let unoptimized = try Engine(graph: plain, batch: batch, threads: 2).run(input)
            XCTAssertLessThanOrEqual(unoptimized.relativeError(to: reference), 1e-4, "\(spec): unfused graph on the runtime")
        }
    }

    func testOutputsAreBitwiseIdenticalAcrossThreadCounts() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/robust-resnet-up-inverted-dw-small.yaml", overrides: ["input.size=64"])
        let input = WeightInit.input(for: optimized, batch: 2, seed: 1)
        let one = try Engine(graph: optimized, batch: 2, threads: 1).run(input)
        for threads in [2, 3, 8] {
            XCTAssertEqual(try Engine(graph: optimized, batch: 2, threads: threads).run(input).data, one.data, "\(threads) threads")
        }
        // Large maps, few channels: GEMMs split into row parts (M = 3 x 32 x 32 rows, N = 8..32).
        let (_, resnet) = try RuntimeTest.graphs("specs/tiny/tiny-resnet.yaml", overrides: ["input.size=32"])
        let image = WeightInit.input(for: resnet, batch: 3, seed: 2)
        let serial = try Engine(graph: resnet, batch: 3, threads: 1).run(image)
        for threads in [2, 3] {
            XCTAssertEqual(try Engine(graph: resnet, batch: 3, threads: threads).run(image).data, serial.data, "tiny-resnet, \(threads) threads")
        }
    }

    func testMemoryPlanReusesBuffers() throws {
        let (_, optimized) = try RuntimeTest.graphs("specs/robust-resnet-dw-small.yaml")
        let engine = try Engine(graph: optimized, batch: 1, threads: 1)
        XCTAssertLessThan(engine.activationBytes, engine.plan.unplannedBytes / 10, "liveness should reuse most buffers")
        XCTAssertLessThan(engine.activationBytes, 4 << 20, "the robust models' activations fit in ~3 MB at batch 1")
    }

    /// The kernels are built unchecked and trust the input's shape: the engine refuses a
    /// wrong one with an error (under -Ounchecked the old precondition never ran).
    func testWrongInputShapeThrows() throws {
        let (_, graph) = try RuntimeTest.graphs("specs/tiny/tiny-resnet.yaml", overrides: ["input.size=32"])
        let engine = try Engine(graph: graph, batch: 2, threads: 1)
        XCTAssertNoThrow(try engine.run(Tensor(zeros: [2, 3, 32, 32])))
        for dims in [[1, 3, 32, 32], [3, 3, 32, 32], [2, 3, 16, 32], [2, 4, 32, 32], [2, 3 * 32 * 32]] {
            XCTAssertThrowsError(try engine.run(Tensor(zeros: dims)), "\(dims)") {
                XCTAssertEqual("\($0)", "expected an input of shape [2, 3, 32, 32] (N, C, H, W), found \(dims)")
            }
            XCTAssertThrowsError(try engine.runAll(Tensor(zeros: dims)), "\(dims)")
        }
        XCTAssertThrowsError(try Engine(graph: graph, batch: 0, threads: 1)) { XCTAssertEqual("\($0)", "batch must be at least 1, found 0") }
    }

    /// A CPU without AVX2 or FMA gets an error naming what it lacks, not an illegal instruction.
    func testCPUWithoutTheKernelsInstructionsIsAnError() {
        XCTAssertThrowsError(try CPUFeatures.require(missing: ["avx2", "fma"])) {
            XCTAssertEqual("\($0)", "this CPU lacks AVX2 and FMA, which archc's kernels are compiled for (x86-64 with AVX2 and FMA)")
        }
        XCTAssertNoThrow(try CPUFeatures.require(missing: []))
        XCTAssertEqual(CPUFeatures.required, ["avx2", "fma"])
    }
}
