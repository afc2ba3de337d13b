import XCTest
@testable import ArchcSpec

/// docs/costs.md stays true: its cost table is what archc computes today.
final class ReadmeTests: XCTestCase {
    static func costTable() -> String {
        var lines = ["| spec | params | MACs | output | budget |", "|---|---:|---:|---|---|"]
        for path in Repo.modelSpecs() {
            let result = Repo.compile(path)
            guard let network = result.network else { continue }
            let budget = result.budget.map { ($0.deviation >= 0 ? "+" : "") + Format.percent($0.deviation) + ($0.within ? " within" : " OUTSIDE") } ?? "—"
            lines.append("| `\(path)` | \(Format.grouped(network.params)) | \(Format.si(network.macs)) | \(network.output) | \(budget) |")
        }
        return lines.joined(separator: "\n")
    }

    func testCostTableMatchesTheCompiler() throws {
        let readme = try String(contentsOf: Repo.root.appendingPathComponent("docs/costs.md"), encoding: .utf8)
        let begin = try XCTUnwrap(readme.range(of: "<!-- cost-table:begin -->\n"))
        let end = try XCTUnwrap(readme.range(of: "<!-- cost-table:end -->"))
        let table = readme[begin.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = Self.costTable()
        XCTAssertEqual(table, expected, "docs/costs.md's cost table is stale; replace it with:\n\(expected)")
    }
}
