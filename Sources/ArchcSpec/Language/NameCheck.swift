/// Names end up in checkpoints' keys, reports, IR text and generated Swift source, one per
/// line: a newline or other control character in one would break all of them (and, written
/// unescaped into Swift, inject code). Such names, and names longer than
/// `SpecLimits.nameLength`, are refused where they are written.
enum NameCheck {
    /// The first control or line-separating character of `name`, nil when there is none.
    static func controlCharacter(in name: String) -> Unicode.Scalar? {
        name.unicodeScalars.first(where: Diagnostic.isBreaking)
    }

    /// True when `name` is printable and not too long; otherwise reports a located error.
    @discardableResult
    static func check(_ name: String, _ what: String, at location: SourceLocation, _ diagnostics: DiagnosticEngine) -> Bool {
        guard name.unicodeScalars.count <= SpecLimits.nameLength else {
            diagnostics.error(
                location, "\(what) is \(name.unicodeScalars.count) characters long, more than the limit of \(SpecLimits.nameLength)")
            return false
        }
        guard let bad = controlCharacter(in: name) else { return true }
        var head = String.UnicodeScalarView()
        head.append(contentsOf: name.unicodeScalars.prefix(40))
        let shown = Diagnostic.printable(String(head))
        let hex = String(bad.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        diagnostics.error(location, "\(what) '\(shown)' contains the control character \(code); names must be printable")
        return false
    }
}
