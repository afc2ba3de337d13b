import Foundation
import Yams

/// Reads a spec file into a located `SpecNode` tree, or explains exactly why it cannot.
public enum YAMLLoader {
    /// The size limit of one spec file (kept here for callers; the value lives in SpecLimits).
    public static let maxFileBytes = SpecLimits.fileBytes

    /// Loads `path`; `displayPath` is how diagnostics name the file.
    public static func load(path: String, displayPath: String? = nil) -> Result<SpecNode, Diagnostic> {
        let shown = displayPath ?? path
        let start = SourceLocation(file: shown, line: 1, column: 1)
        switch SpecFile.contents(path) {
        case .failure(let refusal): return .failure(.error(start, refusal.message))
        case .success(let bytes): return parse(bytes: bytes, file: shown)
        }
    }

    /// Parses YAML text held in memory (tests, overrides, fuzzing).
    public static func parse(bytes: [UInt8], file: String) -> Result<SpecNode, Diagnostic> {
        guard var text = String(validating: bytes, as: UTF8.self) else {
            return .failure(.error(invalidUTF8Location(bytes, file: file), "file is not valid UTF-8 text"))
        }
        // A byte-order mark (editors on Windows write one) is not part of the text; YAML would
        // read it as the start of a plain scalar.
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        if let refusal = YAMLGuard.check(text, file: file) { return .failure(refusal) }
        do {
            guard let root = try Yams.compose(yaml: text) else {
                return .failure(
                    .error(SourceLocation(file: file, line: 1, column: 1), "spec is empty, expected a mapping with 'model', 'stem', 'stages' and 'head'"))
            }
            return .success(convert(root, file: file))
        } catch let error as YamlError {
            return .failure(diagnostic(for: error, file: file))
        } catch {
            return .failure(.error(SourceLocation(file: file, line: 1, column: 1), "invalid YAML"))
        }
    }

    private static func convert(_ node: Node, file: String) -> SpecNode {
        let at = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        switch node {
        case .scalar(let scalar):
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            return SpecNode(.scalar(scalar.string, quoted: quoted), at: at)
        case .sequence(let sequence):
            return SpecNode(.sequence(sequence.map { convert($0, file: file) }), at: at)
        case .mapping(let mapping):
            let entries = mapping.map { key, value -> SpecNode.Entry in
                let keyNode = convert(key, file: file)
                return SpecNode.Entry(
                    key: keyNode.scalar ?? keyNode.kindDescription, keyLocation: keyNode.location,
                    value: convert(value, file: file))
            }
            return SpecNode(.mapping(entries), at: at)
        case .alias(let alias):
            return SpecNode.scalar(alias.anchor.rawValue, at: at)
        }
    }

    private static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation {
            SourceLocation(file: file, line: max(1, mark.line), column: max(1, mark.column))
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return .error(at(mark), "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return .error(at(context.mark), "duplicate key \(names) in mapping")
        default:
            // Yams' own descriptions quote the offending line; a diagnostic never quotes a
            // file that did not parse (it may not be a spec at all: `import: [/etc/shadow]`).
            return .error(SourceLocation(file: file, line: 1, column: 1), "invalid YAML")
        }
    }

    /// Line and column of the first byte that breaks UTF-8.
    private static func invalidUTF8Location(_ bytes: [UInt8], file: String) -> SourceLocation {
        var line = 1, lineStart = 0, index = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var consumed = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                let width = UTF8.width(scalar)
                if scalar == "\n" { line += 1; lineStart = consumed + width }
                consumed += width
            case .emptyInput, .error:
                index = consumed
                break loop
            }
        }
        let column = String(decoding: bytes[lineStart..<index], as: UTF8.self).unicodeScalars.count + 1
        return SourceLocation(file: file, line: line, column: column)
    }
}
