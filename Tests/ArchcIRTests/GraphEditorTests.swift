import ArchcIR
import XCTest

@testable import ArchcPasses

/// The editor the passes rewrite through keeps tables (defining node, reads, readers,
/// constant uses) instead of scanning the node list; these tests hold the tables to what a
/// scan of the edited graph says.
final class GraphEditorTests: XCTestCase {
    /// Random edits of a random graph; after each, every table answer equals the scan's.
    func testTablesAgreeWithScansAfterRandomEdits() {
        var rng = SeededGenerator(seed: 7)
        for round in 0..<20 {
            var editor = GraphEditor(Self.randomGraph(nodes: 12 + round, &rng))
            for _ in 0..<15 {
                Self.randomEdit(&editor, &rng)
                Self.assertTablesMatchScans(editor, "round \(round)")
            }
        }
    }

    /// The regression: a 4,000-block conv + BatchNorm + ReLU chain (12,000 nodes) through the
    /// whole pipeline. Every query scanned the node list, so each pass was quadratic: 8,000
    /// blocks took 12 s in a release build (`archc compile --set 'stages[0].depth=8000'
    /// --emit ir`), minutes in a debug one; now one sweep per pass.
    func testLongChainsFoldAndFuseInOneSweep() throws {
        let blocks = 4000
        var lines = ["graph @\"g\"(%0: [N, 4, 3, 3]) -> %\(3 * blocks) {"]
        var constants: [String] = []
        for b in 0..<blocks {
            let (x, conv, norm, act) = (3 * b, 3 * b + 1, 3 * b + 2, 3 * b + 3)
            lines.append(
                "  %\(conv) = conv2d(%\(x)) [@\"c\(b).weight\"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 4, 3, 3] loc(\"c\(b)\")"
            )
            lines.append(
                "  %\(norm) = batchnorm(%\(conv)) [@\"n\(b).weight\", @\"n\(b).bias\", @\"n\(b).running_mean\", @\"n\(b).running_var\"] {eps = 1e-05, affine = true} : [N, 4, 3, 3] loc(\"n\(b)\")"
            )
            lines.append("  %\(act) = relu(%\(norm)) : [N, 4, 3, 3] loc(\"r\(b)\")")
            constants.append("const @\"c\(b).weight\" : [4, 4, 1, 1]")
            for part in ["weight", "bias", "running_mean", "running_var"] { constants.append("const @\"n\(b).\(part)\" : [4]") }
        }
        lines.append("}")
        let graph = try IRParser.parse((lines + constants).joined(separator: "\n")).get()
        XCTAssertEqual(graph.nodes.count, 3 * blocks)
        let (optimized, reports) = try Pipeline.run(graph, verify: false).get()
        XCTAssertEqual(optimized.nodes.count, blocks)
        XCTAssertEqual(optimized.opCounts(), ["conv2d": blocks])
        XCTAssertEqual(Verifier.verify(optimized), [])
        XCTAssertEqual(reports.first { $0.flag == "fold-batchnorm" }?.rewrites, blocks)
        XCTAssertEqual(reports.first { $0.flag == "fuse-activation" }?.rewrites, blocks)
        XCTAssertEqual(optimized.output, optimized.nodes.last?.id)
        XCTAssertTrue(Graph.line(optimized.nodes[blocks - 1]).contains("act = relu"))
    }

    // MARK: - Support

    static func assertTablesMatchScans(_ editor: GraphEditor, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        var copy = editor
        let live = copy.finish()
        for id in 0...(live.nodes.map(\.id).max() ?? 0) {
            let defining = live.nodes.first { $0.id == id }
            XCTAssertEqual(editor.index(of: id).map { editor[$0].id }, defining?.id, "\(context): node defining %\(id)", file: file, line: line)
            let readers = live.nodes.filter { $0.inputs.contains(id) }.map(\.id)
            XCTAssertEqual(editor.readers(of: id).map { editor[$0].id }, readers, "\(context): readers of %\(id)", file: file, line: line)
            let reads = live.nodes.reduce(0) { $0 + $1.inputs.filter { $0 == id }.count }
            XCTAssertEqual(editor.hasSingleUse(id), live.output != id && reads == 1, "\(context): single use of %\(id)", file: file, line: line)
        }
        XCTAssertEqual(editor.output, live.output, file: file, line: line)
    }

    /// A chain of adds and relus, each reading one or two earlier values, each with a weight
    /// name some nodes share.
    static func randomGraph(nodes count: Int, _ rng: inout SeededGenerator) -> Graph {
        let type = TensorType([1, 2, 2, 2])
        var nodes: [Node] = []
        for id in 1...count {
            let a = Int(rng.next() % UInt64(id)), b = Int(rng.next() % UInt64(id))
            let binary = rng.next() % 2 == 0
            nodes.append(
                Node(
                    id: id, kind: binary ? .add : .activation(.relu), inputs: binary ? [a, b] : [a],
                    weights: ["w\(rng.next() % 4)"], type: type, name: "n\(id)"))
        }
        let constants = Dictionary(uniqueKeysWithValues: (0..<4).map { ("w\($0)", Tensor(zeros: [2])) })
        return Graph(name: "g", inputType: type, nodes: nodes, output: count, constants: constants)
    }

    /// One of: point a value's reads elsewhere, bypass a node, rewire a node, or write a weight.
    static func randomEdit(_ editor: inout GraphEditor, _ rng: inout SeededGenerator) {
        var copy = editor
        let live = copy.finish().nodes
        guard live.count > 2 else { return }
        let node = live[Int(rng.next() % UInt64(live.count))]
        let index = editor.index(of: node.id)!
        let earlier = live.filter { $0.id < node.id }.map(\.id) + [Graph.inputID]
        let pick = earlier[Int(rng.next() % UInt64(earlier.count))]
        switch rng.next() % 4 {
        case 0: editor.replaceUses(of: node.id, with: pick)
        case 1: editor.bypass(node.id, with: pick)
        case 2:
            var rewired = node
            rewired.inputs[0] = pick
            rewired.weights = ["w\(rng.next() % 4)"]
            editor.replaceNode(at: index, with: rewired)
        default:
            let name = node.weights[0]
            let shared = live.filter { $0.weights.contains(name) }.count > 1
            editor.setWeight(node: index, slot: 0, Tensor(dims: [2], data: [1, 2]))
            // A weight shared with another node is written under a fresh name, else in place.
            XCTAssertEqual(editor[index].weights[0] != name, shared)
        }
    }
}
