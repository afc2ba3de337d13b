import ArchcIO
import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Reading refuses what is not a regular file or is too large; writing never replaces a
/// device node and never follows a planted temporary name.
final class FileAccessTests: XCTestCase {
    /// glibc's makedev (a macro, not imported into Swift): the number of device `major:minor`.
    static func device(_ major: UInt64, _ minor: UInt64) -> dev_t {
        dev_t((minor & 0xFF) | (major & 0xFFF) << 8 | (minor & ~0xFF) << 12 | (major & ~0xFFF) << 32)
    }

    func testFIFOsDevicesFoldersAndMissingFilesAreRefusedWithoutBlocking() throws {
        let dir = try HostileFiles.temporaryFolder(self)
        let fifo = dir.appendingPathComponent("weights.safetensors").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertEqual(HostileFiles.message { try CheckpointFormat.read(fifo) }, "\(fifo): error: not a regular file (a FIFO)")
        XCTAssertEqual(HostileFiles.message { try NPY.read(fifo) }, "\(fifo): error: not a regular file (a FIFO)")
        XCTAssertEqual(HostileFiles.message { try CheckpointFormat.read(dir.path) }, "\(dir.path): error: not a regular file (a directory)")
        let missing = dir.appendingPathComponent("missing.pth").path
        XCTAssertEqual(HostileFiles.message { try CheckpointFormat.read(missing) }, "\(missing): error: no such file")
        XCTAssertEqual(HostileFiles.message { try Safetensors.read(missing) }, "\(missing): error: no such file")
    }

    /// Sparse files one byte over each reader's size limit: refused before reading.
    func testFileSizeLimits() throws {
        let dir = try HostileFiles.temporaryFolder(self)
        func sparse(_ name: String, _ size: Int) throws -> String {
            let path = dir.appendingPathComponent(name).path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
            XCTAssertEqual(truncate(path, off_t(size)), 0)
            return path
        }
        let weights = try sparse("big.safetensors", ReaderLimits.weightFileBytes + 1)
        XCTAssertEqual(
            HostileFiles.message { try CheckpointFormat.read(weights) },
            "\(weights): error: file of 17179869185 bytes is over the 17179869184 byte limit for a checkpoint (docs/limits.md)")
        let npy = try sparse("big.npy", ReaderLimits.npyFileBytes + 1)
        XCTAssertEqual(
            HostileFiles.message { try NPY.read(npy) },
            "\(npy): error: file of 4294967297 bytes is over the 4294967296 byte limit for a .npy file (docs/limits.md)")
    }

    /// `-o` on a device node (made here, never the real /dev/null) writes through it and leaves it a device.
    func testWritingToADeviceNodeKeepsTheDevice() throws {
        let dir = try HostileFiles.temporaryFolder(self)
        let device = dir.appendingPathComponent("null").path
        guard mknod(device, S_IFCHR | 0o666, Self.device(1, 3)) == 0 else {
            throw XCTSkip("mknod is not permitted here (errno \(errno)): cannot make a device node to write to")
        }
        try AtomicFile.write(Data("discarded".utf8), to: device)
        var info = stat()
        XCTAssertEqual(lstat(device, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "still a character device")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["null"], "no temporary file left")
    }

    /// A symlink planted at the temporary name the writer used to choose is never followed.
    func testPlantedSymlinkAtTheOldTemporaryNameIsNotFollowed() throws {
        let dir = try HostileFiles.temporaryFolder(self)
        let victim = dir.appendingPathComponent("victim").path
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let target = dir.appendingPathComponent("out.ir").path
        let planted = dir.appendingPathComponent(".out.ir.\(ProcessInfo.processInfo.processIdentifier).tmp").path
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: victim)
        try AtomicFile.write(Data("output".utf8), to: target)
        XCTAssertEqual(FileManager.default.contents(atPath: victim), Data("precious".utf8))
        XCTAssertEqual(FileManager.default.contents(atPath: target), Data("output".utf8))
        var info = stat()
        XCTAssertEqual(lstat(target, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFREG, "the output is a regular file, not the planted link")
    }

