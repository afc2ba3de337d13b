import ArchcIR
import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping
/// each tensor name to its dtype, shape and byte range, then the data. float32 is read as
/// is; float16 and bfloat16 are widened on load. Every inconsistency is an error naming
/// the tensor and the offsets; the header's size and entry count are bounded
/// (`ReaderLimits`) before it is parsed.
public enum Safetensors {
    public static func read(_ path: String) throws -> [String: Tensor] {
        try decode(try FileReader.read(path, limit: ReaderLimits.weightFileBytes, kind: "checkpoint"), file: path)
    }

    public static func decode(_ bytes: [UInt8], file: String) throws -> [String: Tensor] {
        try index(bytes, file: file).loadAll()
    }

    /// Does the file have safetensors' structure: a header length that fits the file and
    /// the limit, then `{` at byte 8?
    static func looksLikeSafetensors(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 10, let length = try? LittleEndianBytes(bytes: bytes, file: "").u64(0) else { return false }
        return length >= 2 && length <= min(bytes.count - 8, ReaderLimits.safetensorsHeaderBytes) && bytes[8] == UInt8(ascii: "{")
    }

    /// Every tensor's name and shape, checked against the data; values converted on `load()`.
    public static func index(_ bytes: [UInt8], file: String) throws -> [String: CheckpointTensor] {
        let header = try parseHeader(bytes, file: file)
        let dataStart = 8 + header.length
        var tensors: [String: CheckpointTensor] = [:]
        for (name, value) in header.entries where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else {
                throw IOError(file, "tensor '\(name)': header entry needs dtype, shape and data_offsets")
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "F16", "BF16": width = 2
            case "I64" where name.hasSuffix("num_batches_tracked"): continue
            default: throw IOError(file, "tensor '\(name)': dtype \(dtype) is not supported (float32, float16, bfloat16)")
            }
            guard shape.count <= ReaderLimits.rank, let count = CheckpointTensor.count(shape) else {
                throw IOError(
                    file, "tensor '\(name)': invalid shape \(shape) (at most \(ReaderLimits.rank) dimensions and \(ReaderLimits.tensorElements) elements)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            // Compared against the data's length, never added to dataStart: offsets near 2^63 would overflow.
            guard begin >= 0, end >= begin, end <= bytes.count - dataStart else {
                throw IOError(file, "tensor '\(name)': data_offsets [\(begin), \(end)] run past the end of the data (\(bytes.count - dataStart) bytes)")
            }
            guard end - begin == count * width else {
                throw IOError(file, "tensor '\(name)': shape \(shape) of \(dtype) needs \(count * width) bytes, data_offsets give \(end - begin)")
            }
            tensors[name] = CheckpointTensor(dims: shape) { Tensor(dims: shape, data: convert(bytes, from: dataStart + begin, count: count, dtype: dtype)) }
        }
        return tensors
    }

    /// The header's JSON object, after its length and entry count are checked against the limits.
    private static func parseHeader(_ bytes: [UInt8], file: String) throws -> (length: Int, entries: [String: Any]) {
        guard bytes.count >= 8 else { throw IOError(file, "truncated: \(bytes.count) bytes, expected at least an 8-byte header length") }
        let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard length <= UInt64(ReaderLimits.safetensorsHeaderBytes) else {
            throw IOError(file, "header length \(length) is over the \(ReaderLimits.safetensorsHeaderBytes) byte limit (docs/limits.md)")
        }
        guard length <= UInt64(bytes.count - 8) else {
            throw IOError(file, "header length \(length) runs past the end of the file (\(bytes.count) bytes)")
        }
        let dataStart = 8 + Int(length)
        // Each entry is a JSON object: counting '{' bounds the entries before the parser allocates them.
        let objects = bytes[8..<dataStart].reduce(0) { $0 + ($1 == UInt8(ascii: "{") ? 1 : 0) }
        guard objects <= ReaderLimits.tensorCount + 2 else { throw tooMany("more than \(ReaderLimits.tensorCount)", file: file) }
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
            throw IOError(file, "the header (bytes 8..<\(dataStart)) is not a JSON object")
        }
        let tensors = header.count - (header["__metadata__"] == nil ? 0 : 1)
        guard tensors <= ReaderLimits.tensorCount else { throw tooMany("\(tensors)", file: file) }
        return (Int(length), header)
    }

    private static func tooMany(_ count: String, file: String) -> IOError {
        IOError(file, "header holds \(count) entries, over the limit of \(ReaderLimits.tensorCount) tensors (docs/limits.md)")
    }

    static func convert(_ bytes: [UInt8], from start: Int, count: Int, dtype: String) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count {
            switch dtype {
            case "F32":
                let p = start + 4 * i
                out[i] = Float(bitPattern: UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24)
            case "BF16":
                let p = start + 2 * i
                out[i] = Float(bitPattern: (UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8) << 16)
            default:
                let p = start + 2 * i
                out[i] = Float(Float16(bitPattern: UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8))
            }
        }
        return out
    }

    /// Encodes float32 tensors (tests and fixtures write checkpoints with it).
    public static func encode(_ tensors: [String: Tensor]) -> Data {
        var header: [String: Any] = [:]
        var body = Data()
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.dims, "data_offsets": [body.count, body.count + t.count * 4]]
            t.data.withUnsafeBytes { body.append(contentsOf: $0) }
        }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var data = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(body)
        return data
    }
}
