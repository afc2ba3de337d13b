/// An RGB image of float values in [0, 255], rows top to bottom, pixels interleaved
/// (H, W, 3): what the corruptions work on, as the reference code's float arrays.
public struct FloatImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        self.width = width
        self.height = height
        self.values = values
    }

    public init(_ image: DecodedImage) {
        self.init(width: image.width, height: image.height, values: image.pixels.map(Float.init))
    }

    /// Clipped to [0, 255] and truncated to 8 bits, as the reference's `np.uint8(x)` before saving.
    public var decoded: DecodedImage {
        DecodedImage(width: width, height: height, pixels: values.map { UInt8(min(255, max(0, $0.isNaN ? 0 : $0)).rounded(.towardZero)) })
    }

    @inline(__always) public subscript(y: Int, x: Int, c: Int) -> Float {
        get { values[(y * width + x) * 3 + c] }
        set { values[(y * width + x) * 3 + c] = newValue }
    }

    /// Each value mapped, then clipped to [0, 255].
    func mapClipped(_ f: (Float) -> Float) -> FloatImage {
        FloatImage(width: width, height: height, values: values.map { min(255, max(0, f($0))) })
    }
}
