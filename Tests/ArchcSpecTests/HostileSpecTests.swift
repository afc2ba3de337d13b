import Foundation
import XCTest

@testable import ArchcSpec

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Specs written by a hostile user (issue 13): each once trapped, overflowed the stack,
/// hung or echoed a file it should not have. Every spec is written here, into a fresh
/// temporary folder, and must end in a located error, quickly.
final class HostileSpecTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("archc-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    @discardableResult
    private func write(_ name: String, _ text: String) -> String {
        let url = folder.appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8))
        return url.path
    }

    private func errors(_ result: Compilation) -> [String] {
        result.diagnostics.sorted().filter { $0.severity == .error }.map(\.description)
    }

    /// A small valid model; `stages`, `extra` and the stem are what tests vary.
    static func model(
        name: String = "m", extra: String = "", stem: String = "  - conv: {name: stem, out: 8, kernel: 4, stride: 4}\n",
        stages: String = "  - {block: dw, depth: 2, dim: 8}\n"
    ) -> String {
        """
        model: \(name)
        input: {channels: 3, size: 32}
        \(extra)stem:
        \(stem)stages:
        \(stages)head:
          - pool: global-avg
          - linear: {name: fc, out: 10}

        """
    }

    static let dwBlock = """
        blocks:
          dw:
            params: {dim: int, kernel: 3}
            out: dim
            body:
              - conv: {name: pw, out: dim, kernel: 1}
              - norm: bn
              - dwconv: {name: dw, kernel: kernel, stride: stride}
            shortcut:
              name: downsample
              body: [conv: {out: out, kernel: 1, stride: stride}, norm]
            after_add: relu

        """

    // MARK: - Arithmetic (item 1) and the block guard (item 3)

    func testHugeStageDepthFromTheCommandLineIsRefusedNotLooped() {
        // Two depths of 2^63 - 1 once summed (wrapping) to -2 and passed the 10,000-block guard.
        let path = write("m.yaml", Self.model(stages: "  - {block: dw, depth: 2, dim: 8}\n  - {block: dw, depth: 2, dim: 8}\n") + Self.dwBlock)
        let result = Compiler.compile(
            path: path, overrides: ["stages[0].depth=9223372036854775807", "stages[1].depth=9223372036854775807"])
        XCTAssertEqual(
            errors(result),
            ["<--set stages[0].depth=9223372036854775807>:1:1: error: stage 0 asks for 9223372036854775807 blocks, more than the limit of 10000"])
    }

    func testManyStagesJustUnderTheBlockLimitEachStillCountTogether() {
        let stages = String(repeating: "  - {block: dw, depth: 5001, dim: 8}\n", count: 2)
        let result = Compiler.compile(path: write("m.yaml", Self.model(stages: stages) + Self.dwBlock))
        XCTAssertEqual(errors(result).map { $0.components(separatedBy: "error: ")[1] }, ["the stages ask for 10002 blocks, more than the limit of 10000"])
    }

    func testTFSamePaddingWithAHugeStrideIsComputedNotTrapped() throws {
        // ceil(32 / (2^63 - 1)) = 1 output pixel, no padding: what TensorFlow computes.
        let stem = "  - conv: {name: stem, out: 8, kernel: 3, stride: 9223372036854775807, padding: tf-same}\n"
        let result = Compiler.compile(path: write("m.yaml", Self.model(stem: stem, stages: "  []\n")))
        XCTAssertEqual(errors(result), [])
        XCTAssertEqual(try XCTUnwrap(result.network).layers[0].outputShape, .image(channels: 8, height: 1, width: 1))
    }

    func testTFSamePaddingOfAHugeDilatedWindowIsAnErrorNotATrap() {
        let stem = "  - conv: {name: stem, out: 8, kernel: 3, dilation: 4611686018427387903, padding: tf-same}\n"
        let result = Compiler.compile(path: write("m.yaml", Self.model(stem: stem, stages: "  []\n")))
        XCTAssertEqual(errors(result).count, 1)
        XCTAssertTrue(errors(result).first?.hasSuffix("overflows 64-bit arithmetic") == true, "\(errors(result))")
    }

    func testBudgetFarBeyondAnyIntegerIsReportedNotTrapped() {
        // The gap in blocks (1e300 / a block's MACs) was converted to Int and trapped.
        let result = Compiler.compile(path: write("m.yaml", Self.model(extra: "budget: {macs: 1e300}\n") + Self.dwBlock))
        XCTAssertEqual(errors(result).count, 1)
        XCTAssertTrue(errors(result)[0].contains("are below the budget"), errors(result)[0])
    }

    // MARK: - Recursion (item 2)

    func testAnExpressionOfEightyThousandTermsIsRefusedNotOverflowed() {
        let sum = Array(repeating: "1", count: 80_000).joined(separator: " + ")
        let result = Compiler.compile(path: write("m.yaml", Self.model(stages: "  - {block: dw, depth: \(sum), dim: 8}\n") + Self.dwBlock))
        XCTAssertEqual(errors(result).map { $0.components(separatedBy: ": error: ")[1] }, ["expression is 319997 characters long, more than the limit of 1000"])
    }

    func testAnExtendsChainOneOverTheLimitNamesTheFile() {
        // Files 0...limit: spec-0 extends spec-1 extends ... spec-limit (limit + 1 files).
        let limit = SpecLimits.extendsChain
        for i in 0..<limit { write("spec-\(i).yaml", "extends: spec-\(i + 1).yaml\nmodel: m\(i)\n") }
        write("spec-\(limit).yaml", Self.model() + Self.dwBlock)
        let result = Compiler.compile(path: folder.appendingPathComponent("spec-0.yaml").path)
        let last = folder.appendingPathComponent("spec-\(limit - 1).yaml").path
        XCTAssertEqual(
            errors(result), ["\(last):1:10: error: 'extends' chain is longer than \(limit) files: '\(last)' extends 'spec-\(limit).yaml'"])
        // At the limit the chain is accepted.
        XCTAssertTrue(Compiler.compile(path: folder.appendingPathComponent("spec-1.yaml").path).succeeded)
    }

    // MARK: - Imports (item 4)

    func testEachLibraryIsReadOnceHoweverOftenItIsImported() {
        // lib-i imports lib-(i+1) twice: 2^24 reads before memoisation, 25 now.
        let levels = 24
        for i in 0..<levels { write("lib-\(i).yaml", "import: [lib-\(i + 1).yaml, './lib-\(i + 1).yaml']\n") }
        write("lib-\(levels).yaml", Self.dwBlock)
        let path = write("m.yaml", "import: [lib-0.yaml, lib-0.yaml]\n" + Self.model())
        let result = Compiler.compile(path: path)
        XCTAssertEqual(errors(result), [])
        XCTAssertTrue(result.succeeded)
    }

    func testImportCyclesAreStillFound() {
        write("a.yaml", "import: [b.yaml]\n")
        write("b.yaml", "import: [a.yaml]\n" + Self.dwBlock)
        let result = Compiler.compile(path: write("m.yaml", "import: [a.yaml]\n" + Self.model()))
        XCTAssertEqual(errors(result), ["\(folder.appendingPathComponent("b.yaml").path):1:10: error: import cycle: 'a.yaml' is already being imported"])
    }

    func testOneImportOverTheLimitIsRefused() {
        let limit = SpecLimits.importedFiles
        for i in 0..<limit { write("lib-\(i).yaml", "import: [lib-\(i + 1).yaml]\n") }
        write("lib-\(limit).yaml", Self.dwBlock)
        let result = Compiler.compile(path: write("m.yaml", "import: [lib-0.yaml]\n" + Self.model()))
        let last = folder.appendingPathComponent("lib-\(limit - 1).yaml").path
        XCTAssertEqual(
            errors(result).first, "\(last):1:10: error: cannot import 'lib-\(limit).yaml': a spec may import at most \(limit) files")
        // One fewer file is accepted.
        write("lib-\(limit - 1).yaml", Self.dwBlock)
        XCTAssertEqual(errors(Compiler.compile(path: folder.appendingPathComponent("m.yaml").path)), [])
    }

    /// Libraries each under the per-file node limit but over the total: 255 of 199,000 nodes
    /// once took over a minute; the import that passes the total is refused.
    func testImportsOverTheTotalNodeLimitAreRefused() {
        let perFile = SpecLimits.yamlNodes - 1000
        let files = SpecLimits.importedNodes / perFile + 1
        let library = "blocks: {}\ndoc: [" + Array(repeating: "1", count: perFile - 10).joined(separator: ",") + "]\n"
        for i in 0..<files { write("big-\(i).yaml", library) }
        write("lib.yaml", Self.dwBlock)
        let imports = (0..<files).map { "big-\($0).yaml" }.joined(separator: ", ")
        let result = Compiler.compile(path: write("m.yaml", "import: [lib.yaml, \(imports)]\n" + Self.model()))
        let column = 10 + "lib.yaml, ".count + (0..<(files - 1)).map { "big-\($0).yaml, ".count }.reduce(0, +)
        XCTAssertEqual(
            errors(result).first,
            "\(folder.appendingPathComponent("m.yaml").path):1:\(column): error: cannot import 'big-\(files - 1).yaml': "
                + "the imported files hold more than \(SpecLimits.importedNodes) YAML nodes together")
        // One library fewer is accepted.
        write("m.yaml", "import: [lib.yaml, \((0..<(files - 1)).map { "big-\($0).yaml" }.joined(separator: ", "))]\n" + Self.model())
        XCTAssertEqual(errors(Compiler.compile(path: folder.appendingPathComponent("m.yaml").path)), [])
    }

    /// Libraries each under the file size limit but over the total bytes of imports.
    func testImportsOverTheTotalByteLimitAreRefused() {
        let perFile = SpecLimits.fileBytes - 100
        let files = SpecLimits.importedBytes / perFile + 1
        let library = "blocks: {}\ndoc: \"" + String(repeating: "x", count: perFile - 30) + "\"\n"
        for i in 0..<files { write("big-\(i).yaml", library) }
        let imports = (0..<files).map { "big-\($0).yaml" }.joined(separator: ", ")
        let result = Compiler.compile(path: write("m.yaml", "import: [\(imports)]\n" + Self.model() + Self.dwBlock))
        let column = 10 + (0..<(files - 1)).map { "big-\($0).yaml, ".count }.reduce(0, +)
        XCTAssertEqual(
            errors(result).first,
            "\(folder.appendingPathComponent("m.yaml").path):1:\(column): error: cannot import 'big-\(files - 1).yaml': "
                + "the imported files come to more than \(SpecLimits.importedBytes) bytes together")
    }

    // MARK: - Names (item 6)

    func testControlCharactersAreRefusedWhereverANameIsWritten() {
        let block = Self.dwBlock.replacingOccurrences(of: "name: downsample", with: "name: \"down\\u2028sample\"")
        let spec = Self.model(extra: "block_names: \"s{stage}\\tb{index}\"\n") + block
        let result = Compiler.compile(path: write("m.yaml", spec))
        let messages = errors(result).map { $0.components(separatedBy: ": error: ")[1] }
        XCTAssertEqual(
            messages,
            [
                "block_names pattern 's{stage}\\tb{index}' contains the control character U+0009; names must be printable",
                "shortcut name 'down\\u{2028}sample' contains the control character U+2028; names must be printable",
            ])
    }

    /// A right-to-left override shows what follows it reversed: accepted in a model name, it
    /// reached reports and emitted files as it was.
    func testBidirectionalControlsAreRefusedInNames() {
        let result = Compiler.compile(path: write("m.yaml", Self.model(name: "\"safe\\u202Egnp.exe\"") + Self.dwBlock))
        XCTAssertEqual(
            errors(result).map { $0.components(separatedBy: ": error: ")[1] },
            ["model name 'safe\\u{202E}gnp.exe' contains the control character U+202E; names must be printable"])
    }

    func testADiagnosticQuotingAKeyStaysOneLineWithoutEscapeSequences() {
        // An unknown key is quoted in its error; a newline in it forged a second diagnostic
        // and an escape sequence reached the terminal (here: set its title, ring the bell).
        let key = "evil\\e]0;owned\\a\\nfake.yaml:1:1: error: forged"
        let result = Compiler.compile(path: write("m.yaml", "\"\(key)\": 1\n" + Self.model() + Self.dwBlock))
        for colour in [false, true] {
            let text = result.diagnostics.rendered(colour: colour)
            XCTAssertEqual(text.split(separator: "\n").count, 1, text)
            XCTAssertFalse(text.contains("\u{1B}]"), text)
            XCTAssertFalse(text.contains("\u{07}"), text)
            XCTAssertTrue(text.contains(#"unknown key 'evil\u{1B}]0;owned\u{07}\nfake.yaml:1:1: error: forged' in spec"#), text)
        }
    }

    func testANameOneCharacterOverTheLengthLimitIsRefused() {
        // Every tensor name repeats its block's prefix: 10,000 blocks of 4 MB names once
        // meant tens of gigabytes of names.
        let limit = SpecLimits.nameLength
        let long = String(repeating: "a", count: limit + 1)
        let result = Compiler.compile(path: write("m.yaml", Self.model(stem: "  - conv: {name: \(long), out: 8, kernel: 4, stride: 4}\n") + Self.dwBlock))
        XCTAssertEqual(
            errors(result).map { $0.components(separatedBy: ": error: ")[1] },
            [
                "layer name is \(limit + 1) characters long, more than the limit of \(limit)"
            ])
        let atLimit = String(long.dropFirst())
        XCTAssertTrue(Compiler.compile(path: write("m.yaml", Self.model(name: atLimit) + Self.dwBlock)).succeeded)
        XCTAssertEqual(errors(Compiler.compile(path: write("m.yaml", Self.model(name: long) + Self.dwBlock))).count, 1)
    }

    func testANameFromAStringParameterIsCheckedAfterSubstitution() {
        let spec = Self.model(extra: "params: {tag: stem}\n", stem: "  - conv: {name: tag, out: 8, kernel: 4, stride: 4}\n")
        let result = Compiler.compile(path: write("m.yaml", spec + Self.dwBlock), overrides: ["tag=\"st\\nem\""])
        XCTAssertEqual(
            errors(result).map { $0.components(separatedBy: ": error: ")[1] },
            [
                "layer name 'st\\nem' contains the control character U+000A; names must be printable"
            ])
    }
}
