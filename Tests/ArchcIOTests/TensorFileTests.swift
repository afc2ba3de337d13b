import ArchcIO
import ArchcIR
import Foundation
import XCTest

/// .npy and safetensors: round trips, and every bad file a clear error, never a crash.
final class TensorFileTests: XCTestCase {
    func testNPYRoundTripAndErrors() throws {
        let tensor = IOTest.random([2, 3, 4, 5], seed: 1)
        let bytes = [UInt8](NPY.encode(tensor))
        XCTAssertEqual(bytes.count % 64, 0 + (tensor.count * 4) % 64, "header padded to 64 bytes")
        XCTAssertEqual(try NPY.decode(bytes, file: "x.npy"), tensor)
        let vector = Tensor(dims: [7], data: (0..<7).map(Float.init))
        XCTAssertEqual(try NPY.decode([UInt8](NPY.encode(vector)), file: "v.npy"), vector)

        func message(_ bytes: [UInt8]) -> String {
            do { _ = try NPY.decode(bytes, file: "bad.npy"); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(Array("hello world".utf8)), "bad.npy: error: not a .npy file (bad magic at byte 0)")
        XCTAssertEqual(message([]), "bad.npy: error: empty file (0 bytes), not a .npy file")
        XCTAssertEqual(message(Array(bytes.dropLast(4))), "bad.npy: error: shape [2, 3, 4, 5] needs 480 bytes of data after byte 128, found 476")
        var wrongType = bytes
        if let range = wrongType.firstRange(of: Array("<f4".utf8)) { wrongType.replaceSubrange(range, with: Array("<f8".utf8)) }
        XCTAssertEqual(message(wrongType), "bad.npy: error: expected float32 data ('<f4'), found '<f8'; convert with array.astype(numpy.float32)")
        XCTAssertEqual(message(Array(bytes.prefix(20))), "bad.npy: error: header claims 118 bytes but the file ends at byte 20")
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<300 {
            var mutated = bytes
            for _ in 0..<3 { mutated[Int(rng.next() % UInt64(min(mutated.count, 140)))] = UInt8(truncatingIfNeeded: rng.next()) }
            _ = message(Array(mutated.prefix(Int(rng.next() % UInt64(mutated.count + 1)))))
        }
    }

    func testSafetensorsRoundTripAndErrors() throws {
        let tensors = ["a.weight": IOTest.random([4, 3], seed: 2), "b": IOTest.random([5], seed: 3)]
        let bytes = [UInt8](Safetensors.encode(tensors))
        XCTAssertEqual(try Safetensors.decode(bytes, file: "w.safetensors"), tensors)

        func message(_ bytes: [UInt8]) -> String {
            do { _ = try Safetensors.decode(bytes, file: "bad.safetensors"); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(message([1, 2, 3]), "bad.safetensors: error: truncated: 3 bytes, expected at least an 8-byte header length")
        XCTAssertTrue(
            message(Array(bytes.dropLast(8))).contains("tensor 'b': data_offsets [48, 68] run past the end of the data"), message(Array(bytes.dropLast(8))))
        var lying = bytes
        lying[0] = 0xFF
        lying[1] = 0xFF
        XCTAssertTrue(message(lying).contains("runs past the end of the file"), message(lying))
        let header = #"{"x":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}"#
        var int8 = [UInt8](repeating: 0, count: 8)
        int8[0] = UInt8(header.utf8.count)
        XCTAssertEqual(
            message(int8 + Array(header.utf8) + [1, 2]), "bad.safetensors: error: tensor 'x': dtype I8 is not supported (float32, float16, bfloat16)")
        let half = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"g":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}}"#
        var f16 = [UInt8](repeating: 0, count: 8)
        f16[0] = UInt8(half.utf8.count)
        let decoded = try Safetensors.decode(f16 + Array(half.utf8) + [0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F], file: "h")
        XCTAssertEqual(decoded["h"]?.data, [1, -2])
        XCTAssertEqual(decoded["g"]?.data, [1])
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<300 {
            var mutated = bytes
            for _ in 0..<4 { mutated[Int(rng.next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            _ = message(mutated)
        }
    }

    func testWeightLoaderChecksNamesAndShapes() throws {
        var graph = try IRParser.parse(
            """
            graph @"g"(%0: [N, 2]) -> %1 {
              %1 = linear(%0) [@"fc.weight", @"fc.bias"] : [N, 3] loc("fc")
            }
            const @"fc.weight" : [3, 2]
            const @"fc.bias" : [3]
            """, seed: nil
        ).get()
        let good = [
            "module.fc.weight": IOTest.random([3, 2], seed: 1), "module.fc.bias": IOTest.random([3], seed: 2),
            "module.extra": IOTest.random([1], seed: 3),
        ]
        let outcome = try WeightLoader.load(good, into: &graph, file: "w", stripPrefix: "module.")
        XCTAssertEqual(outcome.unused, ["extra"])
        XCTAssertEqual(graph.constants["fc.weight"], good["module.fc.weight"])
        XCTAssertThrowsError(try WeightLoader.load(good, into: &graph, file: "w", stripPrefix: "module.", strict: true)) {
            XCTAssertEqual("\($0)", "w: error: 1 tensor the spec does not use (--strict): 'extra'")
        }
        XCTAssertThrowsError(try WeightLoader.load(["fc.weight": IOTest.random([2, 3], seed: 1)], into: &graph, file: "w")) {
            XCTAssertEqual("\($0)", "w: error: tensor 'fc.weight' has shape [2, 3], the spec expects [3, 2]")
        }
        XCTAssertThrowsError(try WeightLoader.load(["fc.weight": IOTest.random([3, 2], seed: 1)], into: &graph, file: "w")) {
            XCTAssertEqual("\($0)", "w: error: missing 1 tensor the spec needs: 'fc.bias'")
        }
        // A DataParallel checkpoint without --strip-prefix: the message names the prefix.
        XCTAssertThrowsError(try WeightLoader.load(good, into: &graph, file: "w")) {
            XCTAssertEqual(
                "\($0)",
                "w: error: missing 2 tensors the spec needs: 'fc.bias', 'fc.weight'; every one is in the file under the prefix 'module.': add --strip-prefix 'module.'"
            )
        }
        // Two names that are one after stripping: one of them silently won.
        var both = good
        both["fc.bias"] = IOTest.random([3], seed: 9)
        XCTAssertThrowsError(try WeightLoader.load(both, into: &graph, file: "w", stripPrefix: "module.")) {
            XCTAssertEqual("\($0)", "w: error: tensors 'fc.bias' and 'module.fc.bias' both load as 'fc.bias' with --strip-prefix 'module.'")
        }
        // A NaN weight gave NaN outputs in fp32, but int8 quantized it to 0 and printed
        // ordinary predictions: the checkpoint is refused, naming the tensor as the file does.
        var broken = good
        broken["module.fc.weight"]!.data[4] = .nan
        broken["module.fc.weight"]!.data[5] = -.infinity
        XCTAssertThrowsError(try WeightLoader.load(broken, into: &graph, file: "w", stripPrefix: "module.")) {
            XCTAssertEqual("\($0)", "w: error: tensor 'module.fc.weight' holds 2 NaN or infinite value(s) (the first, nan, at flat index 4)")
        }
    }

    /// An int64 tensor (or one of a storage class archc does not know) that the spec needs
    /// was reported "missing"; it is named with its dtype. Ones the spec does not use are
    /// still skipped silently, as `num_batches_tracked` always was.
    func testUnsupportedDtypeIsNamedNotMissing() throws {
        var graph = try IRParser.parse(
            """
            graph @"g"(%0: [N, 1]) -> %1 {
              %1 = linear(%0) [@"fc.weight", @"fc.bias"] : [N, 1] loc("fc")
            }
            const @"fc.weight" : [1, 1]
            const @"fc.bias" : [1]
            """, seed: nil
        ).get()
        for (type, shown) in [("LongStorage", "dtype int64"), ("os_system", "storage type 'os_system'")] {
            let p = HostileFiles.Pickle()
            p.op(0x7D)
            p.mark()
            p.string("fc.weight")
            p.tensor(storage: "0", elements: 1, offset: 0, shape: [1, 1], strides: [1, 1], type: type)
            p.string("fc.bias")
            p.tensor(storage: "0", elements: 1, offset: 0, shape: [1], strides: [1])
            p.string("bn.num_batches_tracked")
            p.tensor(storage: "0", elements: 1, offset: 0, shape: [], strides: [], type: "LongStorage")
            p.op(0x75)
            p.stop()
            let bytes = HostileFiles.torchZip(pickle: p.bytes, storage: [1, 2])
            XCTAssertEqual(
                HostileFiles.message { try WeightLoader.load(try TorchCheckpoint.index(bytes, file: "w.pth"), into: &graph, file: "w.pth") },
                "w.pth: error: tensor 'fc.weight' has \(shown), which archc does not read (float32, float16, bfloat16, float64)")
            XCTAssertEqual(try TorchCheckpoint.decode(bytes, file: "w.pth").keys.sorted(), ["fc.bias"])
        }
    }
}

/// Output files are written whole or not at all, and replacing one never loses it.
final class AtomicFileTests: XCTestCase {
    func testReplacingKeepsOneWholeFileAndFailuresLeaveTheOldOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("archc-atomic-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("out.bin").path
        try AtomicFile.write(Data("first".utf8), to: path)
        try AtomicFile.write(Data("second".utf8), to: path)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("second".utf8))
        try AtomicFile.write(Data("third".utf8), to: path)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("third".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.bin"], "no temporary file left behind")
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: dir.appendingPathComponent("missing/out.bin").path))
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("third".utf8))
    }
}
