import ArchcIR

/// Owns the weights a model's kernels read: copies in memory that never moves, packed for
/// their kernel, freed together. Shared by the engine and by generated models.
public final class WeightStore {
    public let backend: GemmBackend
    public private(set) var bytes = 0
    private var owned: [UnsafeMutablePointer<Float>] = []

    public init(backend: GemmBackend = .packed) { self.backend = backend }

    deinit { for pointer in owned { AlignedMemory.free(pointer) } }

    /// A 64-byte aligned buffer of `count` floats the store frees (scratch included; not
    /// counted as weights).
    public func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let pointer = AlignedMemory.floats(count)
        owned.append(pointer)
        return pointer
    }

    /// A vector (bias, scale) or any weight its kernel reads as laid out.
    public func floats(_ values: [Float]) -> UnsafePointer<Float> {
        let pointer = allocate(values.count)
        pointer.update(from: values, count: values.count)
        bytes += values.count * 4
        return UnsafePointer(pointer)
    }

    /// GEMM weights [N, K] (one output channel per row), packed for the backend.
    public func gemm(_ values: [Float], n: Int, k: Int) -> GemmWeights {
        let rowMajor = floats(values)
        return GemmWeights(rowMajor, n: n, k: k, backend: backend) { data, count in
            owned.append(data)
            bytes += count * 4 - values.count * 4
        }
    }
}
