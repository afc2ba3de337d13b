#if canImport(Glibc)
    import Glibc
#endif

/// A regular file open for reads at offsets (pread): a checkpoint's tensors are read one at
/// a time, when the spec asks for them, so the whole file is never in memory at once.
///
/// Read, not memory-mapped: every tensor is converted into float32 storage of its own
/// anyway (for folding), so a mapping would save no copy; its touched pages would count in
/// the resident set until unmapped; and a file truncated while mapped raises SIGBUS on the
/// next touch of a lost page, a crash. Here a file that shrinks while open gives a short
/// read, reported as an error naming the file, the tensor and the bytes.
public final class RandomAccessFile: ByteSource {
    public let path: String
    public let count: Int
    private let fd: Int32

    /// Opens the regular file at `path`, no larger than `limit` (`kind` names the reader in
    /// the error), with `FileReader`'s checks.
    public init(_ path: String, limit: Int, kind: String) throws {
        (fd, count) = try FileReader.open(path, limit: limit, kind: kind)
        self.path = path
    }

    deinit { close(fd) }

    public func read(_ range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer, what: String) throws {
        guard range.lowerBound >= 0, range.upperBound <= count, buffer.count >= range.count else {
            throw IOError(path, "\(what): bytes \(range.lowerBound)..<\(range.upperBound) lie outside the file (\(count) bytes)")
        }
        var done = 0
        while done < range.count {
            let n = pread(fd, buffer.baseAddress! + done, range.count - done, off_t(range.lowerBound + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let reason = n < 0 ? String(cString: strerror(errno)) : "the file shrank after it was opened"
                throw IOError(path, "\(what): cannot read bytes \(range.lowerBound)..<\(range.upperBound) (at byte \(range.lowerBound + done)): \(reason)")
            }
            done += n
        }
    }

    /// The whole file (the torch.save readers index it in memory, then read tensors by range).
    public func readAll() throws -> [UInt8] { try bytes(0..<count, what: "checkpoint") }
}
