import ArchcDriver
import ArchcIO
import ArchcIR
import Foundation
import XCTest

/// Checkpoint formats are told apart by structure: every file against every reader, and a
/// real safetensors checkpoint whose header length begins with 0x80 (as a pickle does).
final class CheckpointFormatTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private let torch = root.appendingPathComponent("Tests/ArchcIOTests/Fixtures/torch")

    /// One file per format, with the format it must be detected as.
    private func samples() throws -> [(name: String, bytes: [UInt8], format: CheckpointFormat)] {
        let tensors = ["w": Tensor(dims: [2], data: [1, 2])]
        let plain = [UInt8](Safetensors.encode(tensors))
        // Header lengths 0x180 and 0x150: the first byte is a pickle's PROTO (0x80) or a zip's 'P' (0x50).
        let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let data = [Float(1), 2].flatMap { HostileFiles.le(UInt64($0.bitPattern), 4) }
        let pickleLike = HostileFiles.safetensors(header: header, data: data, headerLength: 0x180)
        let zipLike = HostileFiles.safetensors(header: header, data: data, headerLength: 0x150)
        XCTAssertEqual(pickleLike[0], 0x80)
        XCTAssertEqual(zipLike[0], 0x50)
        return [
            ("plain.safetensors", plain, .safetensors), ("0x80.safetensors", pickleLike, .safetensors), ("0x50.safetensors", zipLike, .safetensors),
            ("zip.pth", [UInt8](try Data(contentsOf: torch.appendingPathComponent("zip.pth"))), .torchZip),
            ("legacy.pth", [UInt8](try Data(contentsOf: torch.appendingPathComponent("legacy.pth"))), .torchLegacy),
            (
                "legacy-protocol4.pth",
                HostileFiles.legacy(root: HostileFiles.Pickle.stateDict([("w", 0, [2], [1])], elements: 2), storage: [1, 2], protocol4: true), .torchLegacy
            ),
        ]
    }

    func testEveryFileAgainstEveryReader() throws {
        for sample in try samples() {
            XCTAssertEqual(CheckpointFormat.detect(sample.bytes), sample.format, sample.name)
            XCTAssertFalse(try CheckpointFormat.index(sample.bytes, file: sample.name).isEmpty, sample.name)
            let safetensors = HostileFiles.message { try Safetensors.decode(sample.bytes, file: sample.name) }
            let torch = HostileFiles.message { try TorchCheckpoint.decode(sample.bytes, file: sample.name) }
            if sample.format == .safetensors {
                XCTAssertEqual(safetensors, "accepted", sample.name)
                XCTAssertEqual(torch, "\(sample.name): error: not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save pickle at byte 0)")
            } else {
                XCTAssertEqual(torch, "accepted", sample.name)
                XCTAssertTrue(safetensors.hasPrefix("\(sample.name): error: header length "), safetensors)
            }
        }
        for junk in [[UInt8](), Array("hello".utf8), [0x80, 0x02, 0x7D, 0x2E]] {
            XCTAssertNil(CheckpointFormat.detect(junk))
            XCTAssertTrue(HostileFiles.message { try CheckpointFormat.index(junk, file: "j") }.hasPrefix("j: error: not a checkpoint: neither safetensors"))
        }
    }

    /// A torch.save zip cut short (an interrupted download) was "not a checkpoint: neither
    /// safetensors, ..."; it is named as a truncated zip archive, with where the file ends.
    func testTruncatedZipIsNamedTruncated() throws {
        let whole = HostileFiles.torchZip(pickle: HostileFiles.Pickle.stateDict([("w", 0, [2], [1])], elements: 2), storage: [1, 2])
        for length in [6, 30, whole.count / 2, whole.count - 1] {
            let expected =
                "t.pth: error: truncated zip archive: it starts like a torch.save zip but has no end-of-central-directory record; the file ends at byte \(length)"
            XCTAssertNil(CheckpointFormat.detect(Array(whole.prefix(length))))
            XCTAssertEqual(HostileFiles.message { try CheckpointFormat.index(Array(whole.prefix(length)), file: "t.pth") }, expected)
            XCTAssertEqual(HostileFiles.message { try TorchCheckpoint.decode(Array(whole.prefix(length)), file: "t.pth") }, expected)
        }
    }

    /// The 1-in-256 safetensors file main refused ("unsupported pickle opcode 0x0"), end to
    /// end: seeded weights of a real spec saved with a 0x80-leading header, then loaded.
    func testSafetensorsWhoseHeaderLengthStartsWith0x80LoadsIntoASpec() throws {
        var fromRoot = PreparedModel.Options()
        fromRoot.elaboration.directory = CheckpointFormatTests.root.path
        let seeded = try PreparedModel.prepare(spec: "specs/tiny/tiny-resnet.yaml", fromRoot).get()
        var bytes = [UInt8](Safetensors.encode(seeded.plain!.constants))
        let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
        let padded = (length / 256 + 1) * 256 + 0x80
        bytes = HostileFiles.le(UInt64(padded), 8) + bytes[8..<(8 + length)] + [UInt8](repeating: 0x20, count: padded - length) + bytes[(8 + length)...]
        XCTAssertEqual(bytes[0], 0x80)
        let file = try HostileFiles.temporaryFolder(self).appendingPathComponent("weights.pth")
        try Data(bytes).write(to: file)
        var options = PreparedModel.Options()
        options.weights = file.path
        options.strict = true
        let loaded = try PreparedModel.prepare(spec: "specs/tiny/tiny-resnet.yaml", options).get()
        XCTAssertEqual(loaded.plain!.constants, seeded.plain!.constants)
    }
}

/// Tensors the spec does not use are listed, never materialised.
final class LazyCheckpointTests: XCTestCase {
    /// A .pth holding the spec's tensors plus an unused [1e9] view with stride 0 over one
    /// element: materialised, it took 4 GB.
    func testUnusedHugeStrideZeroTensorIsNeverMaterialised() throws {
        var fromRoot = PreparedModel.Options()
        fromRoot.elaboration.directory = CheckpointFormatTests.root.path
        let seeded = try PreparedModel.prepare(spec: "specs/tiny/tiny-resnet.yaml", fromRoot).get()
        var storage: [Float] = []
        var entries: [(name: String, offset: Int, shape: [Int], strides: [Int])] = []
        for (name, tensor) in seeded.plain!.constants.sorted(by: { $0.key < $1.key }) {
            let strides = tensor.dims.indices.map { tensor.dims[($0 + 1)...].reduce(1, *) }
            entries.append((name, storage.count, tensor.dims, strides))
            storage += tensor.data
        }
        entries.append(("unused", 0, [1_000_000_000], [0]))
        let pickle = HostileFiles.Pickle.stateDict(entries, elements: storage.count)
        let file = try HostileFiles.temporaryFolder(self).appendingPathComponent("w.pth")
        try Data(HostileFiles.torchZip(pickle: pickle, storage: storage)).write(to: file)
        var options = PreparedModel.Options()
        options.weights = file.path
        let before = Self.peakResidentBytes()
        let loaded = try PreparedModel.prepare(spec: "specs/tiny/tiny-resnet.yaml", options).get()
        XCTAssertLessThan(Self.peakResidentBytes() - before, 1 << 30, "the unused tensor was materialised")
        XCTAssertEqual(loaded.unusedTensors, ["unused"])
        XCTAssertEqual(loaded.plain!.constants, seeded.plain!.constants)
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
