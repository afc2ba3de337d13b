import ArchcIR
import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping
/// each tensor name to its dtype, shape and byte range, then the data. float32 is read as
/// is; float16 and bfloat16 are widened on load. Every inconsistency is an error naming
/// the tensor and the offsets.
public enum Safetensors {
    public static func read(_ path: String) throws -> [String: Tensor] {
        guard let data = FileManager.default.contents(atPath: path) else { throw IOError(path, "cannot read file") }
        return try decode([UInt8](data), file: path)
    }

    public static func decode(_ bytes: [UInt8], file: String) throws -> [String: Tensor] {
        guard bytes.count >= 8 else { throw IOError(file, "truncated: \(bytes.count) bytes, expected at least an 8-byte header length") }
        let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw IOError(file, "header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
        }
        let dataStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
            throw IOError(file, "the header (bytes 8..<\(dataStart)) is not a JSON object")
        }
        var tensors: [String: Tensor] = [:]
        for (name, value) in header where name != "__metadata__" {
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
            guard shape.allSatisfy({ $0 >= 0 }), let count = Self.count(shape) else { throw IOError(file, "tensor '\(name)': invalid shape \(shape)") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, dataStart + end <= bytes.count else {
                throw IOError(file, "tensor '\(name)': data_offsets [\(begin), \(end)] run past the end of the data (\(bytes.count - dataStart) bytes)")
            }
            guard end - begin == count * width else {
                throw IOError(file, "tensor '\(name)': shape \(shape) of \(dtype) needs \(count * width) bytes, data_offsets give \(end - begin)")
            }
            tensors[name] = Tensor(dims: shape, data: convert(bytes, from: dataStart + begin, count: count, dtype: dtype))
        }
        return tensors
    }

    static func count(_ shape: [Int]) -> Int? {
        var total = 1
        for d in shape {
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            if overflow || p > Int(Int32.max) * 4 { return nil }
            total = p
        }
        return total
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
