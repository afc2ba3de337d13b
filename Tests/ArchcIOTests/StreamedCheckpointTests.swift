import ArchcDriver
import ArchcIO
import ArchcIR
import Foundation
import XCTest

/// Checkpoints read from the file tensor by tensor (`CheckpointFormat.read`): the same
/// values as the whole file in memory, and a file that shrinks after it was indexed is an
/// error naming the file and the tensor, never a crash.
final class StreamedCheckpointTests: XCTestCase {
    private func seededTensors() throws -> [String: Tensor] {
        var options = PreparedModel.Options()
        options.elaboration.directory = CheckpointFormatTests.root.path
        return try PreparedModel.prepare(spec: "specs/tiny/tiny-resnet.yaml", options).get().plain!.constants
    }

    /// The tiny ResNet's seeded weights as a state dict in a torch.save zip (one storage).
    private func torchZip(_ tensors: [String: Tensor]) -> [UInt8] {
        var storage: [Float] = []
        var entries: [(name: String, offset: Int, shape: [Int], strides: [Int])] = []
        for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
            let strides = tensor.dims.indices.map { tensor.dims[($0 + 1)...].reduce(1, *) }
            entries.append((name, storage.count, tensor.dims, strides))
            storage += tensor.data
        }
        return HostileFiles.torchZip(pickle: HostileFiles.Pickle.stateDict(entries, elements: storage.count), storage: storage)
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let file = try HostileFiles.temporaryFolder(self).appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    func testTensorsReadFromTheFileEqualTheFileReadWhole() throws {
        let tensors = try seededTensors()
        for (name, bytes) in [("w.safetensors", [UInt8](Safetensors.encode(tensors))), ("w.pth", torchZip(tensors))] {
            let file = try write(bytes, name)
            XCTAssertEqual(try CheckpointFormat.read(file.path).loadAll(), try CheckpointFormat.index(bytes, file: file.path).loadAll(), name)
            XCTAssertEqual(try CheckpointFormat.read(file.path).loadAll(), tensors, name)
        }
    }

    /// Truncated between indexing and loading (what a memory map would turn into SIGBUS).
    func testFileTruncatedAfterIndexingIsANamedError() throws {
        let tensors = try seededTensors()
        for (name, bytes) in [("w.safetensors", [UInt8](Safetensors.encode(tensors))), ("w.pth", torchZip(tensors))] {
            let file = try write(bytes, name)
            let index = try CheckpointFormat.read(file.path)
            XCTAssertEqual(truncate(file.path, off_t(bytes.count / 2)), 0)
            let message = HostileFiles.message { try index.loadAll() }
            XCTAssertTrue(message.hasPrefix("\(file.path): error: tensor '"), message)
            XCTAssertTrue(message.contains("the file shrank after it was opened"), message)
        }
    }

    /// A hostile safetensors header gives the same error read from the file as from memory.
    func testHostileSafetensorsGiveTheSameErrorFromTheFile() throws {
        let data = [Float(1), 2].flatMap { HostileFiles.le(UInt64($0.bitPattern), 4) }
        let headers = [
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#,
            #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}"#,
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775800,9223372036854775807]}}"#,
            #"{"w":[1,2]}"#,
        ]
        for header in headers {
            let bytes = HostileFiles.safetensors(header: header, data: data, headerLength: header.utf8.count)
            let file = try write(bytes, "w.safetensors")
            let fromFile = HostileFiles.message { try CheckpointFormat.read(file.path).loadAll() }
            XCTAssertTrue(fromFile.hasPrefix("\(file.path): error: "), fromFile)
            XCTAssertEqual(fromFile, HostileFiles.message { try CheckpointFormat.index(bytes, file: file.path).loadAll() }, header)
        }
    }
}
