import ArchcIO
import ArchcSpec
import Foundation
import XCTest

/// Builders for hostile files crafted byte by byte in the tests: pickles, torch.save
/// checkpoints (zip and legacy), zip archives, safetensors and .npy headers.
enum HostileFiles {
    /// Pickle opcodes, protocol 2.
    final class Pickle {
        var bytes: [UInt8] = [0x80, 0x02]

        func op(_ code: UInt8) { bytes.append(code) }
        func mark() { op(0x28) }
        func none() { op(0x4E) }
        func stop() { op(0x2E) }
        func string(_ s: String) {
            op(0x58)
            bytes += le(UInt64(s.utf8.count), 4) + Array(s.utf8)
        }
        /// LONG1 of 8 bytes: any Int.
        func int(_ v: Int) {
            op(0x8A)
            bytes += [8] + le(UInt64(bitPattern: Int64(v)), 8)
        }
        func global(_ module: String, _ name: String) {
            op(0x63)
            bytes += Array("\(module)\n\(name)\n".utf8)
        }
        func tuple(_ items: () -> Void) {
            mark()
            items()
            op(0x74)
        }
        func put(_ index: UInt8) { bytes += [0x71, index] }
        func get(_ index: UInt8) { bytes += [0x68, index] }

        /// `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` over storage `key` of class `type`.
        func tensor(storage key: String, elements: Int, offset: Int, shape: [Int], strides: [Int], type: String = "FloatStorage") {
            global("torch._utils", "_rebuild_tensor_v2")
            tuple {
                tuple {
                    string("storage")
                    global("torch", type)
                    string(key)
                    string("cpu")
                    int(elements)
                }
                op(0x51)  // BINPERSID
                int(offset)
                tuple { for d in shape { int(d) } }
                tuple { for s in strides { int(s) } }
                op(0x89)  // False
                global("collections", "OrderedDict")
                op(0x29)
                op(0x52)
            }
            op(0x52)  // REDUCE
        }

        /// A whole pickle: `{name: tensor}` for each entry, every tensor over storage "0".
        static func stateDict(_ tensors: [(name: String, offset: Int, shape: [Int], strides: [Int])], elements: Int) -> [UInt8] {
            let p = Pickle()
            p.op(0x7D)  // EMPTY_DICT
            p.mark()
            for t in tensors {
                p.string(t.name)
                p.tensor(storage: "0", elements: elements, offset: t.offset, shape: t.shape, strides: t.strides)
            }
            p.op(0x75)  // SETITEMS
            p.stop()
            return p.bytes
        }
    }

    static func le(_ v: UInt64, _ width: Int) -> [UInt8] { (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    /// A legacy torch.save file: magic, protocol, system info, `root`, the storage keys, then
    /// storage "0" holding `storage`.
    static func legacy(root: [UInt8], storage: [Float], protocol4: Bool = false) -> [UInt8] {
        let magic = Pickle()
        // Protocol 4 and 5 open a FRAME (opcode and 8-byte length) after PROTO.
        if protocol4 { magic.bytes = [0x80, 0x04, 0x95] + le(13, 8) }
        magic.op(0x8A)
        magic.bytes += [0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        magic.stop()
        let version = Pickle()
        version.int(1001)
        version.stop()
        let info = Pickle()
        info.op(0x7D)
        info.stop()
        let keys = Pickle()
        keys.mark()
        keys.string("0")
        keys.op(0x6C)  // LIST
        keys.stop()
        let data = storage.flatMap { le(UInt64($0.bitPattern), 4) }
        return magic.bytes + version.bytes + info.bytes + root + keys.bytes + le(UInt64(storage.count), 8) + data
    }

    /// A zip archive of stored entries. `extra` is appended to each central entry's extra field.
    static func zip(_ entries: [(name: String, data: [UInt8])], centralExtra: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let offset = out.count
            let name = Array(entry.name.utf8)
            out += le(0x0403_4B50, 4) + [20, 0, 0, 0, 0, 0, 0, 0, 0, 0] + le(0, 4)
            out += le(UInt64(entry.data.count), 4) + le(UInt64(entry.data.count), 4) + le(UInt64(name.count), 2) + le(0, 2) + name + entry.data
            central += le(0x0201_4B50, 4) + [20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0] + le(0, 4)
            central += le(UInt64(entry.data.count), 4) + le(UInt64(entry.data.count), 4) + le(UInt64(name.count), 2)
            central += le(UInt64(centralExtra.count), 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(UInt64(offset), 4) + name + centralExtra
        }
        let directory = out.count
        out += central
        out += le(0x0605_4B50, 4) + le(0, 4) + le(UInt64(entries.count), 2) + le(UInt64(entries.count), 2)
        out += le(UInt64(central.count), 4) + le(UInt64(directory), 4) + le(0, 2)
        return out
    }

    /// A torch.save zip checkpoint: `archive/data.pkl` and storage `archive/data/0`.
    static func torchZip(pickle: [UInt8], storage: [Float]) -> [UInt8] {
        zip([("archive/data.pkl", pickle), ("archive/data/0", storage.flatMap { le(UInt64($0.bitPattern), 4) })])
    }

    /// A safetensors file from a header text (padded with spaces to `headerLength`) and data.
    static func safetensors(header: String, data: [UInt8] = [], headerLength: Int? = nil) -> [UInt8] {
        var json = Array(header.utf8)
        if let headerLength { json += [UInt8](repeating: 0x20, count: headerLength - json.count) }
        return le(UInt64(json.count), 8) + json + data
    }

    /// A version-1 .npy header for float32 with the given shape text, followed by `data`.
    static func npy(shape: String, data: [UInt8] = []) -> [UInt8] {
        let header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }\n".utf8)
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0] + le(UInt64(header.count), 2) + header + data
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// specs/tiny/tiny-resnet.yaml, parsed (its input is 3 x 32 x 32).
    static func tinySpec() throws -> ModelSpec {
        try XCTUnwrap(Compiler.compile(path: root.appendingPathComponent("specs/tiny/tiny-resnet.yaml").path).spec)
    }

    /// A fresh temporary folder, removed when the test ends.
    static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("archc-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The error text of `body`, or "accepted".
    static func message<T>(_ body: () throws -> T) -> String {
        do {
            _ = try body()
            return "accepted"
        } catch {
            return "\(error)"
        }
    }
}
