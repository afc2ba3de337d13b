/// One finding about a spec: an error or warning at a location, with optional notes elsewhere.
public struct Diagnostic: Hashable, Sendable, Error, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning, note }

    public struct Note: Hashable, Sendable {
        public var location: SourceLocation
        public var message: String
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String
    public var notes: [Note]

    public init(_ severity: Severity, _ location: SourceLocation, _ message: String, notes: [Note] = []) {
        self.severity = severity
        self.location = location
        self.message = message
        self.notes = notes
    }

    public static func error(_ location: SourceLocation, _ message: String, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.error, location, message, notes: notes)
    }

    /// The diagnostic as `path:line:col: error: message`, notes on the following lines.
    public var description: String { rendered(colour: false) }

    /// Renders the diagnostic; colour (bold location, red/yellow severity) only for terminals.
    public func rendered(colour: Bool) -> String {
        var lines = [Self.line(location, severity, message, colour)]
        for note in notes { lines.append(Self.line(note.location, .note, note.message, colour)) }
        return lines.joined(separator: "\n")
    }

    private static func line(_ at: SourceLocation, _ severity: Severity, _ text: String, _ colour: Bool) -> String {
        guard colour else { return "\(at): \(severity.rawValue): \(text)" }
        let code: String
        switch severity {
        case .error: code = "31"
        case .warning: code = "35"
        case .note: code = "36"
        }
        return "\u{1B}[1m\(at): \u{1B}[1;\(code)m\(severity.rawValue):\u{1B}[0m\u{1B}[1m \(text)\u{1B}[0m"
    }
}
