/// Float buffers on 64-byte (cache-line) boundaries. The kernels' 32-byte vector loads from
/// a buffer malloc aligned only to 16 bytes split across cache lines half the time; the
/// depthwise kernel measured 1.5x slower that way, and where the split falls depended on
/// heap state, so timings moved from run to run.
public enum AlignedMemory {
    public static let alignment = 64

    /// Uninitialized room for `count` floats (at least one); free with `free(_:)`.
    public static func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: alignment)
            .bindMemory(to: Float.self, capacity: max(1, count))
    }

    public static func free(_ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).deallocate()
    }
}
