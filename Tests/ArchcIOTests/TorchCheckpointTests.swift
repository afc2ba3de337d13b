import ArchcIO
import ArchcIR
import Foundation
import XCTest

/// PyTorch checkpoints read in Swift: both torch.save formats, views with offsets and
/// strides, float16, a state dict nested beside training arguments, and a pickle that asks
/// to run code (it is never run). Fixtures: Tests/python/make_torch_fixtures.py.
final class TorchCheckpointTests: XCTestCase {
    private let dir = IOTest.fixtures.appendingPathComponent("torch")

    private func check(_ tensors: [String: Tensor], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(tensors.keys.sorted(), ["conv.bias", "conv.weight", "fc.weight"], file: file, line: line)
        XCTAssertEqual(tensors["conv.weight"], Tensor(dims: [2, 3, 2, 2], data: (0..<24).map { Float($0) / 4 }), file: file, line: line)
        XCTAssertEqual(tensors["conv.bias"], Tensor(dims: [2], data: [-2, 0.5]), "a float16 view at offset 1", file: file, line: line)
        // fc.weight is the first 12 values viewed with strides (1, 4): element (i, j) = storage[i + 4j].
        XCTAssertEqual(tensors["fc.weight"]?.data, (0..<4).flatMap { i in (0..<3).map { j in Float(i + 4 * j) / 4 } }, file: file, line: line)
    }

    func testZipAndLegacyFormats() throws {
        check(try TorchCheckpoint.read(dir.appendingPathComponent("zip.pth").path))
        check(try TorchCheckpoint.read(dir.appendingPathComponent("legacy.pth").path))
    }

    func testNestedStateDictAndUnknownObjectsNeverRun() throws {
        try? FileManager.default.removeItem(atPath: "/tmp/archc-pwned")
        check(try TorchCheckpoint.read(dir.appendingPathComponent("nested.pth").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/archc-pwned"), "a pickled os.system call must never run")
    }

    func testBadFilesAreClearErrors() throws {
        let truncated = dir.appendingPathComponent("truncated.pth").path
        XCTAssertThrowsError(try TorchCheckpoint.read(truncated)) { error in
            XCTAssertTrue("\(error)".hasSuffix("truncated.pth: error: storage '1' claims 3 elements at byte 638, past the end of the file"), "\(error)")
        }
        XCTAssertThrowsError(try TorchCheckpoint.decode(Array("hello".utf8), file: "x.pth")) { error in
            XCTAssertEqual("\(error)", "x.pth: error: not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save pickle at byte 0)")
        }
        let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        XCTAssertThrowsError(try TorchCheckpoint.decode(magic + [0x80, 0x02, 0x7D, 0x71], file: "y.pth")) { error in
            XCTAssertTrue("\(error)".hasPrefix("y.pth: error: not a torch.save file: "), "\(error)")
        }
        // Random corruption of every fixture: an error or a result, never a crash or a hang.
        var rng = SeededGenerator(seed: 17)
        for name in ["zip.pth", "legacy.pth", "nested.pth"] {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
            for _ in 0..<300 {
                var mutated = bytes
                for _ in 0..<3 { mutated[Int(rng.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                _ = try? TorchCheckpoint.decode(Array(mutated.prefix(Int(rng.next() % UInt64(mutated.count + 1)))), file: name)
            }
        }
    }
}
