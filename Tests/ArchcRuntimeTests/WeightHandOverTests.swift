import ArchcDriver
import ArchcIR
import ArchcRuntime
import XCTest

/// `archc run` hands the optimized graph to the engine, which frees each weight once packed
/// and never keeps the unoptimized copy: the outputs must be bitwise those of the path that
/// keeps every copy (the one before this hand-over existed).
final class WeightHandOverTests: XCTestCase {
    private func prepare(keepPlain: Bool) throws -> PreparedModel {
        var options = PreparedModel.Options()
        options.elaboration.directory = RuntimeTest.root.path
        options.overrides = ["input.size=64"]
        options.initStyle = .stress
        options.keepPlain = keepPlain
        return try PreparedModel.prepare(spec: "specs/resnet50.yaml", options).get()
    }

    func testHandedOverGraphGivesBitwiseTheSameOutputAndIsReleased() throws {
        let kept = try prepare(keepPlain: true)
        var handed = try prepare(keepPlain: false)
        XCTAssertNotNil(kept.plain)
        XCTAssertNil(handed.plain)
        XCTAssertEqual(handed.optimized.constants, kept.optimized.constants)
        let input = WeightInit.input(for: kept.optimized, batch: 2, seed: 4)
        let shared = try Engine(graph: kept.optimized, batch: 2, threads: 2)
        let owned = try Engine(graph: handed.takeOptimized(), batch: 2, threads: 2)
        XCTAssertTrue(handed.optimized.constants.isEmpty, "the model still holds the weights")
        XCTAssertTrue(owned.graph.constants.isEmpty, "the engine kept unpacked weights")
        XCTAssertFalse(kept.optimized.constants.isEmpty, "a graph the caller keeps must stay whole")
        XCTAssertEqual(handed.optimized.nodes.count, kept.optimized.nodes.count)
        XCTAssertEqual(try owned.run(input).data, try shared.run(input).data)
    }

    /// `--check` needs the unoptimized graph: without it the check is refused, not a crash.
    func testConsistencyCheckWithoutThePlainGraphIsRefused() throws {
        var model = try prepare(keepPlain: false)
        let input = WeightInit.input(for: model.optimized, batch: 1, seed: 4)
        let engine = try Engine(graph: model.takeOptimized(), batch: 1, threads: 1)
        XCTAssertThrowsError(try ConsistencyCheck.run(model, engine: engine, input: input)) {
            XCTAssertEqual("\($0)", "the consistency check needs the unoptimized graph (PreparedModel.Options.keepPlain)")
        }
    }
}
