/// Text from a spec (model, layer and tensor names, file paths, the command line) written
/// into generated Swift source, escaped so that no name can end a comment line or a string
/// literal early: a name holding a newline once injected declarations into the file.
enum SwiftSourceText {
    /// `name` as a Swift string literal, quotes included: `\`, `"` and every control or
    /// line-separating character escaped (so `\(` cannot start an interpolation either).
    static func stringLiteral(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            default: out += breaksLine(scalar) ? escaped(scalar) : String(scalar)
            }
        }
        return out + "\""
    }

    /// `text` safe to place after `//`: control and line-separating characters escaped, so
    /// the comment ends where the emitter ends it.
    static func comment(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars { out += breaksLine(scalar) ? escaped(scalar) : String(scalar) }
        return out
    }

    /// Control characters (newline, carriage return, NUL, ...) and the Unicode line and
    /// paragraph separators: anything that could end a line or hide what follows.
    private static func breaksLine(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
    }
}
