/// Why a tensor file cannot be used, naming the file and the tensor or byte offset.
public struct IOError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var message: String

    public init(_ file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { Self.printable("\(file): error: \(message)") }

    /// File names come from folders, manifests and the command line: a newline there would
    /// forge an output line, an escape sequence would drive the user's terminal, and a
    /// bidirectional override would reorder what they read. Control, format and line-separating
    /// characters are shown escaped (`\n`, `\u{1B}`, `\u{202E}`).
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isHidden) else { return text }
        return text.unicodeScalars.map { isHidden($0) ? $0.escaped(asASCII: true) : String($0) }.joined()
    }

    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }
}
