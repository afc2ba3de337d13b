import ArchcIR
import ArchcPasses
import XCTest

final class RemoveDeadNodesTests: XCTestCase {
    func testUnreadNodesAndUnusedConstantsGo() {
        var graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 2, 3, 3]) -> %1 {
              %1 = conv2d(%0) [@"a.weight"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 2, 3, 3] loc("a")
            }
            const @"a.weight" : [2, 2, 1, 1]
            const @"stale" : [2]
            """)
        graph.nodes.append(Node(id: 5, kind: .activation(.relu), inputs: [1], weights: [], type: TensorType([2, 3, 3]), name: "dead"))
        graph.nodes.append(Node(id: 6, kind: .activation(.relu), inputs: [5], weights: [], type: TensorType([2, 3, 3]), name: "dead2"))
        var after = graph
        XCTAssertEqual(RemoveDeadNodes().run(on: &after), 3)
        XCTAssertEqual(after.nodes.map(\.id), [1])
        XCTAssertEqual(after.constants.keys.sorted(), ["a.weight"])
        XCTAssertEqual(Verifier.verify(after), [])
    }
}
