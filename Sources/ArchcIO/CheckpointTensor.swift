import ArchcIR

/// A tensor found in a checkpoint: its shape at once, its values only when asked for, so
/// a checkpoint's tensors that the spec does not use are never converted or allocated.
public struct CheckpointTensor {
    public let dims: [Int]
    private let read: () throws -> Tensor

    public init(dims: [Int], read: @escaping () throws -> Tensor) {
        self.dims = dims
        self.read = read
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
    /// Every tensor loaded (tests and tools that want the whole file).
    public func loadAll() throws -> [Key: Tensor] { try mapValues { try $0.load() } }
}
