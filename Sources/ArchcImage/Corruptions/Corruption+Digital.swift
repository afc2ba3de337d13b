import Foundation

/// Digital corruptions: brightness and saturation in HSV, contrast, pixelation (PIL's box
/// resize down and back up), JPEG compression.
extension Corruption {
    /// HSV value + delta (clipped to 1). Hue and saturation fixed means every channel scales
    /// by V'/V; a black pixel (no hue) becomes grey V'.
    static func brightness(_ image: FloatImage, _ delta: Float) -> FloatImage {
        perPixel(image) { r, g, b in
            let v = max(r, g, b) / 255, raised = min(1, v + delta)
            guard v > 0 else { return (raised * 255, raised * 255, raised * 255) }
            let k = raised / v
            return (r * k, g * k, b * k)
        }
    }

    /// HSV saturation * a + b (clipped to [0, 1]). With value and hue fixed a channel is
    /// V - S' (V - c) / S; a grey pixel takes OpenCV's hue 0 (red).
    static func saturate(_ image: FloatImage, _ parameters: (scale: Float, shift: Float)) -> FloatImage {
        perPixel(image) { r, g, b in
            let v = max(r, g, b), low = min(r, g, b)
            guard v > 0 else { return (r, g, b) }
            let s = (v - low) / v
            let s2 = min(1, max(0, s * parameters.scale + parameters.shift))
            guard s > 0 else { return (v, v * (1 - s2), v * (1 - s2)) }
            let f = { (c: Float) in v - s2 * (v - c) / s }
            return (f(r), f(g), f(b))
        }
    }

    /// (x - mean) * factor + mean, the mean per channel over the image.
    static func contrast(_ image: FloatImage, _ factor: Float) -> FloatImage {
        var means = [Double](repeating: 0, count: 3)
        for (i, v) in image.values.enumerated() { means[i % 3] += Double(v) }
        let m = means.map { Float($0 / Double(max(1, image.width * image.height))) }
        var out = image
        for i in out.values.indices { out.values[i] = min(255, max(0, (image.values[i] - m[i % 3]) * factor + m[i % 3])) }
        return out
    }

    static func perPixel(_ image: FloatImage, _ f: (Float, Float, Float) -> (Float, Float, Float)) -> FloatImage {
        var out = image
        for p in 0..<(image.width * image.height) {
            let (r, g, b) = f(image.values[3 * p], image.values[3 * p + 1], image.values[3 * p + 2])
            out.values[3 * p] = min(255, max(0, r))
            out.values[3 * p + 1] = min(255, max(0, g))
            out.values[3 * p + 2] = min(255, max(0, b))
        }
        return out
    }

    /// Box-resized to int(size * factor) and back, in 8 bits as PIL does it.
    static func pixelate(_ image: FloatImage, _ factor: Double) -> FloatImage {
        let small = (w: max(1, Int(Double(image.width) * factor)), h: max(1, Int(Double(image.height) * factor)))
        let pixels = image.decoded
        let down = BoxResize.resize(pixels, width: small.w, height: small.h)
        return FloatImage(BoxResize.resize(down, width: image.width, height: image.height))
    }

    /// Encoded as a JPEG of `quality` and decoded, with the accurate DCT PIL uses (4:2:0
    /// chroma); TurboJPEG's default fast DCT put pixels up to 22 levels off the reference's.
    static func jpeg(_ image: FloatImage, quality: Int) -> FloatImage {
        guard let decoded = try? image.decoded.jpegRoundTrip(quality: quality, file: "<jpeg_compression>") else { return image }
        return FloatImage(decoded)
    }
}
