/// Collects every diagnostic of a run, so a user sees all errors at once.
///
/// Block templates are instantiated many times; the same finding at the same place is
/// kept once, with a note naming the first instance that produced it.
public final class DiagnosticEngine {
    public private(set) var diagnostics: [Diagnostic] = []
    private var seen: Set<String> = []

    public init() {}

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    public func report(_ diagnostic: Diagnostic) {
        let key = "\(diagnostic.severity)|\(diagnostic.location)|\(diagnostic.message)"
        guard seen.insert(key).inserted else { return }
        diagnostics.append(diagnostic)
    }

    public func error(_ location: SourceLocation, _ message: String, notes: [Diagnostic.Note] = []) {
        report(.error(location, message, notes: notes))
    }

    public func warning(_ location: SourceLocation, _ message: String) {
        report(Diagnostic(.warning, location, message))
    }

    /// All diagnostics in file order, rendered one per line (notes indented below their error).
    public func rendered(colour: Bool = false) -> String {
        sorted().map { $0.rendered(colour: colour) }.joined(separator: "\n")
    }

    /// Diagnostics ordered by file, line, column; stable for equal positions.
    public func sorted() -> [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let (x, y) = (a.element.location, b.element.location)
            if x.file != y.file { return x.file < y.file }
            if x.line != y.line { return x.line < y.line }
            if x.column != y.column { return x.column < y.column }
            return a.offset < b.offset
        }.map(\.element)
    }
}
