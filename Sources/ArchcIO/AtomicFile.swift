import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file whole or not at all: bytes go to a temporary file beside the target,
/// which is then renamed over it.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw IOError(path, "cannot write: \((error as NSError).localizedDescription)")
        }
        // rename(2) replaces the target atomically: readers see the old file or the new one.
        // (Foundation's replaceItemAt on Linux removes the old file first, and can lose it.)
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw IOError(path, "cannot write: \(reason)")
        }
    }
}
