import ArchcIR
import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping
/// each tensor name to its dtype, shape and byte range, then the data. float32 is read as
/// is; float16 and bfloat16 are widened on load. Every inconsistency is an error naming
/// the tensor and the offsets; the header's size and entry count are bounded
/// (`ReaderLimits`) before it is parsed.
public enum Safetensors {
    public static func read(_ path: String) throws -> [String: Tensor] {
        try index(try RandomAccessFile(path, limit: ReaderLimits.weightFileBytes, kind: "checkpoint"), file: path).loadAll()
    }

    public static func decode(_ bytes: [UInt8], file: String) throws -> [String: Tensor] {
        try index(bytes, file: file).loadAll()
    }

    /// Does the file have safetensors' structure: a header length that fits the file and
    /// the limit, then `{` at byte 8?
    static func looksLikeSafetensors(_ bytes: [UInt8]) -> Bool { looksLikeSafetensors(head: bytes, size: bytes.count) }

    /// The same test on the file's first bytes (`head`, at least 10 when the file has them)
    /// and its size.
    static func looksLikeSafetensors(head: [UInt8], size: Int) -> Bool {
        guard head.count >= 10, size >= 10, let length = try? LittleEndianBytes(bytes: head, file: "").u64(0) else { return false }
        return length >= 2 && length <= min(size - 8, ReaderLimits.safetensorsHeaderBytes) && head[8] == UInt8(ascii: "{")
    }

    /// Every tensor's name and shape, checked against the data; values converted on `load()`.
    public static func index(_ bytes: [UInt8], file: String) throws -> [String: CheckpointTensor] {
        try index(source: bytes, file: file)
    }

    /// The same from a file read by range: only the header is read now, each tensor's bytes
    /// when it is loaded.
    public static func index(_ file: RandomAccessFile, file path: String) throws -> [String: CheckpointTensor] {
        try index(source: file, file: path)
    }

    private static func index(source: some ByteSource, file: String) throws -> [String: CheckpointTensor] {
        let header = try parseHeader(source, file: file)
        let dataStart = 8 + header.length
        let dataBytes = source.count - dataStart
        var tensors: [String: CheckpointTensor] = [:]
        var ranges: [(name: String, begin: Int, end: Int)] = []
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
            case "I64" where name.hasSuffix("num_batches_tracked"): width = 0  // skipped; only its byte range is checked
            default: throw IOError(file, "tensor '\(name)': dtype \(dtype) is not supported (float32, float16, bfloat16)")
            }
            let count = CheckpointTensor.count(shape)
            guard width == 0 || (shape.count <= ReaderLimits.rank && count != nil) else {
                throw IOError(
                    file, "tensor '\(name)': invalid shape \(shape) (at most \(ReaderLimits.rank) dimensions and \(ReaderLimits.tensorElements) elements)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= 0 else { throw IOError(file, "tensor '\(name)': data_offsets [\(begin), \(end)] are negative") }
            guard begin <= end else { throw IOError(file, "tensor '\(name)': data_offsets [\(begin), \(end)] begin after they end") }
            // Compared against the data's length, never added to dataStart: offsets near 2^63 would overflow.
            guard end <= dataBytes else {
                throw IOError(file, "tensor '\(name)': data_offsets [\(begin), \(end)] run past the end of the data (\(dataBytes) bytes)")
            }
            ranges.append((name, begin, end))
            guard width > 0, let count else { continue }
            guard end - begin == count * width else {
                throw IOError(file, "tensor '\(name)': shape \(shape) of \(dtype) needs \(count * width) bytes, data_offsets give \(end - begin)")
            }
            let range = (dataStart + begin)..<(dataStart + end)
            tensors[name] = CheckpointTensor(dims: shape) {
                Tensor(dims: shape, data: try values(source, range, count: count, dtype: dtype, what: "tensor '\(name)'"))
            }
        }
        try checkDisjoint(ranges, file: file)
        return tensors
    }

