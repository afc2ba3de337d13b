import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file whole or not at all: bytes go to a new temporary file beside the target,
/// which is then renamed over it, with the replaced file's permissions. Only a regular file
/// (or a new name) is replaced that way: an existing device, FIFO or socket (`-o /dev/null`)
/// is written in place, because renaming over it would replace the device node with a
/// regular file; a symlink chain that ends nowhere (dangling, or a loop) is refused; and the
/// streams by name (`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`) are written
/// through the descriptor the process holds, so `-o /dev/stdout >> log` appends to the log
/// instead of replacing it.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let (target, mode): (String, mode_t?)
        switch try destination(path) {
        case .stream(let fd): return try writeAll(data, to: fd, path: path)
        case .inPlace: return try writeInPlace(data, to: path)
        case .replace(let file, let kept): (target, mode) = (file, kept)
        }
        let temporary = try createTemporary(beside: target, path: path, mode: mode)
        InterruptCleanup.register(temporary.path)
        defer { InterruptCleanup.clear() }
        do {
            try writeAll(data, to: temporary.fd, path: path)
            guard close(temporary.fd) == 0 else { throw IOError(path, "cannot write: \(String(cString: strerror(errno)))") }
        } catch {
            close(temporary.fd)
            unlink(temporary.path)
            throw error
        }
        // rename(2) replaces the target atomically: readers see the old file or the new one.
        // (Foundation's replaceItemAt on Linux removes the old file first, and can lose it.)
        guard rename(temporary.path, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw IOError(path, "cannot write: \(reason)")
        }
    }

    /// Refuses at once a target `write` would refuse, so that a command can check its
    /// outputs before its work: a directory, a symlink chain that ends nowhere, a folder that
    /// is missing or cannot be written.
    public static func checkWritable(_ path: String) throws {
        guard case .replace(let target, _) = try destination(path) else { return }
        let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
        guard access(folder, W_OK) == 0 else { throw IOError(path, "cannot write: \(String(cString: strerror(errno)))") }
    }

    /// Do two paths name one file, once `.`, `..` and symbolic links (also to a file not yet
    /// written) are followed, or as hard links of one existing file?
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        func followed(_ path: String) -> String {
            var url = URL(fileURLWithPath: path).standardizedFileURL
            for _ in 0..<32 {
                let folder = url.deletingLastPathComponent().resolvingSymlinksInPath()
                url = folder.appendingPathComponent(url.lastPathComponent)
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: url.path) else { break }
                url = URL(fileURLWithPath: target, relativeTo: folder).standardizedFileURL
            }
            return url.path
        }
        if followed(a) == followed(b) { return true }
        var (sa, sb) = (stat(), stat())
        return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// The input that writing `output` would replace, if any: one of `inputs` itself, or for
    /// an input that is a folder, an existing file directly in it whose extension is one of
    /// `folderExtensions` (the images the command reads from it). Streams and devices
    /// (`-o /dev/stdout`, `/dev/null`) replace nothing.
    public static func input(replacedBy output: String, among inputs: [String], folderExtensions: [String] = []) -> String? {
        if streamDescriptor(output) != nil { return nil }
        var info = stat()
        if stat(output, &info) == 0, info.st_mode & S_IFMT != S_IFREG { return nil }
        let outputExists = stat(output, &info) == 0
        let outputExtension = URL(fileURLWithPath: output).pathExtension.lowercased()
        for input in inputs {
            var folder = stat()
            if stat(input, &folder) == 0, folder.st_mode & S_IFMT == S_IFDIR {
                guard outputExists, folderExtensions.contains(outputExtension) else { continue }
                let parent = URL(fileURLWithPath: output).deletingLastPathComponent().path
                var inside = stat()
                if stat(parent, &inside) == 0, inside.st_dev == folder.st_dev, inside.st_ino == folder.st_ino { return output }
            } else if sameFile(output, input) {
                return input
            }
        }
        return nil
    }

    /// Refuses an output that is one of the command's own inputs (`-o spec.yaml`,
    /// `--output x.npy --input x.npy`): writing it would destroy what the command reads.
    public static func checkNotAnInput(_ output: String, option: String, inputs: [String], folderExtensions: [String] = []) throws {
        if let input = input(replacedBy: output, among: inputs, folderExtensions: folderExtensions) {
            throw IOError(output, "\(option) \(output) is the command's own input \(input): writing it would replace that file")
        }
    }

    private enum Destination {
        /// A stream by name, written through the descriptor the process holds.
        case stream(Int32)
        /// An existing device, FIFO or socket, written without renaming.
        case inPlace
        /// A regular file or a new name: the file to rename over, and the permissions to keep.
        case replace(String, mode: mode_t?)
    }

    private static func destination(_ path: String) throws -> Destination {
        if let fd = streamDescriptor(path) { return .stream(fd) }
        var info = stat()
        var mode: mode_t?
        // stat follows symlinks: a link to a device is written through, a link to a file keeps pointing at it.
        if stat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG: mode = info.st_mode & 0o777
            case S_IFDIR: throw IOError(path, "cannot write: is a directory")
            default: return .inPlace
            }
        }
        let target = resolvedLink(path)
        if lstat(target, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            throw IOError(path, "cannot write: the symlink \(target) leads to no file (it dangles through another link, or loops)")
        }
        return .replace(target, mode: mode)
    }

    /// The descriptor a stream's name stands for, nil for other paths.
    static func streamDescriptor(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                let digits = path.dropFirst(prefix.count)
                if digits.count <= 9, let fd = Int32(digits), fd >= 0 { return fd }
            }
            return nil
        }
    }

    /// A new file `.NAME.XXXXXX` in the target's folder, made by mkstemp: O_EXCL and an
    /// unpredictable name, so a planted file or symlink is never followed or reused. It gets
    /// `mode` (the replaced file's permissions), else the usual 0666 less the umask.
    private static func createTemporary(beside target: String, path: String, mode: mode_t?) throws -> (fd: Int32, path: String) {
        let url = URL(fileURLWithPath: target)
        var template = Array(url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw IOError(path, "cannot write: \(String(cString: strerror(errno)))") }
        let temporary = String(cString: template)
        // mkstemp makes the file 0600.
        if let mode {
            fchmod(fd, mode)
        } else {
            let mask = umask(0)
            umask(mask)
            fchmod(fd, 0o666 & ~mask)
        }
        return (fd, temporary)
    }

    /// The file a symlink at `path` points to, so that replacing the file keeps the link:
    /// the whole chain resolved when it exists (`/dev/stdout` redirected to a file), one
    /// level when it dangles (relative to the link's folder).
    private static func resolvedLink(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return path }
        if destination.hasPrefix("/") { return destination }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(destination).path
    }

    /// Writes into an existing non-regular file (a device, a FIFO) without creating or renaming.
    private static func writeInPlace(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(path, "cannot write: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try writeAll(data, to: fd, path: path)
    }

    private static func writeAll(_ data: Data, to fd: Int32, path: String) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw IOError(path, "cannot write at byte \(done): \(String(cString: strerror(errno)))") }
                done += n
            }
        }
    }
}

