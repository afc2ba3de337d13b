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
        try decode(try FileReader.read(path, limit: ReaderLimits.weightFileBytes, kind: "checkpoint"), file: path)
    }

    public static func decode(_ bytes: [UInt8], file: String) throws -> [String: Tensor] {
        try index(bytes, file: file).loadAll()
    }

    /// Every float tensor's name and shape; values read on `load()`, from `bytes` or, when
    /// given, from `reread` (the file `bytes` came from: then only each storage's byte range
    /// is kept, and `bytes` can be released once indexed).
    public static func index(_ bytes: [UInt8], file: String, reread: RandomAccessFile? = nil) throws -> [String: CheckpointTensor] {
        if ZipArchive.looksLikeZip(bytes) { return try indexZip(bytes, file: file, reread: reread) }
        if looksLikeLegacy(bytes) { return try indexLegacy(bytes, file: file, reread: reread) }
        if let truncated = ZipArchive.truncation(bytes, file: file) { throw truncated }
        throw IOError(file, "not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save pickle at byte 0)")
    }

    /// The legacy format opens with a pickled magic number: PROTO n (2-5), a FRAME from
    /// protocol 4 on, then LONG1 of 10 bytes.
    static func looksLikeLegacy(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 3, bytes[0] == 0x80, (2...5).contains(bytes[1]) else { return false }
        let start = bytes[2] == 0x95 ? 11 : 2
        return bytes.count >= start + 12 && Array(bytes[start..<(start + 12)]) == [0x8A, 0x0A] + legacyMagic
    }

    /// 0x1950a86a20f9469cfc6c, little-endian.
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    private static func indexZip(_ bytes: [UInt8], file: String, reread: RandomAccessFile?) throws -> [String: CheckpointTensor] {
        let zip = try ZipArchive(bytes, file: file)
        let pickles = zip.entries.keys.filter { $0.hasSuffix("/data.pkl") || $0 == "data.pkl" }.sorted()
        guard let pickleName = pickles.first else { throw IOError(file, "zip archive has no data.pkl: not a torch.save checkpoint") }
        guard pickles.count == 1 else {
            throw IOError(
                file, "zip archive holds \(pickles.count) data.pkl entries (\(pickles.joined(separator: ", "))): which one is the checkpoint is ambiguous")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        let unpickler = Unpickler(Array(try zip.data(pickleName, file: file)))
        return try withExtendedLifetime(unpickler) {
            let root = try unpickle(unpickler, file: file)
            return try tensors(in: root, file: file, reread: reread) { storage in
                try zip.data("\(prefix)data/\(storage.key)", file: file)
            }
        }
    }

    /// Legacy layout: magic pickle, protocol pickle, system-info pickle, the object pickle,
    /// the list of storage keys, then per key an 8-byte element count and the raw data.
    private static func indexLegacy(_ bytes: [UInt8], file: String, reread: RandomAccessFile?) throws -> [String: CheckpointTensor] {
        let unpickler = Unpickler(bytes)
        return try withExtendedLifetime(unpickler) {
            do {
                guard case .bytes(let magic) = try unpickler.load(), magic == legacyMagic else {
                    throw IOError(file, "not a legacy torch.save file (bad magic number)")
                }
                _ = try unpickler.load()
                _ = try unpickler.load()
            } catch let error as Unpickler.Failure {
                throw IOError(file, "not a torch.save file: \(error)")
            }
            let root = try unpickle(unpickler, file: file)
            let keys = try unpickle(unpickler, file: file)
            guard case .list(let keyList) = keys else { throw IOError(file, "legacy checkpoint: expected the list of storage keys") }
            var dtypes: [String: String] = [:]
            for storage in unpickler.storages { dtypes[storage.key] = storage.dtype }
            let storages = try legacyStorages(bytes, keys: keyList.items, at: unpickler.position, dtypes: dtypes, file: file)
            return try tensors(in: root, file: file, reread: reread) { storage in
                guard let data = storages[storage.key] else { throw IOError(file, "storage '\(storage.key)' is missing") }
                return data
            }
        }
    }

    /// The raw storages after the pickles: per key an 8-byte element count, then the data.
    private static func legacyStorages(
        _ bytes: [UInt8], keys: [Unpickler.PickleValue], at start: Int, dtypes: [String: String], file: String
    ) throws -> [String: ArraySlice<UInt8>] {
        let view = LittleEndianBytes(bytes: bytes, file: file)
        var offset = start
        var storages: [String: ArraySlice<UInt8>] = [:]
        for case .string(let key) in keys {
            guard view.contains(offset, length: 8) else { throw IOError(file, "storage '\(key)' header runs past the end (byte \(offset))") }
            let count = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
            let width = elementSize(dtypes[key] ?? "FloatStorage")
            guard count <= UInt64((bytes.count - offset - 8) / width) else {
                throw IOError(file, "storage '\(key)' claims \(count) elements at byte \(offset), past the end of the file")
            }
            let length = Int(count) * width
            storages[key] = bytes[(offset + 8)..<(offset + 8 + length)]
            offset += 8 + length
        }
        return storages
    }

    private static func unpickle(_ unpickler: Unpickler, file: String) throws -> Unpickler.PickleValue {
        do { return try unpickler.load() } catch let error as Unpickler.Failure { throw IOError(file, "\(error)") }
    }

    /// The state dict: the first dict (top level, then the usual keys) whose values are tensors.
    private static func stateDict(_ root: Unpickler.PickleValue) -> Unpickler.DictBox? {
        guard case .dict(let top) = root else { return nil }
        func holdsTensors(_ d: Unpickler.DictBox) -> Bool {
            d.entries.contains { if case .tensor = $0.value { return true } else { return false } }
        }
        for key in stateDictKeys {
            if case .dict(let inner) = top[key], holdsTensors(inner) {
                return inner
            }
        }
        return holdsTensors(top) ? top : nil
    }

    private static func tensors(
        in root: Unpickler.PickleValue, file: String, reread: RandomAccessFile?,
        storage: (Unpickler.StorageRef) throws -> ArraySlice<UInt8>
    ) throws -> [String: CheckpointTensor] {
        guard let dict = stateDict(root) else {
            throw IOError(file, "no state dict found (looked at the top level and under \(stateDictKeys.map { "'\($0)'" }.joined(separator: ", ")))")
        }
        guard dict.entries.count <= ReaderLimits.tensorCount else {
            throw IOError(file, "state dict holds \(dict.entries.count) entries, over the limit of \(ReaderLimits.tensorCount) tensors (docs/limits.md)")
        }
        var out: [String: CheckpointTensor] = [:]
        for entry in dict.entries {
            guard case .string(let name) = entry.key, case .tensor(let ref) = entry.value else { continue }
            guard ["FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage"].contains(ref.storage.dtype) else {
                out[name] = CheckpointTensor(dims: ref.shape, unsupported: describe(ref.storage.dtype), file: file, name: name)
                continue
            }
            guard ref.shape.count <= ReaderLimits.rank, CheckpointTensor.count(ref.shape) != nil else {
                throw IOError(
                    file, "tensor '\(name)': invalid shape \(ref.shape) (at most \(ReaderLimits.rank) dimensions and \(ReaderLimits.tensorElements) elements)")
            }
            // Only the storage's bounds are checked now; values are gathered when the tensor is used.
            let data = try storage(ref.storage)
            try checkBounds(ref, name: name, storageBytes: data.count, file: file)
            if let reread {
                // A slice's indices are the file's byte offsets: read the storage again on load.
                let range = data.startIndex..<data.endIndex
                out[name] = CheckpointTensor(dims: ref.shape) { materialise(ref, data: ArraySlice(try reread.bytes(range, what: "tensor '\(name)'"))) }
            } else {
                out[name] = CheckpointTensor(dims: ref.shape) { materialise(ref, data: data) }
            }
        }
        return out
    }

    /// A storage class archc does not read, as a user would name it: "dtype int64".
    static func describe(_ storage: String) -> String {
        let dtypes = [
            "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
            "BoolStorage": "bool", "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
        ]
        if let dtype = dtypes[storage] { return "dtype \(dtype)" }
        return "storage type '\(storage.count > 64 ? storage.prefix(64) + "..." : storage)'"
    }

    static func elementSize(_ dtype: String) -> Int {
        switch dtype {
        case "HalfStorage", "BFloat16Storage", "ShortStorage": return 2
        case "DoubleStorage", "LongStorage": return 8
        case "ByteStorage", "CharStorage", "BoolStorage": return 1
        default: return 4
        }
    }

    /// Checks that a (possibly strided) view lies inside its storage, in checked arithmetic:
    /// sizes, strides and offsets come from the file and may be anything up to 2^63.
    static func checkBounds(_ ref: Unpickler.TensorRef, name: String, storageBytes: Int, file: String) throws {
        let width = elementSize(ref.storage.dtype)
        guard ref.strides.count == ref.shape.count else {
            throw IOError(file, "tensor '\(name)': shape \(ref.shape) and strides \(ref.strides) differ in rank")
        }
        guard !ref.shape.contains(0) else { return }
        let outside = IOError(
            file,
            "tensor '\(name)': shape \(ref.shape) with strides \(ref.strides) at offset \(ref.offset) runs past its storage of \(storageBytes / width) elements"
        )
        guard ref.offset >= 0, ref.strides.allSatisfy({ $0 >= 0 }) else { throw outside }
        var last = ref.offset
        for (d, s) in zip(ref.shape, ref.strides) {
            let (step, o1) = (d - 1).multipliedReportingOverflow(by: s)
            let (sum, o2) = last.addingReportingOverflow(step)
            guard !o1, !o2 else { throw outside }
            last = sum
        }
        guard last < storageBytes / width else { throw outside }
    }

    /// Reads a view already checked by `checkBounds` out of its storage as float32.
    static func materialise(_ ref: Unpickler.TensorRef, data: ArraySlice<UInt8>) -> Tensor {
        let width = elementSize(ref.storage.dtype)
        let count = ref.shape.reduce(1, *)
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
