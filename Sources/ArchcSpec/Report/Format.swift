import Foundation

/// Number formatting shared by every report: grouped integers, SI quantities, bytes.
public enum Format {
    /// 25557032 -> "25,557,032".
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// 4_481_000_000 -> "4.48 G"; 25_557_032 -> "25.56 M".
    public static func si(_ value: Double, digits: Int = 2) -> String {
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")]
        for (scale, unit) in units where abs(value) >= scale {
            return String(format: "%.\(digits)f %@", value / scale, unit)
        }
        return String(format: "%.0f", value)
    }

    public static func si(_ value: Int, digits: Int = 2) -> String { si(Double(value), digits: digits) }

    /// 4294967296 -> "4.00 GiB".
    public static func bytes(_ value: Int) -> String {
        let units: [(Double, String)] = [(1_073_741_824, "GiB"), (1_048_576, "MiB"), (1024, "KiB")]
        for (scale, unit) in units where Double(value) >= scale {
            return String(format: "%.2f %@", Double(value) / scale, unit)
        }
        return "\(value) B"
    }

    /// 0.0523 -> "5.2%".
    public static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }

    /// Parses sizes such as `4G`, `512M`, `4GiB` for the memory limit.
    public static func parseBytes(_ text: String) -> Int? {
        var body = text.trimmingCharacters(in: .whitespaces)
        for suffix in ["iB", "B"] where body.hasSuffix(suffix) { body = String(body.dropLast(suffix.count)) }
        var scale = 1
        if let last = body.last, let s = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40][String(last).uppercased()] {
            scale = s
            body = String(body.dropLast())
        }
        // At least one byte (1e-300 was a "0 B" limit), digits only (Double also reads 0x10, nan, inf).
        guard body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" || $0 == "+") }),
            let number = Double(body), number * Double(scale) >= 1, number * Double(scale) < 9e18
        else { return nil }
        return Int(number * Double(scale))
    }
}
