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

    private static func line(_ at: SourceLocation, _ severity: Severity, _ message: String, _ colour: Bool) -> String {
        let (at, text) = (printable(at.description), printable(message))
        guard colour else { return "\(at): \(severity.rawValue): \(text)" }
        let code: String
        switch severity {
        case .error: code = "31"
        case .warning: code = "35"
        case .note: code = "36"
        }
        return "\u{1B}[1m\(at): \u{1B}[1;\(code)m\(severity.rawValue):\u{1B}[0m\u{1B}[1m \(text)\u{1B}[0m"
    }

    /// Messages quote what a spec wrote (an unknown key, a path); a newline there would forge
    /// a diagnostic line and an escape sequence would drive the user's terminal. Control and
    /// line-separating characters are shown escaped (`\n`, `\u{1B}`).
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isBreaking) else { return text }
        return text.unicodeScalars.map { isBreaking($0) ? $0.escaped(asASCII: true) : String($0) }.joined()
    }

    /// Control characters (newline, tab, NUL, escape, ...), the Unicode line separators, and
    /// the bidirectional controls (U+202E shows what follows it reversed, hiding what a name
    /// or path really says).
    static func isBreaking(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return scalar.properties.generalCategory == .control
        }
    }
}
