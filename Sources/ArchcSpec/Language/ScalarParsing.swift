import Foundation

/// Typed readings of YAML scalars: integers (with `_` separators), floats, booleans, and
/// quantities with SI suffixes (`4.6G`) and percentages (`5%`).
enum ScalarParsing {
    static func int(_ text: String) -> Int? {
        let cleaned = text.replacingOccurrences(of: "_", with: "").replacingOccurrences(of: ",", with: "")
        return Int(cleaned)
    }

    static func float(_ text: String) -> Double? {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
        return value
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "yes", "on": return true
        case "false", "False", "FALSE", "no", "off": return false
        default: return nil
        }
    }

    static let suffixes: [Character: Double] = ["K": 1e3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12]

    /// `4.6G`, `4,600M`, `4600000000`, `4.6e9` -> value and the number of significant
    /// decimals written after the point (4.48G -> 2), which sets how exact a match must be.
    static func quantity(_ text: String) -> (value: Double, unit: Double, decimals: Int)? {
        var body = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "_", with: "")
        var unit = 1.0
        if let last = body.last, let scale = suffixes[last] {
            unit = scale
            body = String(body.dropLast()).trimmingCharacters(in: .whitespaces)
        }
        guard let number = Double(body), number.isFinite, number >= 0 else { return nil }
        let decimals = body.contains("e") || body.contains("E") ? 0 : (body.split(separator: ".").dropFirst().first?.count ?? 0)
        // 1e308T is finite text but an infinite quantity.
        guard (number * unit).isFinite else { return nil }
        return (number * unit, unit, decimals)
    }

    /// `5%` or `0.05` -> 0.05.
    static func fraction(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            return float(String(trimmed.dropLast())).map { $0 / 100 }
        }
        return float(trimmed)
    }
}