    /// A stream by name is written through the descriptor: appended where it was opened to
    /// append (`-o /dev/stdout >> log` replaced the log, and later writes to the stream went
    /// to the unlinked old file).
    func testStreamsByNameAreWrittenThroughTheirDescriptor() throws {
        let dir = try HostileFiles.temporaryFolder(self)
        let log = dir.appendingPathComponent("log.txt").path
        try Data("earlier line\n".utf8).write(to: URL(fileURLWithPath: log))
        var before = stat()
        XCTAssertEqual(stat(log, &before), 0)
        let fd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        try AtomicFile.write(Data("output\n".utf8), to: "/dev/fd/\(fd)")
        try AtomicFile.write(Data("more\n".utf8), to: "/proc/self/fd/\(fd)")
        XCTAssertEqual(FileManager.default.contents(atPath: log), Data("earlier line\noutput\nmore\n".utf8))
        var after = stat()
        XCTAssertEqual(stat(log, &after), 0)
        XCTAssertEqual(after.st_ino, before.st_ino, "the same file, not a replacement")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["log.txt"])
    }

    /// Replacing a file keeps its permission bits (a 0600 file became 0644, world-readable).
    func testReplacingAFileKeepsItsPermissions() throws {
        let dir = try HostileFiles.temporaryFolder(self)
        for mode: mode_t in [0o600, 0o640, 0o755] {
            let path = dir.appendingPathComponent("out-\(String(mode, radix: 8))").path
            try Data("old".utf8).write(to: URL(fileURLWithPath: path))
            XCTAssertEqual(chmod(path, mode), 0)
            try AtomicFile.write(Data("new".utf8), to: path)
            var info = stat()
            XCTAssertEqual(stat(path, &info), 0)
            XCTAssertEqual(info.st_mode & 0o777, mode, path)
            XCTAssertEqual(FileManager.default.contents(atPath: path), Data("new".utf8))
        }
    }

    /// A symlink chain that ends nowhere (through a second dangling link, or a loop) is
    /// refused and left as it was; it was replaced by a regular file.
    func testSymlinkChainsThatLeadNowhereAreRefused() throws {
        let dir = try HostileFiles.temporaryFolder(self)
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("chain0").path, withDestinationPath: "chain1")
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("chain1").path, withDestinationPath: "chain2")
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("loop").path, withDestinationPath: "loop")
        for (name, link) in [("chain0", "chain1"), ("loop", "loop")] {
            let path = dir.appendingPathComponent(name).path
            let message = HostileFiles.message { try AtomicFile.write(Data("x".utf8), to: path) }
            XCTAssertTrue(message.hasPrefix("\(path): error: cannot write: the symlink \(dir.path)/\(link) leads to no file"), message)
        }
        XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("chain1").path), "chain2")
        XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("loop").path), "loop")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir.path).sorted(), ["chain0", "chain1", "loop"])
        // A single dangling link still names a new file, made where it points.
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("fresh").path, withDestinationPath: "made.bin")
        try AtomicFile.write(Data("x".utf8), to: dir.appendingPathComponent("fresh").path)
        XCTAssertEqual(fm.contents(atPath: dir.appendingPathComponent("made.bin").path), Data("x".utf8))
    }

    /// File names come from folders and manifests: their control, format and separator
    /// characters are escaped in every message that names them (an ESC in a photo's name set
    /// the terminal's title, a bell rang, U+202E reversed the rest of the line).
    func testErrorsShowControlCharactersInFileNamesEscaped() {
        let error = IOError("tree/1/bad\u{1B}]0;TITLE\u{07}\u{202E}gpj.\n.jpg", "invalid JPEG")
        XCTAssertEqual(error.description, "tree/1/bad\\u{1B}]0;TITLE\\u{07}\\u{202E}gpj.\\n.jpg: error: invalid JPEG")
        XCTAssertEqual(IOError.printable("plain/path ok.png"), "plain/path ok.png")
    }

    /// Failures leave no temporary file behind, and a link to a regular file stays a link.
    func testFailuresCleanUpAndLinksToFilesSurvive() throws {
        let dir = try HostileFiles.temporaryFolder(self)
        let folder = dir.appendingPathComponent("folder").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        XCTAssertEqual(HostileFiles.message { try AtomicFile.write(Data("x".utf8), to: folder) }, "\(folder): error: cannot write: is a directory")
        // A device that is always full (like /dev/full, made here): the write error is reported.
        let full = dir.appendingPathComponent("full").path
        if mknod(full, S_IFCHR | 0o666, Self.device(1, 7)) == 0 {
            XCTAssertTrue(HostileFiles.message { try AtomicFile.write(Data("x".utf8), to: full) }.hasPrefix("\(full): error: cannot write at byte 0: "))
            try FileManager.default.removeItem(atPath: full)
        }
        let real = dir.appendingPathComponent("real.npy").path
        let link = dir.appendingPathComponent("link.npy").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.npy")
        try AtomicFile.write(Data("through the link".utf8), to: link)
        XCTAssertEqual(FileManager.default.contents(atPath: real), Data("through the link".utf8))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "real.npy")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["folder", "link.npy", "real.npy"])
    }
}
