import XCTest
@testable import ArchcSpec

/// Each file in Fixtures/invalid ends with `# expect-error: [file:]line:col: error: message`
/// lines; compiling it must produce exactly those errors, text and position.
final class DiagnosticsCorpusTests: XCTestCase {
    func testEveryInvalidSpecProducesItsAnnotatedErrors() throws {
        let directory = Repo.fixtures.appendingPathComponent("invalid")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 40)
        for file in files {
            let text = String(decoding: try Data(contentsOf: directory.appendingPathComponent(file)), as: UTF8.self)
            let expected = text.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("# expect-error: ") else { return nil }
                let body = String(line.dropFirst("# expect-error: ".count))
                return body.first?.isNumber == true ? "\(file):\(body)" : body
            }
            XCTAssertFalse(expected.isEmpty, "\(file) has no expect-error annotation")
            var options = ElaborationOptions()
            options.directory = directory.path  // diagnostics name the file as `file`
            let result = Compiler.compile(path: file, options: options)
            let actual = result.diagnostics.sorted().filter { $0.severity == .error }.map(\.description).map { $0.split(separator: "\n")[0] }
            XCTAssertEqual(actual.map(String.init), expected, file)
            XCTAssertFalse(result.succeeded, file)
        }
    }
}