/// Removes the temporary file `AtomicFile.write` is filling when the process is interrupted
/// (Ctrl-C, SIGTERM, SIGHUP), which would otherwise stay behind, hidden and as large as the
/// output. The handler only unlinks the registered path (kept in a buffer allocated before
/// any signal) and re-raises the signal with its default action, both async-signal-safe.
enum InterruptCleanup {
    fileprivate static let capacity = 4096
    /// The path, NUL-terminated; an empty string when no temporary file is being written.
    fileprivate static let path: UnsafeMutablePointer<CChar> = {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
        buffer.initialize(repeating: 0, count: capacity)
        return buffer
    }()
    private static let installed: Void = {
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            // A signal the process was started ignoring (nohup, `&` in a script) stays ignored.
            var old = sigaction()
            sigaction(signal, nil, &old)
            if unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = removeTemporaryAndReraise
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }()

    static func register(_ temporary: String) {
        _ = installed
        let bytes = Array(temporary.utf8)
        guard bytes.count < capacity else { return }
        path[0] = 0
        for (index, byte) in bytes.enumerated().dropFirst() { path[index] = CChar(bitPattern: byte) }
        path[bytes.count] = 0
        path[0] = CChar(bitPattern: bytes.first ?? 0)  // last: the handler sees the whole path or none
    }

    static func clear() { path[0] = 0 }
}

private func removeTemporaryAndReraise(_ signal: Int32) {
    if InterruptCleanup.path[0] != 0 { unlink(InterruptCleanup.path) }
    var action = sigaction()
    action.__sigaction_handler.sa_handler = SIG_DFL
    sigemptyset(&action.sa_mask)
    sigaction(signal, &action, nil)
    raise(signal)
}
