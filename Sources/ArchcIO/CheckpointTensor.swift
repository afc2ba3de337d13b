import ArchcIR

/// A tensor found in a checkpoint: its shape at once, its values only when asked for, so
/// a checkpoint's tensors that the spec does not use are never converted or allocated.
public struct CheckpointTensor {
    public let dims: [Int]
    /// Why this tensor cannot be read ("dtype int64"), when it cannot: such a tensor is an
    /// error only when the spec needs it.
    public let unsupported: String?
    private let read: () throws -> Tensor

    public init(dims: [Int], read: @escaping () throws -> Tensor) {
        self.dims = dims
        self.unsupported = nil
        self.read = read
    }

    /// A tensor of a type archc does not read, kept so that a spec needing it can say why.
    public init(dims: [Int], unsupported: String, file: String, name: String) {
        self.dims = dims
        self.unsupported = unsupported
        self.read = { throw IOError(file, "tensor '\(name)' has \(unsupported), which archc does not read") }
    }

    /// The values, converted to float32.
    public func load() throws -> Tensor { try read() }

    /// Element count of `dims`, or nil when it overflows or exceeds the reader limit.
    static func count(_ dims: [Int]) -> Int? {
        var total = 1
        for d in dims {
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow, p <= ReaderLimits.tensorElements else { return nil }
            total = p
        }
        return total
    }
}

extension Dictionary where Value == CheckpointTensor {
    /// Every tensor archc can read, loaded (tests and tools that want the whole file).
    public func loadAll() throws -> [Key: Tensor] { try compactMapValues { $0.unsupported == nil ? try $0.load() : nil } }
}
