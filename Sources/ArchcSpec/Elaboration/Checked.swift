/// Overflow-checked arithmetic for sizes and costs: a spec can ask for absurd numbers
/// (`--set input.size=9223372036854775807`), and every step that combines them must say
/// "too large" instead of trapping. Nil means the result does not fit in 64 bits.
public enum Checked {
    public static func product(_ values: [Int]) -> Int? {
        var result = 1
        for value in values {
            let (p, overflow) = result.multipliedReportingOverflow(by: value)
            if overflow { return nil }
            result = p
        }
        return result
    }

    public static func sum(_ values: [Int]) -> Int? {
        var result = 0
        for value in values {
            let (s, overflow) = result.addingReportingOverflow(value)
            if overflow { return nil }
            result = s
        }
        return result
    }

    public static func difference(_ a: Int, _ b: Int) -> Int? {
        let (d, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? nil : d
    }
}
