import CKernelSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Float buffers on 64-byte (cache-line) boundaries. The kernels' 32-byte vector loads from
/// a buffer malloc aligned only to 16 bytes split across cache lines half the time; the
/// depthwise kernel measured 1.5x slower that way, and where the split falls depended on
/// heap state, so timings moved from run to run.
///
/// Buffers of 1 MiB and more (packed weights, the activation arena) are placed on 2 MiB
/// boundaries and offered to the kernel for transparent huge pages: a model's weights
/// stream from memory on every run, and on 4 KiB pages that is a TLB miss and a stop of the
/// hardware prefetcher every 64 lines (Robust-ResNet-DW-Small's pointwise layers ~2% faster).
public enum AlignedMemory {
    public static let alignment = 64
    static let hugePage = 2 << 20

    /// Uninitialized room for `count` floats (at least one); free with `free(_:)`.
    public static func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        bytes(max(1, count) * 4).bindMemory(to: Float.self, capacity: max(1, count))
    }

    /// Uninitialized room for `count` bytes (at least one), 64-byte aligned; free with `free(_:)`.
    public static func bytes(_ count: Int) -> UnsafeMutableRawPointer {
        let count = max(1, count)
        #if os(Linux)
            if count >= hugePage / 2 {
                var raw: UnsafeMutableRawPointer?
                let rounded = (count + hugePage - 1) / hugePage * hugePage
                if posix_memalign(&raw, hugePage, rounded) == 0, let raw {
                    _ = madvise(raw, rounded, 14)  // MADV_HUGEPAGE; only a hint, failure is harmless
                    return raw
                }
            }
        #endif
        return UnsafeMutableRawPointer.allocate(byteCount: count, alignment: alignment)
    }

    /// What `bytes` returns, or nil where the system has no room (instead of an abort).
    public static func bytesIfAvailable(_ count: Int) -> UnsafeMutableRawPointer? {
        let count = max(1, count)
        #if os(Linux)
            guard count <= Int.max - hugePage else { return nil }
            var raw: UnsafeMutableRawPointer?
            let (rounded, boundary) = count >= hugePage / 2 ? ((count + hugePage - 1) / hugePage * hugePage, hugePage) : (count, alignment)
            guard posix_memalign(&raw, boundary, rounded) == 0, let raw else { return nil }
            if boundary == hugePage { _ = madvise(raw, rounded, 14) }  // MADV_HUGEPAGE, as in `bytes`
            return raw
        #else
            return bytes(count)
        #endif
    }

    public static func free(_ pointer: UnsafeMutablePointer<Float>) {
        free(UnsafeMutableRawPointer(pointer))
    }

    /// Frees what `bytes` or `floats` returned (both come from the C allocator on Linux).
    public static func free(_ pointer: UnsafeMutableRawPointer) {
        #if os(Linux)
            Glibc.free(pointer)
        #else
            pointer.deallocate()
        #endif
    }

    /// The per-thread scratch blocks (`archc_thread_scratch`), one per user: a slot is used by
    /// one kernel only, and that kernel never calls another user of its slot while it holds it.
    public enum ScratchSlot: Int32 {
        /// `DepthwiseKernel.run`'s per-chunk input copy.
        case depthwise = 0
        /// `PackedGemm.multiply`'s per-part sums, segment lengths and row pointers.
        case gemm = 1
    }

    /// `count` bytes (64-byte aligned) from the calling thread's scratch block `slot`, kept
    /// between calls so a kernel's chunks allocate nothing; or, when that block cannot grow,
    /// newly allocated (`owned`: the caller frees it with `free(_:)`). Valid until the thread
    /// asks for `slot` again.
    @inline(__always)
    public static func threadScratch(_ slot: ScratchSlot, bytes count: Int) -> (pointer: UnsafeMutableRawPointer, owned: Bool) {
        if let scratch = archc_thread_scratch(slot.rawValue, count) { return (scratch, false) }
        return (bytes(count), true)
    }
}
