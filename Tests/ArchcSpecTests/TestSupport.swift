import Foundation
@testable import ArchcSpec

/// Paths and helpers shared by the spec-layer tests.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let specs = root.appendingPathComponent("specs")
    static let fixtures = root.appendingPathComponent("Tests/ArchcSpecTests/Fixtures")

    /// Every model spec under specs/ (block libraries excluded), as paths relative to the repo root.
    static func modelSpecs() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: specs.path)!
        return enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("blocks/") }
            .sorted()
            .map { "specs/\($0)" }
    }

    /// Compiles a spec given relative to the repo root, with diagnostics naming that path.
    static func compile(_ path: String, overrides: [String] = [], options: ElaborationOptions = .init()) -> Compilation {
        var options = options
        options.directory = root.path
        return Compiler.compile(path: path, overrides: overrides, options: options)
    }

    /// Compiles YAML text written to a temporary file.
    static func compileText(_ text: String, name: String = "inline.yaml") -> Compilation {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("archc-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent(name)
        try? text.write(to: file, atomically: true, encoding: .utf8)
        return Compiler.compile(path: file.path)
    }
}
