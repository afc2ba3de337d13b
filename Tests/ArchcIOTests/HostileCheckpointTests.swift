import ArchcIO
import ArchcIR
import Foundation
import XCTest

/// Checkpoints crafted to overflow, recurse, loop or allocate: each is a clear error (or a
/// correct result) at once. Every one of them trapped, overflowed the stack, hung or ran
/// out of memory before the readers checked their arithmetic, depth and sizes.
final class HostileCheckpointTests: XCTestCase {
    private typealias Pickle = HostileFiles.Pickle

    func testSafetensorsOffsetsNear2To63() {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[9223372036854775800,9223372036854775804]}}"#
        XCTAssertEqual(
            HostileFiles.message { try Safetensors.decode(HostileFiles.safetensors(header: header, data: [0, 0, 0, 0]), file: "s") },
            "s: error: tensor 'w': data_offsets [9223372036854775800, 9223372036854775804] run past the end of the data (4 bytes)")
    }

    /// Headers that were accepted or mis-described: a name given twice (the JSON parser kept
    /// the last), tensors sharing bytes, offsets reversed or negative ("run past the end").
    func testSafetensorsDuplicatesOverlapsAndReversedOffsets() {
        func message(_ header: String) -> String {
            HostileFiles.message { try Safetensors.decode(HostileFiles.safetensors(header: header, data: [UInt8](repeating: 0, count: 16)), file: "s") }
        }
        let w = #""dtype":"F32","shape":[1]"#
        XCTAssertEqual(
            message(#"{"a":{\#(w),"data_offsets":[0,4]},"a":{\#(w),"data_offsets":[4,8]}}"#),
            "s: error: tensor 'a' appears twice in the header")
        XCTAssertEqual(
            message(#"{"a":{\#(w),"data_offsets":[0,4]},"a":{\#(w),"data_offsets":[4,8]}}"#),
            "s: error: tensor 'a' appears twice in the header")
        XCTAssertEqual(
            message(#"{"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"a":{\#(w),"data_offsets":[8,12]}}"#),
            "s: error: tensors 'b' and 'a' overlap: data_offsets [4, 12] and [8, 12]")
        XCTAssertEqual(message(#"{"a":{\#(w),"data_offsets":[4,0]}}"#), "s: error: tensor 'a': data_offsets [4, 0] begin after they end")
        XCTAssertEqual(message(#"{"a":{\#(w),"data_offsets":[-4,0]}}"#), "s: error: tensor 'a': data_offsets [-4, 0] are negative")
        // Names that only look alike, nested keys that repeat, and empty tensors at one offset are fine.
        XCTAssertEqual(
            message(
                #"{"__metadata__":{"a":"1"},"a":{\#(w),"data_offsets":[0,4]},"a.b":{\#(w),"data_offsets":[4,8]},"#
                    + #""e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"f":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#),
            "accepted")
    }

    func testTorchSizesStridesAndOffsetsNear2To32And2To63() {
        let cases: [(offset: Int, shape: [Int], strides: [Int], error: String)] = [
            (0, [1 << 32, 1 << 32], [1, 1], "invalid shape [4294967296, 4294967296]"),
            (0, [2], [1 << 62], "runs past its storage of 4 elements"),
            (Int.max, [1], [1], "runs past its storage of 4 elements"),
            (1 << 62, [3, 3], [1 << 61, 1 << 61], "runs past its storage of 4 elements"),
            (0, [1 << 31, 2], [1 << 32, 1], "invalid shape [2147483648, 2]"),
        ]
        for c in cases {
            let pickle = Pickle.stateDict([("w", c.offset, c.shape, c.strides)], elements: 4)
            for (format, bytes) in [
                ("zip", HostileFiles.torchZip(pickle: pickle, storage: [1, 2, 3, 4])), ("legacy", HostileFiles.legacy(root: pickle, storage: [1, 2, 3, 4])),
            ] {
                let message = HostileFiles.message { try TorchCheckpoint.decode(bytes, file: "t.pth") }
                XCTAssertTrue(message.hasPrefix("t.pth: error: tensor 'w': ") && message.contains(c.error), "\(format) \(c): \(message)")
            }
        }
    }

    func testZip64CountsOffsetsAndSizesNear2To63() {
        let pickle = Pickle.stateDict([("w", 0, [1], [1])], elements: 1)
        let good = HostileFiles.torchZip(pickle: pickle, storage: [7])
        XCTAssertEqual(try TorchCheckpoint.decode(good, file: "z")["w"]?.data, [7])
        let eocd = good.count - 22
        func zip64(count: UInt64, directory: UInt64, record: UInt64? = nil) -> [UInt8] {
            // A ZIP64 end record and locator before an end record whose count and offset are saturated.
            var bytes = Array(good[..<eocd])
            let recordAt = UInt64(bytes.count)
            bytes += HostileFiles.le(0x0606_4B50, 4) + HostileFiles.le(44, 8) + [45, 0, 45, 0] + HostileFiles.le(0, 8)
            bytes += HostileFiles.le(count, 8) + HostileFiles.le(count, 8) + HostileFiles.le(0, 8) + HostileFiles.le(directory, 8)
            bytes += HostileFiles.le(0x0706_4B50, 4) + HostileFiles.le(0, 4) + HostileFiles.le(record ?? recordAt, 8) + HostileFiles.le(1, 4)
            bytes +=
                HostileFiles.le(0x0605_4B50, 4) + HostileFiles.le(0, 4) + [0xFF, 0xFF, 0xFF, 0xFF] + HostileFiles.le(0, 4) + [0xFF, 0xFF, 0xFF, 0xFF, 0, 0]
            return bytes
        }
        let directory = UInt64(good[eocd + 16]) | UInt64(good[eocd + 17]) << 8
        XCTAssertEqual(try TorchCheckpoint.decode(zip64(count: 2, directory: directory), file: "z")["w"]?.data, [7], "a well-formed ZIP64 archive")
        let cases: [([UInt8], String)] = [
            (zip64(count: UInt64(Int.max), directory: directory), "claims 9223372036854775807 entries"),
            (zip64(count: 1 << 63, directory: directory), "is too large"),
            (zip64(count: 2, directory: UInt64(Int.max) - 10), "bad zip central directory entry at byte 9223372036854775797"),
            (zip64(count: 2, directory: directory, record: UInt64(Int.max) - 20), "bad ZIP64 end record at byte 9223372036854775787"),
        ]
        for (bytes, error) in cases {
            let message = HostileFiles.message { try TorchCheckpoint.decode(bytes, file: "z") }
            XCTAssertTrue(message.hasPrefix("z: error: ") && message.contains(error), message)
        }
    }

    func testZip64ExtraFieldsWithHugeSizesOrRunningOffTheEnd() {
        let pickle = Pickle.stateDict([("w", 0, [1], [1])], elements: 1)
        // An extra field whose declared length runs past the entry (and the file).
        let runaway = HostileFiles.zip([("archive/data.pkl", pickle)], centralExtra: [1, 0, 0xFF, 0x00])
        XCTAssertTrue(HostileFiles.message { try TorchCheckpoint.decode(runaway, file: "z") }.contains("runs past"))
        // A saturated size whose ZIP64 value is 2^63 - 1, and one whose ZIP64 field is missing.
        var saturated = HostileFiles.zip([("archive/data.pkl", pickle)], centralExtra: [1, 0, 8, 0] + HostileFiles.le(UInt64(Int.max), 8))
        let central = saturated.count - 22 - 46 - "archive/data.pkl".utf8.count - 12
        for i in 20..<24 { saturated[central + i] = 0xFF }
        XCTAssertTrue(HostileFiles.message { try TorchCheckpoint.decode(saturated, file: "z") }.contains("claims 9223372036854775807 bytes"))
        var short = HostileFiles.zip([("archive/data.pkl", pickle)], centralExtra: [1, 0, 0, 0])
        for i in 20..<24 { short[short.count - 22 - 46 - 16 - 4 + i] = 0xFF }
        XCTAssertTrue(HostileFiles.message { try TorchCheckpoint.decode(short, file: "z") }.contains("ZIP64 field of 'archive/data.pkl' too short"))
    }

    func testDuplicateZipEntriesAreAnError() {
        let pickle = Pickle.stateDict([("w", 0, [1], [1])], elements: 1)
        let storage = HostileFiles.le(UInt64(Float(1).bitPattern), 4)
        let twice = HostileFiles.zip([("archive/data.pkl", pickle), ("archive/data/0", storage), ("archive/data.pkl", Pickle.stateDict([], elements: 0))])
        XCTAssertEqual(
            HostileFiles.message { try TorchCheckpoint.decode(twice, file: "z") },
            "z: error: zip archive holds 'archive/data.pkl' twice (second at byte \(twice.count - 22 - 62))")
        let two = HostileFiles.zip([("a/data.pkl", pickle), ("b/data.pkl", pickle)])
        XCTAssertEqual(
            HostileFiles.message { try TorchCheckpoint.decode(two, file: "z") },
            "z: error: zip archive holds 2 data.pkl entries (a/data.pkl, b/data.pkl): which one is the checkpoint is ambiguous")
    }
}

/// Each safetensors limit of `ReaderLimits`, one over: a clear error before the header is parsed.
final class SafetensorsLimitTests: XCTestCase {
    func testHeaderLengthJustOverTheLimit() {
        let bytes = HostileFiles.le(UInt64(ReaderLimits.safetensorsHeaderBytes + 1), 8) + Array("{}".utf8)
        XCTAssertEqual(
            HostileFiles.message { try Safetensors.decode(bytes, file: "h") },
            "h: error: header length 16777217 is over the 16777216 byte limit (docs/limits.md)")
    }

    /// 100,001 entries, and a million (1.5 million took 6 GB to parse): refused, the second before parsing.
    func testEntryCountJustOverTheLimit() {
        var distinct = "{"
        for i in 0...ReaderLimits.tensorCount { distinct += "\"t\(i)\":{}," }
        distinct.removeLast()
        // The million need not be distinct: they are counted before the JSON is parsed.
        let million = "{" + String(repeating: "\"t\":{},", count: 1_000_000) + "\"t\":{}}"
        for (header, expected) in [(distinct + "}", "100001"), (million, "more than 100000")] {
            XCTAssertEqual(
                HostileFiles.message { try Safetensors.decode(HostileFiles.safetensors(header: header), file: "n") },
                "n: error: header holds \(expected) entries, over the limit of 100000 tensors (docs/limits.md)")
        }
    }

    func testRankAndElementsJustOverTheLimits() {
        let rank9 = #"{"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}}"#
        XCTAssertEqual(
            HostileFiles.message { try Safetensors.decode(HostileFiles.safetensors(header: rank9, data: [0, 0, 0, 0]), file: "r") },
            "r: error: tensor 'w': invalid shape [1, 1, 1, 1, 1, 1, 1, 1, 1] (at most 8 dimensions and 1073741824 elements)")
        let big = #"{"w":{"dtype":"F16","shape":[1073741825],"data_offsets":[0,2147483650]}}"#
        XCTAssertEqual(
            HostileFiles.message { try Safetensors.decode(HostileFiles.safetensors(header: big), file: "e") },
            "e: error: tensor 'w': invalid shape [1073741825] (at most 8 dimensions and 1073741824 elements)")
    }
}
