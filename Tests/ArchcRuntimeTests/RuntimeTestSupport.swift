import ArchcIR
import ArchcLowering
import ArchcInterpreter
import ArchcPasses
import ArchcRuntime
import ArchcSpec
import Foundation
import XCTest

enum RuntimeTest {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A spec lowered with seeded weights, before and after the pipeline.
    static func graphs(_ path: String, overrides: [String] = []) throws -> (plain: Graph, optimized: Graph) {
        var options = ElaborationOptions()
        options.directory = root.path
        let compilation = Compiler.compile(path: path, overrides: overrides, options: options)
        let network = try XCTUnwrap(compilation.network, compilation.diagnostics.rendered())
        var graph = try Lowering.lower(network)
        WeightInit.seeded(&graph, seed: 5, style: .stress)
        return (graph, try Pipeline.run(graph, verify: true).get().0)
    }

    static func random(_ dims: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(dims: dims, data: generator.uniformArray(dims.reduce(1, *), low, high))
    }
}
