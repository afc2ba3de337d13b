/// Bytes read by range: a whole file in memory, or a `RandomAccessFile` read one tensor at
/// a time. The readers check every range against `count` before reading it.
public protocol ByteSource {
    /// The file's length in bytes.
    var count: Int { get }
    /// Copies `range` into `buffer` (exactly `range.count` bytes), or throws an `IOError`
    /// naming the file, `what` is read and the bytes.
    func read(_ range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer, what: String) throws
}

extension ByteSource {
    /// The bytes in `range`.
    func bytes(_ range: Range<Int>, what: String) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            try read(range, into: UnsafeMutableRawBufferPointer(buffer), what: what)
            initialized = range.count
        }
    }
}

extension Array: ByteSource where Element == UInt8 {
    public func read(_ range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer, what: String) throws {
        // The readers check ranges first; this one is a last guard, never a trap.
        guard range.lowerBound >= 0, range.upperBound <= count, buffer.count >= range.count else {
            throw IOError("", "\(what): bytes \(range.lowerBound)..<\(range.upperBound) lie outside the \(count) bytes")
        }
        withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[range])) }
    }
}
