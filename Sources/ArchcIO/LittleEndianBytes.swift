/// Little-endian integers read at offsets that come from the file itself: every read is
/// bounds-checked and every offset sum checked for overflow, so a hostile offset becomes
/// an error naming the byte, never a trap.
struct LittleEndianBytes {
    let bytes: [UInt8]
    let file: String

    var count: Int { bytes.count }

    /// `width` bytes at `at` as an unsigned integer; above Int.max is an error.
    func uint(_ at: Int, width: Int) throws -> Int {
        guard at >= 0, width <= bytes.count, at <= bytes.count - width else {
            throw IOError(file, "a \(width)-byte field at byte \(at) runs past the end of the file (\(bytes.count) bytes)")
        }
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        guard value <= UInt64(Int.max) else { throw IOError(file, "value \(value) at byte \(at) is too large") }
        return Int(value)
    }

    func u16(_ at: Int) throws -> Int { try uint(at, width: 2) }
    func u32(_ at: Int) throws -> Int { try uint(at, width: 4) }
    func u64(_ at: Int) throws -> Int { try uint(at, width: 8) }

    /// The sum of offsets and sizes read from the file, or an error when it overflows.
    func sum(_ terms: Int...) throws -> Int {
        try terms.reduce(0) { total, term in
            let (s, overflow) = total.addingReportingOverflow(term)
            guard !overflow else { throw IOError(file, "offset \(total) + \(term) overflows") }
            return s
        }
    }

    /// Does `[start, start + length)` lie inside the file?
    func contains(_ start: Int, length: Int) -> Bool {
        start >= 0 && length >= 0 && start <= bytes.count && length <= bytes.count - start
    }
}