    /// Each byte of the data belongs to one tensor at most: two tensors reading the same
    /// bytes are a malformed (or forged) file, refused with both names. Empty tensors own no bytes.
    private static func checkDisjoint(_ ranges: [(name: String, begin: Int, end: Int)], file: String) throws {
        let sorted = ranges.filter { $0.begin < $0.end }.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        guard var furthest = sorted.first else { return }
        for range in sorted.dropFirst() {
            if range.begin < furthest.end {
                throw IOError(
                    file,
                    "tensors '\(furthest.name)' and '\(range.name)' overlap: data_offsets [\(furthest.begin), \(furthest.end)] and [\(range.begin), \(range.end)]"
                )
            }
            if range.end > furthest.end { furthest = range }
        }
    }

    /// The first top-level key of a JSON object's text that appears twice (a JSON parser
    /// keeps one of them silently), compared after unescaping. `text` is valid JSON.
    static func duplicateKey(_ text: [UInt8]) -> String? {
        let (quote, backslash) = (UInt8(ascii: "\""), UInt8(ascii: "\\"))
        var seen = Set<String>()
        var (depth, i, expectKey) = (0, 0, false)
        while i < text.count {
            let c = text[i]
            if c == quote {
                var (j, escaped) = (i + 1, false)
                while j < text.count, text[j] != quote {
                    if text[j] == backslash { escaped = true; j += 1 }
                    j += 1
                }
                guard j < text.count else { return nil }
                if depth == 1, expectKey {
                    var key = String(decoding: text[(i + 1)..<j], as: UTF8.self)
                    if escaped, let plain = try? JSONSerialization.jsonObject(with: Data(text[i...j]), options: .fragmentsAllowed) as? String {
                        key = plain
                    }
                    guard seen.insert(key).inserted else { return key }
                    expectKey = false
                }
                i = j + 1
                continue
            }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                expectKey = depth == 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ","): expectKey = depth == 1
            default: break
            }
            i += 1
        }
        return nil
    }

    /// The header's JSON object, after its length and entry count are checked against the limits.
    private static func parseHeader(_ source: some ByteSource, file: String) throws -> (length: Int, entries: [String: Any]) {
        guard source.count >= 8 else { throw IOError(file, "truncated: \(source.count) bytes, expected at least an 8-byte header length") }
        let prefix = try source.bytes(0..<8, what: "header length")
        let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(prefix[$1]) << (8 * UInt64($1)) }
        guard length <= UInt64(ReaderLimits.safetensorsHeaderBytes) else {
            throw IOError(file, "header length \(length) is over the \(ReaderLimits.safetensorsHeaderBytes) byte limit (docs/limits.md)")
        }
        guard length <= UInt64(source.count - 8) else {
            throw IOError(file, "header length \(length) runs past the end of the file (\(source.count) bytes)")
        }
        let dataStart = 8 + Int(length)
        let text = try source.bytes(8..<dataStart, what: "header")
        // Each entry is a JSON object: counting '{' bounds the entries before the parser allocates them.
        let objects = text.reduce(0) { $0 + ($1 == UInt8(ascii: "{") ? 1 : 0) }
        guard objects <= ReaderLimits.tensorCount + 2 else { throw tooMany("more than \(ReaderLimits.tensorCount)", file: file) }
        guard let header = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] else {
            throw IOError(file, "the header (bytes 8..<\(dataStart)) is not a JSON object")
        }
        if let name = duplicateKey(text) { throw IOError(file, "tensor '\(name)' appears twice in the header") }
        let tensors = header.count - (header["__metadata__"] == nil ? 0 : 1)
        guard tensors <= ReaderLimits.tensorCount else { throw tooMany("\(tensors)", file: file) }
        return (Int(length), header)
    }

    /// A tensor's values as float32: float32 bytes read straight into the result (the file
    /// is little-endian, like every CPU archc's kernels run on), the narrower types read,
    /// then widened.
    private static func values(_ source: some ByteSource, _ range: Range<Int>, count: Int, dtype: String, what: String) throws -> [Float] {
        #if _endian(little)
            if dtype == "F32" {
                return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    try source.read(range, into: UnsafeMutableRawBufferPointer(buffer), what: what)
                    initialized = count
                }
            }
        #endif
        return convert(try source.bytes(range, what: what), from: 0, count: count, dtype: dtype)
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
