import ArchcIR
import Foundation

/// PyTorch checkpoints (`.pth`, `.pt`) read directly: the zip format of `torch.save` since
/// 1.6 and the legacy format before it (a run of pickles followed by raw storages). The
/// state dict is found at the top level or under `state_dict`, `model` or `model_ema`;
/// float16 and bfloat16 are widened to float32, integer tensors (`num_batches_tracked`)
/// are skipped.
public enum TorchCheckpoint {
    public static let stateDictKeys = ["state_dict", "model", "model_ema"]

    public static func read(_ path: String) throws -> [String: Tensor] {
        guard let data = FileManager.default.contents(atPath: path) else { throw IOError(path, "cannot read file") }
        return try decode([UInt8](data), file: path)
    }

    public static func decode(_ bytes: [UInt8], file: String) throws -> [String: Tensor] {
        if bytes.starts(with: [0x50, 0x4B]) { return try decodeZip(bytes, file: file) }
        if bytes.first == 0x80 { return try decodeLegacy(bytes, file: file) }
        throw IOError(file, "not a PyTorch checkpoint (neither a zip archive nor a pickle at byte 0)")
    }

    /// Is this file a PyTorch checkpoint (by its first bytes)?
    public static func looksLikeCheckpoint(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 2) else { return false }
        return head.starts(with: [0x50, 0x4B]) || head.first == 0x80
    }

    private static func decodeZip(_ bytes: [UInt8], file: String) throws -> [String: Tensor] {
        let zip = try ZipArchive(bytes, file: file)
        guard let pickleName = zip.entries.keys.first(where: { $0.hasSuffix("/data.pkl") || $0 == "data.pkl" }) else {
            throw IOError(file, "zip archive has no data.pkl: not a torch.save checkpoint")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        let root = try unpickle(Array(try zip.data(pickleName, file: file)), file: file)
        return try tensors(in: root, file: file) { storage in
            try zip.data("\(prefix)data/\(storage.key)", file: file)
        }
    }

    /// Legacy layout: magic pickle, protocol pickle, system-info pickle, the object pickle,
    /// the list of storage keys, then per key an 8-byte element count and the raw data.
    private static func decodeLegacy(_ bytes: [UInt8], file: String) throws -> [String: Tensor] {
        let unpickler = Unpickler(bytes)
        do {
            // 0x1950a86a20f9469cfc6c, little-endian.
            guard case .bytes(let magic) = try unpickler.load(), magic == [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19] else {
                throw IOError(file, "not a legacy torch.save file (bad magic number)")
            }
            _ = try unpickler.load()
            _ = try unpickler.load()
        } catch let error as Unpickler.Failure {
            throw IOError(file, "not a torch.save file: \(error)")
        }
        let root: Unpickler.PickleValue, keys: Unpickler.PickleValue
        do {
            root = try unpickler.load()
            keys = try unpickler.load()
        } catch let error as Unpickler.Failure {
            throw IOError(file, "\(error)")
        }
        guard case .list(let keyList) = keys else { throw IOError(file, "legacy checkpoint: expected the list of storage keys") }
        var offset = unpickler.position
        var storages: [String: ArraySlice<UInt8>] = [:]
        var dtypes: [String: String] = [:]
        collectStorages(root) { dtypes[$0.key] = $0.dtype }
        for case .string(let key) in keyList.items {
            guard offset + 8 <= bytes.count else { throw IOError(file, "storage '\(key)' header runs past the end (byte \(offset))") }
            let count = (0..<8).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
            let width = elementSize(dtypes[key] ?? "FloatStorage")
            guard count >= 0, count <= (bytes.count - offset - 8) / max(width, 1) else {
                throw IOError(file, "storage '\(key)' claims \(count) elements at byte \(offset), past the end of the file")
            }
            storages[key] = bytes[(offset + 8)..<(offset + 8 + count * width)]
            offset += 8 + count * width
        }
        return try tensors(in: root, file: file) { storage in
            guard let data = storages[storage.key] else { throw IOError(file, "storage '\(storage.key)' is missing") }
            return data
        }
    }

    private static func unpickle(_ bytes: [UInt8], file: String) throws -> Unpickler.PickleValue {
        do { return try Unpickler(bytes).load() } catch let error as Unpickler.Failure { throw IOError(file, "\(error)") }
    }

    private static func collectStorages(_ value: Unpickler.PickleValue, _ found: (Unpickler.StorageRef) -> Void) {
        switch value {
        case .tensor(let t): found(t.storage)
        case .dict(let d): for e in d.entries { collectStorages(e.value, found) }
        case .list(let l): for v in l.items { collectStorages(v, found) }
        case .tuple(let t): for v in t { collectStorages(v, found) }
        default: break
        }
    }

    /// The state dict: the first dict (top level, then the usual keys) whose values are tensors.
    private static func stateDict(_ root: Unpickler.PickleValue) -> Unpickler.DictBox? {
        guard case .dict(let top) = root else { return nil }
        func holdsTensors(_ d: Unpickler.DictBox) -> Bool {
            d.entries.contains { if case .tensor = $0.value { return true } else { return false } }
        }
        for key in stateDictKeys {
            if let entry = top.entries.first(where: { $0.key == .string(key) }), case .dict(let inner) = entry.value, holdsTensors(inner) {
                return inner
            }
        }
        return holdsTensors(top) ? top : nil
    }

    private static func tensors(
        in root: Unpickler.PickleValue, file: String,
        storage: (Unpickler.StorageRef) throws -> ArraySlice<UInt8>
    ) throws -> [String: Tensor] {
        guard let dict = stateDict(root) else {
            throw IOError(file, "no state dict found (looked at the top level and under \(stateDictKeys.map { "'\($0)'" }.joined(separator: ", ")))")
        }
        var out: [String: Tensor] = [:]
        for entry in dict.entries {
            guard case .string(let name) = entry.key, case .tensor(let ref) = entry.value else { continue }
            guard ["FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage"].contains(ref.storage.dtype) else { continue }
            out[name] = try materialise(ref, name: name, data: try storage(ref.storage), file: file)
        }
        return out
    }

    static func elementSize(_ dtype: String) -> Int {
        switch dtype {
        case "HalfStorage", "BFloat16Storage", "ShortStorage": return 2
        case "DoubleStorage", "LongStorage": return 8
        case "ByteStorage", "CharStorage", "BoolStorage": return 1
        default: return 4
        }
    }

    /// Reads a (possibly strided) view out of its storage as float32.
    static func materialise(_ ref: Unpickler.TensorRef, name: String, data: ArraySlice<UInt8>, file: String) throws -> Tensor {
        let width = elementSize(ref.storage.dtype)
        let count = ref.shape.reduce(1, *)
        guard ref.strides.count == ref.shape.count else {
            throw IOError(file, "tensor '\(name)': shape \(ref.shape) and strides \(ref.strides) differ in rank")
        }
        var last = ref.offset
        for (d, s) in zip(ref.shape, ref.strides) where d > 0 { last += (d - 1) * s }
        guard count == 0 || (ref.offset >= 0 && ref.strides.allSatisfy({ $0 >= 0 }) && (last + 1) * width <= data.count) else {
            throw IOError(file, "tensor '\(name)': shape \(ref.shape) at offset \(ref.offset) runs past its storage of \(data.count / width) elements")
        }
        let base = data.startIndex
        func value(_ element: Int) -> Float {
            let p = base + element * width
            switch ref.storage.dtype {
            case "HalfStorage": return Float(Float16(bitPattern: UInt16(data[p]) | UInt16(data[p + 1]) << 8))
            case "BFloat16Storage": return Float(bitPattern: (UInt32(data[p]) | UInt32(data[p + 1]) << 8) << 16)
            case "DoubleStorage":
                return Float(Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[p + $1]) << (8 * UInt64($1)) }))
            default:
                return Float(bitPattern: UInt32(data[p]) | UInt32(data[p + 1]) << 8 | UInt32(data[p + 2]) << 16 | UInt32(data[p + 3]) << 24)
            }
        }
        var values = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: ref.shape.count)
        for i in 0..<count {
            var element = ref.offset
            for (k, s) in zip(index, ref.strides) { element += k * s }
            values[i] = value(element)
            var d = ref.shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < ref.shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return Tensor(dims: ref.shape, data: values)
    }
}
