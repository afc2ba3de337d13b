extension Preprocessing {
    /// The shorter side resized to `resize` (bilinear, as PIL), the centre `crop` x `crop`
    /// cut out, in 8 bits: what ImageNet-C's images were made from.
    /// Throws for a photo whose resized size would pass the reader's pixel limit.
    public static func centreCrop(_ image: DecodedImage, resize: Int, crop: Int, file: String = "image") throws -> DecodedImage {
        let geometry = Preprocessing(resize: resize, crop: crop, interpolation: .bilinear, mean: [0, 0, 0], std: [1, 1, 1])
        let (w, h) = try geometry.resizedSize(image, file: file)
        let resized = Resampler.resize(image, width: w, height: h, .bilinear)
        let (left, top) = geometry.cropOrigin(width: w, height: h)
        var pixels = [UInt8](repeating: 0, count: crop * crop * 3)
        for y in 0..<crop {
            for x in 0..<crop {
                for c in 0..<3 { pixels[(y * crop + x) * 3 + c] = UInt8(resized[((top + y) * w + (left + x)) * 3 + c]) }
            }
        }
        return DecodedImage(width: crop, height: crop, pixels: pixels)
    }
}
