/// The values a restricted unpickler rebuilds: plain data, containers, tensor references.
extension Unpickler {
    public final class ListBox { public var items: [PickleValue] = [] }

    /// A pickled dict in insertion order. Keys that are plain data (numbers, strings,
    /// bytes, names) are found through a hash index, so SETITEMS is linear; other keys
    /// (tuples, containers) are only appended: comparing them could take exponential time
    /// on shared substructure, and a state dict never uses them.
    public final class DictBox {
        public var entries: [(key: PickleValue, value: PickleValue)] = []
        private var index: [PlainKey: Int] = [:]

        func set(_ key: PickleValue, _ value: PickleValue) {
            guard let plain = PlainKey(key) else { return entries.append((key, value)) }
            if let i = index[plain] {
                entries[i].value = value
            } else {
                index[plain] = entries.count
                entries.append((key, value))
            }
        }

        /// The value under a string key.
        public subscript(_ key: String) -> PickleValue? {
            index[.string(key)].map { entries[$0].value }
        }
    }

    /// A dict key with cheap, exact hashing and equality.
    enum PlainKey: Hashable {
        case none, bool(Bool), int(Int), float(UInt64), string(String), bytes([UInt8]), global(String, String)

        init?(_ value: PickleValue) {
            switch value {
            case .none: self = .none
            case .bool(let b): self = .bool(b)
            case .int(let i): self = .int(i)
            case .float(let d): self = .float(d.bitPattern)
            case .string(let s): self = .string(s)
            case .bytes(let b): self = .bytes(b)
            case .global(let m, let n): self = .global(m, n)
            default: return nil
            }
        }
    }

    /// What a checkpoint's storages are made of.
    public struct StorageRef: Equatable, Sendable {
        public var key: String
        public var dtype: String
        public var elements: Int
    }

    public struct TensorRef: Equatable, Sendable {
        public var storage: StorageRef
        public var offset: Int
        public var shape: [Int]
        public var strides: [Int]
    }

    public indirect enum PickleValue: Equatable {
        case none, bool(Bool), int(Int), float(Double), string(String), bytes([UInt8])
        case tuple([PickleValue])
        case list(ListBox)
        case dict(DictBox)
        case global(module: String, name: String)
        case storage(StorageRef)
        case tensor(TensorRef)
        /// The result of calling something this reader does not model; kept, never run.
        case opaque(String)
        case mark

        public static func == (a: PickleValue, b: PickleValue) -> Bool {
            switch (a, b) {
            case (.none, .none), (.mark, .mark): return true
            case (.bool(let x), .bool(let y)): return x == y
            case (.int(let x), .int(let y)): return x == y
            case (.float(let x), .float(let y)): return x == y
            case (.string(let x), .string(let y)): return x == y
            case (.bytes(let x), .bytes(let y)): return x == y
            case (.tuple(let x), .tuple(let y)): return x == y
            case (.list(let x), .list(let y)): return x === y
            case (.dict(let x), .dict(let y)): return x === y
            case (.global(let m1, let n1), .global(let m2, let n2)): return m1 == m2 && n1 == n2
            case (.storage(let x), .storage(let y)): return x == y
            case (.tensor(let x), .tensor(let y)): return x == y
            case (.opaque(let x), .opaque(let y)): return x == y
            default: return false
            }
        }
    }
}
