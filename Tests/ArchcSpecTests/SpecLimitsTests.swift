import Foundation
import XCTest

@testable import ArchcSpec

/// docs/limits.md ("Specs") states the values in SpecLimits; the tests of each limit sit with
/// their feature (HostileSpecTests, SpecFileTests, ExpressionTests, BudgetAndFitTests, the
/// invalid-spec corpus). Here: the YAML node count, and that the document stays true.
final class SpecLimitsTests: XCTestCase {
    func testAFlatListJustOverTheNodeLimitIsRefusedAtItsLastNode() {
        // The list and its scalars: `limit` scalars make limit + 1 nodes.
        let limit = SpecLimits.yamlNodes
        let over = "[" + Array(repeating: "1", count: limit).joined(separator: ",") + "]"
        guard case .failure(let refusal) = YAMLLoader.parse(bytes: Array(over.utf8), file: "x.yaml") else {
            return XCTFail("a list of \(limit) scalars was accepted")
        }
        // No alias: the message names the limit and does not guess an alias bomb.
        XCTAssertEqual(refusal.description, "x.yaml:1:\(2 * limit): error: YAML document has more than \(limit) nodes, the limit for a spec; refused")
        let under = "[" + Array(repeating: "1", count: limit - 2).joined(separator: ",") + "]"
        guard case .success = YAMLLoader.parse(bytes: Array(under.utf8), file: "x.yaml") else {
            return XCTFail("a list of \(limit - 2) scalars was refused")
        }
    }

    /// A UTF-8 byte-order mark before a spec is skipped ("did not find expected <document
    /// start>" at 2:1 before), and errors after it keep their lines and columns.
    func testAByteOrderMarkIsSkipped() {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        guard case .success(let node) = YAMLLoader.parse(bytes: bom + Array("model: m\nstages: []\n".utf8), file: "x.yaml") else {
            return XCTFail("a spec after a byte-order mark did not parse")
        }
        XCTAssertEqual(node.entries?.map(\.key), ["model", "stages"])
        guard case .failure(let error) = YAMLLoader.parse(bytes: bom + Array("model: m\n  bad: [\n".utf8), file: "x.yaml") else {
            return XCTFail("broken YAML after a byte-order mark parsed")
        }
        XCTAssertEqual(error.location.line, 2, "\(error)")
    }

    func testTheLimitsDocumentStatesEveryLimit() throws {
        let text = try String(contentsOf: Repo.root.appendingPathComponent("docs/limits.md"), encoding: .utf8)
        func row(_ label: String) -> String {
            text.split(separator: "\n").first { $0.hasPrefix("| \(label) |") }.map(String.init) ?? "(no row '\(label)')"
        }
        func grouped(_ value: Int) -> String { Format.grouped(value) }
        let expected: [(String, String)] = [
            ("spec file size", "(\(grouped(SpecLimits.fileBytes)) bytes)"),
            ("YAML nesting", "\(SpecLimits.yamlDepth) levels"),
            ("YAML nodes after aliases", grouped(SpecLimits.yamlNodes)),
            ("expression length", "\(grouped(SpecLimits.expressionLength)) characters"),
            ("expression nesting", "\(SpecLimits.expressionDepth) levels"),
            ("`extends` chain", "\(SpecLimits.extendsChain) files"),
            ("imported files", "\(SpecLimits.importedFiles) distinct files"),
            ("imported YAML nodes", "\(grouped(SpecLimits.importedNodes)) over all imported files"),
            ("imported bytes", "16 MiB (\(grouped(SpecLimits.importedBytes)) bytes) over all imported files"),
            ("name length", "\(SpecLimits.nameLength) characters"),
            ("blocks", "\(grouped(SpecLimits.blocks)) over all stages"),
            ("layers", grouped(SpecLimits.layers)),
            (
                "\"did you mean\" suggestions",
                "words up to \(SpecLimits.suggestionWordLength) characters, among at most \(SpecLimits.suggestionCandidates) known"
            ),
            (
                "`archc fit` search",
                "\(grouped(SpecLimits.fitCandidates)) ranked depth vectors; \(SpecLimits.fitElaborations) elaborated networks, "
                    + "fewer when they would pass \(grouped(SpecLimits.fitElaboratedLayers)) layers"
            ),
        ]
        for (label, value) in expected {
            XCTAssertTrue(row(label).contains(value), "docs/limits.md row '\(label)' should state \(value): \(row(label))")
        }
    }
}
