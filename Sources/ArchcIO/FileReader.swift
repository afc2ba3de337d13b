import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Reads a whole input file, refusing what is not a regular file (a FIFO would block, a
/// device never ends) and what is larger than the reader's limit, before reading a byte.
public enum FileReader {
    /// The bytes of the regular file at `path`; `limit` is the largest size accepted and
    /// `kind` names the reader in the error ("checkpoint", "photo").
    public static func read(_ path: String, limit: Int, kind: String) throws -> [UInt8] {
        let (fd, size) = try open(path, limit: limit, kind: kind)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, size - done) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw IOError(path, "cannot read at byte \(done): \(n < 0 ? String(cString: strerror(errno)) : "the file shrank")") }
            done += n
        }
        return bytes
    }

    /// The open descriptor of the regular file at `path` and its size, after the checks
    /// `read` makes; the caller closes it.
    static func open(_ path: String, limit: Int, kind: String) throws -> (fd: Int32, size: Int) {
        // O_NONBLOCK: opening a FIFO with no writer must not block; it is refused below.
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(path, openFailure(errno)) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw IOError(path, "cannot read: \(reason)")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw IOError(path, "not a regular file (\(fileType(info.st_mode)))")
        }
        let size = Int(info.st_size)
        guard size <= limit else {
            close(fd)
            throw IOError(path, "file of \(size) bytes is over the \(limit) byte limit for a \(kind) (docs/limits.md)")
        }
        return (fd, size)
    }

    private static func openFailure(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EISDIR: return "is a directory, not a file"
        default: return "cannot open: \(String(cString: strerror(code)))"
        }
    }

    private static func fileType(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "mode \(String(mode, radix: 8))"
        }
    }
}
