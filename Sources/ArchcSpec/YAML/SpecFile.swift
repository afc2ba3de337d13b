import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads the bytes of one spec file (a spec, a block library, an `extends` base or a budget
/// reference), refusing what a spec file cannot be.
///
/// Specs may name any path, inside their folder or not: block libraries are shared between
/// projects. What is refused is anything that is not a regular file of at most
/// `SpecLimits.fileBytes` bytes. A FIFO would block the read forever and a device
/// (`/dev/zero`) never ends, so the file is opened without blocking and checked with
/// `fstat` on the open descriptor (no window between the check and the read).
enum SpecFile {
    /// Why a file was refused, in words that never quote it.
    struct Refusal: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// The file's bytes, or the message that refuses it (never quoting the file).
    static func contents(_ path: String) -> Result<[UInt8], Refusal> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            return .failure(Refusal(errno == ENOENT || errno == ENOTDIR ? "no such file" : "cannot read file (\(String(cString: strerror(errno))))"))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Refusal("cannot read file (\(String(cString: strerror(errno))))")) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .failure(Refusal("is a directory, expected a YAML spec file"))
        default: return .failure(Refusal("is not a regular file (a FIFO, device or socket), expected a YAML spec file"))
        }
        let size = Int(info.st_size)
        guard size <= SpecLimits.fileBytes else {
            return .failure(Refusal("file is \(size) bytes, larger than the \(SpecLimits.fileBytes)-byte limit for a spec"))
        }
        return readAll(fd, atMost: SpecLimits.fileBytes)
    }

    /// Reads until the end of the file; a file that grew past `limit` since `fstat` is refused.
    private static func readAll(_ fd: Int32, atMost limit: Int) -> Result<[UInt8], Refusal> {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return .failure(Refusal("cannot read file (\(String(cString: strerror(errno))))")) }
            if count == 0 { return .success(bytes) }
            bytes += chunk[..<count]
            guard bytes.count <= limit else { return .failure(Refusal("file is larger than the \(limit)-byte limit for a spec")) }
        }
    }
}
