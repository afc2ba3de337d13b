import ArchcIR
import ArchcLowering
import ArchcInterpreter
import ArchcPasses
import ArchcSpec
import Foundation
import XCTest

/// Helpers for IR and pass tests: parse IR text, run a pass, compare graphs numerically.
enum IRTest {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Graph {
        switch IRParser.parse(text) {
        case .success(let graph):
            let errors = Verifier.verify(graph)
            XCTAssertEqual(errors, [], "the test's input IR does not verify", file: file, line: line)
            return graph
        case .failure(let failure):
            XCTFail("cannot parse test IR: \(failure)", file: file, line: line)
            return Graph(name: "invalid", inputType: TensorType([1]), nodes: [], output: 0, constants: [:])
        }
    }

    /// The node lines of a graph (no header, no constants): what pass tests compare.
    static func body(_ graph: Graph) -> [String] {
        graph.nodes.map { Graph.line($0) }
    }

    /// Runs `pass`, verifies the result, and checks the interpreter gives the same output
    /// before and after within `tolerance` (relative to the output's largest magnitude).
    @discardableResult
    static func runChecked(
        _ pass: any Pass, on graph: Graph, tolerance: Float = 1e-5, batch: Int = 2,
        file: StaticString = #filePath, line: UInt = #line
    ) -> (Graph, Int) {
        var after = graph
        let rewrites = pass.run(on: &after)
        XCTAssertEqual(Verifier.verify(after), [], "\(pass.flag) broke the graph", file: file, line: line)
        let input = WeightInit.input(for: graph, batch: batch, seed: 42)
        let error = Interpreter.run(after, input: input).relativeError(to: Interpreter.run(graph, input: input))
        XCTAssertLessThanOrEqual(error, tolerance, "\(pass.flag) changed the output by \(error)", file: file, line: line)
        return (after, rewrites)
    }

    /// Spec paths relative to the repository root, wherever the tests run from.
    static var fromRoot: ElaborationOptions {
        var options = ElaborationOptions()
        options.directory = root.path
        return options
    }

    /// Lowers a spec (relative to the repo root) with seeded weights.
    static func lowered(_ path: String, overrides: [String] = []) throws -> Graph {
        let compilation = Compiler.compile(path: path, overrides: overrides, options: fromRoot)
        let network = try XCTUnwrap(compilation.network, compilation.diagnostics.rendered())
        var graph = try Lowering.lower(network)
        WeightInit.seeded(&graph, seed: 7, style: .stress)
        return graph
    }
}

extension Graph {
    static func line(_ node: Node) -> String {
        let full = Graph(name: "x", inputType: TensorType([1]), nodes: [node], output: node.id, constants: [:]).text
        return full.split(separator: "\n")[1].trimmingCharacters(in: .whitespaces)
    }
}
