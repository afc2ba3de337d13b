import ArchcIR
import ArchcPasses
import XCTest

/// The textual IR round-trips, and the parser explains what it cannot read.
final class IRTextTests: XCTestCase {
    func testEverySpecRoundTripsBeforeAndAfterThePipeline() throws {
        let specs = [
            "specs/tiny/tiny-robust-dw.yaml", "specs/tiny/tiny-resnet.yaml", "specs/tiny/tiny-inverted-family.yaml",
            "specs/resnet50.yaml", "specs/robust-resnet-up-inverted-dw-small.yaml", "specs/ablations/resnet50-patchify-p8.yaml",
            "specs/deit-small.yaml", "specs/convnext-tiny.yaml",
        ]
        for spec in specs {
            let graph = try IRTest.lowered(spec)
            let optimized = try Pipeline.run(graph, verify: true).get().0
            for g in [graph, optimized] {
                let parsed = try IRParser.parse(g.text, seed: nil).get()
                XCTAssertEqual(parsed.text, g.text, spec)
                XCTAssertEqual(Verifier.verify(parsed), [], spec)
                XCTAssertEqual(parsed.constants.mapValues(\.dims), g.constants.mapValues(\.dims), spec)
            }
        }
    }

    /// Names and files with quotes, backslashes and newlines print escaped and parse back;
    /// the others print as they are (`quoted` skips Foundation's searches for them).
    func testNamesThatNeedEscapesRoundTrip() throws {
        var graph = IRTest.parse("graph @\"g\"(%0: [N, 3]) -> %1 {\n  %1 = relu(%0) : [N, 3] loc(\"plain\")\n}\n")
        for name in ["a\"b", "back\\slash", "new\nline", "caf\u{E9} \u{1F600}", "crlf\r\nend", ""] {
            graph.nodes[0].name = name
            graph.nodes[0].location = SourceLocation(file: "dir\\\"x\".yaml", line: 3, column: 4)
            let text = graph.text
            XCTAssertFalse(text.split(separator: "\n").contains { $0.hasPrefix("  %1") && !$0.hasSuffix(":3:4)") }, text)
            let parsed = try IRParser.parse(text, seed: nil).get()
            XCTAssertEqual(parsed.nodes[0].name, name)
            XCTAssertEqual(parsed.nodes[0].location?.file, "dir\\\"x\".yaml")
            XCTAssertEqual(parsed.text, text)
        }
        graph.nodes[0].name = "plain.name-1"
        XCTAssertTrue(graph.text.contains("loc(\"plain.name-1\" at \"dir\\\\\\\"x\\\".yaml\":3:4)"), graph.text)
    }

    func testParserErrorsNameLineAndColumn() {
        let cases: [(String, String)] = [
            ("", "1:1: expected 'graph @\"name\"(%0: [N, ...]) -> %out {'"),
            ("graph @\"g\"(%0: [N, 3]) -> %1 {\n  %1 = frob(%0) : [N, 3]\n}\n", "2:8: unknown op 'frob'"),
            ("graph @\"g\"(%0: [N, 3]) -> %1 {\n  %1 = relu(%0) : [N, 3]\n", "3:1: missing '}' closing the graph"),
            ("graph @\"g\"(%0: [N, 3]) -> %1 {\n  %1 = relu(%0 : [N, 3]\n}\n", "2:16: expected ','"),
            ("graph @\"g\"(%0: [N, 3]) -> %1 {\n  %1 = relu(%0) : [N, 3] $\n}\n", "2:26: unexpected character '$'"),
            ("graph @\"g\"(%0: [N, 3]) -> %1 {\n  %1 = conv2d(%0) [@\"w\"] {stride = [1, 1]} : [N, 3]\n}\n", "2:8: conv2d needs 'padding'"),
            ("graph @\"g\"(%0: [N, 0]) -> %1 {\n", "1:22: a type needs positive dimensions after N"),
        ]
        for (text, expected) in cases {
            guard case .failure(let failure) = IRParser.parse(text) else { XCTFail("parsed: \(text)"); continue }
            XCTAssertEqual(failure.description, expected, text)
        }
    }
}
