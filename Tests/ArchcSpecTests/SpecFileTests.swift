import Foundation
import XCTest

@testable import ArchcSpec

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `import:`, `extends:` and `budget: {reference:}` may name any path (block libraries are
/// shared between projects), so a diagnostic must never quote a file that is not a YAML
/// spec, and only regular files of bounded size are read (docs/limits.md, "Specs").
/// Every secret here is a line the test writes itself.
final class SpecFileTests: XCTestCase {
    private var folder: URL!
    private let secret = "root:$6$SECRETSALT$k1eP9wXh0tYbq:19000:0:99999:7:::"

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("archc-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    @discardableResult
    private func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = folder.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    private func compile(importing target: String, key: String = "import") -> (errors: [String], everything: String) {
        let line = key == "import" ? "import: [\(target)]\n" : "budget: {reference: \(target), tolerance: 5%}\n"
        let spec = HostileSpecTests.model(extra: line) + HostileSpecTests.dwBlock
        let path = write("m.yaml", Array(spec.utf8))
        let result = Compiler.compile(path: path)
        let errors = result.diagnostics.sorted().filter { $0.severity == .error }.map(\.description)
        return (errors, result.diagnostics.rendered())
    }

    func testAShadowLikeFileIsNamedNotQuoted() {
        // Lines ending in ':' parse as a YAML mapping; its keys were echoed as unknown keys.
        let target = write("shadow", Array((secret + "\ndaemon:*:19000:0:99999:7:::\n").utf8))
        let (imported, importedText) = compile(importing: target)
        XCTAssertFalse(importedText.contains("SECRETSALT"), importedText)
        XCTAssertEqual(
            imported,
            [
                "\(target):1:1: error: expected a block library: a YAML mapping with 'blocks' or 'import'; this file has none of them (its content is not shown)"
            ])
        let (referenced, referencedText) = compile(importing: target, key: "reference")
        XCTAssertFalse(referencedText.contains("SECRETSALT"), referencedText)
        XCTAssertEqual(referenced.count, 1, referencedText)
        XCTAssertTrue(
            referencedText.contains(
                "\(target):1:1: note: expected a spec: a YAML mapping with keys such as 'model', 'stages' or 'extends'; this file has none of them (its content is not shown)"
            ), referencedText)
        let base = write("derived.yaml", Array("extends: shadow\nmodel: m\n".utf8))
        let derived = Compiler.compile(path: base).diagnostics.rendered()
        XCTAssertFalse(derived.contains("SECRETSALT"), derived)
        XCTAssertTrue(derived.hasPrefix("\(target):1:1: error: expected a spec"), derived)
    }

    func testAPlainTextFileIsNamedNotQuoted() {
        // One line of text is a YAML scalar: it parsed, and was quoted in "found '...'".
        let target = write("token", Array("SECRETSALT-0123456789abcdef\n".utf8))
        for key in ["import", "reference"] {
            let (errors, everything) = compile(importing: target, key: key)
            XCTAssertFalse(everything.contains("SECRETSALT"), everything)
            XCTAssertTrue(
                everything.contains("\(target):1:1: \(key == "import" ? "error" : "note"): expected a YAML mapping, found plain text (not shown)"), everything)
            XCTAssertEqual(errors.count, 1, everything)
        }
        let direct = Compiler.compile(path: target).diagnostics.rendered()
        XCTAssertEqual(direct, "\(target):1:1: error: expected a YAML mapping, found plain text (not shown)")
    }

    func testBinaryAndMalformedFilesAreNamedNotQuoted() {
        let binary = write("key.bin", [0x00, 0xFF, 0xFE] + Array(secret.utf8) + [0xC3])
        let malformed = write("env", Array("password: [\(secret)\n  : - {\n".utf8))
        let control = write("ctl", Array("\(secret)\u{1}\n".utf8))
        for target in [binary, malformed, control] {
            let (errors, everything) = compile(importing: target)
            XCTAssertFalse(everything.contains("SECRETSALT"), everything)
            XCTAssertEqual(errors.count, 1, everything)
            XCTAssertTrue(errors.first?.hasPrefix(target + ":") == true, everything)
        }
    }

    func testAFIFOIsRefusedWithoutBlocking() throws {
        let fifo = folder.appendingPathComponent("pipe").path
        guard mkfifo(fifo, 0o600) == 0 else { throw XCTSkip("cannot create a FIFO here") }
        let (errors, _) = compile(importing: fifo)
        XCTAssertEqual(errors, ["\(fifo):1:1: error: is not a regular file (a FIFO, device or socket), expected a YAML spec file"])
        let direct = Compiler.compile(path: fifo)
        XCTAssertEqual(direct.diagnostics.errors.map(\.message), ["is not a regular file (a FIFO, device or socket), expected a YAML spec file"])
    }

    func testADirectoryIsRefused() {
        let (errors, _) = compile(importing: folder.path)
        XCTAssertEqual(errors, ["\(folder.path):1:1: error: is a directory, expected a YAML spec file"])
    }

    func testAFileOneByteOverTheSizeLimitIsRefusedUnread() throws {
        let path = folder.appendingPathComponent("huge.yaml").path
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(ftruncate(fd, off_t(SpecLimits.fileBytes + 1)), 0)  // sparse: nothing is written
        close(fd)
        let (errors, _) = compile(importing: path)
        XCTAssertEqual(errors, ["\(path):1:1: error: file is \(SpecLimits.fileBytes + 1) bytes, larger than the \(SpecLimits.fileBytes)-byte limit for a spec"])
    }

    func testAMappingOutsideTheSpecsFolderIsStillALibrary() {
        // Paths outside the folder are allowed: only the file's shape decides.
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("archc-shared-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        _ = FileManager.default.createFile(atPath: elsewhere.path, contents: Data(HostileSpecTests.dwBlock.utf8))
        let spec = HostileSpecTests.model(extra: "import: [../\(elsewhere.lastPathComponent)]\n")
        let result = Compiler.compile(path: write("m.yaml", Array(spec.utf8)))
        XCTAssertTrue(result.succeeded, result.diagnostics.rendered())
    }
}
