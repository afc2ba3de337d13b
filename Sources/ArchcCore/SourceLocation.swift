/// A position in a spec file (1-based line and column), the anchor of every diagnostic.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:col`, the form editors and terminals turn into links.
    public var description: String { "\(file):\(line):\(column)" }

    /// A location for values that came from the command line rather than a file.
    public static func commandLine(_ what: String) -> SourceLocation {
        SourceLocation(file: "<\(what)>", line: 1, column: 1)
    }
}
