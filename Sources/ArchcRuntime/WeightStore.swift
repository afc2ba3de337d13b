import ArchcIR

/// Owns the weights a model's kernels read: copies in memory that never moves, packed for
/// their kernel, freed together. Shared by the engine and by generated models.
///
/// Everything is carved, 64-byte aligned, out of a few large chunks (`AlignedMemory` puts
/// them on transparent huge pages): one allocation per layer would round each up to a huge
/// page (+60 MB for ResNet-50). GEMM weights are packed straight into the store; the
/// row-major copy is kept only for the OpenBLAS backend, which reads it.
public final class WeightStore {
    public let backend: GemmBackend
    public private(set) var bytes = 0
    private var chunks: [UnsafeMutableRawPointer] = []
    private var next: UnsafeMutableRawPointer?
    private var left = 0

    /// New chunks hold at least this much (bigger requests get a chunk of their own size).
    static let chunkBytes = 32 << 20

    public init(backend: GemmBackend = .packed) { self.backend = backend }

    deinit { for chunk in chunks { AlignedMemory.free(chunk) } }

    /// A 64-byte aligned buffer of `count` floats the store frees (scratch included; not
    /// counted as weights). Uninitialized.
    public func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let size = (max(1, count) * 4 + AlignedMemory.alignment - 1) / AlignedMemory.alignment * AlignedMemory.alignment
        if size > left {
            let chunk = AlignedMemory.bytes(max(Self.chunkBytes, size))
            chunks.append(chunk)
            (next, left) = (chunk, max(Self.chunkBytes, size))
        }
        let pointer = next!
        next = pointer + size
        left -= size
        return pointer.bindMemory(to: Float.self, capacity: max(1, count))
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
        switch backend {
        case .openblas:
            return GemmWeights(rowMajor: floats(values), n: n, k: k)
        case .packed:
            let floats = PackedGemm.packedFloats(n: n, k: k)
            let packed = values.withUnsafeBufferPointer { PackedGemm.pack($0.baseAddress!, n: n, k: k, into: allocate(floats)) }
            bytes += floats * 4
            return GemmWeights(packed: packed)
        }
    }

    /// A 3x3 conv's OIHW weights [Cout, Cin, 3, 3] in the Winograd domain of `tile`, packed
    /// for `WinogradKernel` (F(4x4): 36 GEMM matrices, 4x the floats of the conv's weights;
    /// F(2x2): 16, 16/9x).
    public func winograd(_ weight: Tensor, tile: WinogradKernel.Tile) -> WinogradWeights {
        let (cout, cin) = (weight.dims[0], weight.dims[1])
        let floats = WinogradWeights.floats(cout: cout, cin: cin, tile: tile)
        let packed = weight.data.withUnsafeBufferPointer {
            WinogradWeights.pack(oihw: $0.baseAddress!, cout: cout, cin: cin, tile: tile, into: allocate(floats))
        }
        bytes += floats * 4
        return packed
    }
}
