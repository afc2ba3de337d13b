import ArchcIO
import ArchcImage
import ArchcSpec
import Foundation
import XCTest

/// Inputs the libFuzzer targets (Tests/fuzz) found crashing, replayed through the same
/// reader in the normal suite: each must now give a result or an error.
final class FuzzCrashRegressionTests: XCTestCase {
    static let crashes = HostileFiles.root.appendingPathComponent("Tests/fuzz/crashes")

    /// The files under Tests/fuzz/crashes/<target>/.
    private func inputs(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let folder = Self.crashes.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        // Until a fuzzer finds one there is nothing to replay: a skip says so, a pass would not.
        guard !names.isEmpty else { throw XCTSkip("no crash input recorded under Tests/fuzz/crashes/\(target)") }
        return try names.sorted().map { ($0, [UInt8](try Data(contentsOf: folder.appendingPathComponent($0)))) }
    }

    func testCheckpointCrashes() throws {
        let safetensors = (try? inputs("fuzz-safetensors")) ?? [], torch = (try? inputs("fuzz-torch")) ?? []
        guard !(safetensors + torch).isEmpty else { throw XCTSkip("no crash input recorded under Tests/fuzz/crashes/fuzz-safetensors or fuzz-torch") }
        for (name, bytes) in safetensors + torch {
            if let tensors = try? CheckpointFormat.index(bytes, file: name) {
                for tensor in tensors.values where tensor.dims.reduce(1, *) <= 1_000_000 { _ = try? tensor.load() }
            }
            let unpickler = Unpickler(bytes)
            _ = try? unpickler.load()
        }
    }

    func testNPYCrashes() throws {
        for (name, bytes) in try inputs("fuzz-npy") { _ = try? NPY.decode(bytes, file: name) }
    }

    func testImageCrashes() throws {
        for (name, bytes) in try inputs("fuzz-image") {
            guard let image = try? DecodedImage.decode(bytes, file: name) else { continue }
            _ = try? Preprocessing.imagenet(size: 32).apply(image, file: name)
        }
    }

    func testSpecCrashes() throws {
        for (name, bytes) in try inputs("fuzz-spec") {
            let file = try HostileFiles.temporaryFolder(self).appendingPathComponent(name + ".yaml")
            try Data(bytes).write(to: file)
            _ = Compiler.compile(path: file.path)
        }
    }
}
