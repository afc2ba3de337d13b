import Foundation

/// Snow: a layer of Gaussian noise, zoomed in, thresholded and streaked by a motion blur,
/// added twice (as drawn and turned by 180 degrees) to the image whitened towards grey.
extension Corruption {
    /// Per severity: the noise's mean and spread, the zoom, the threshold below which the
    /// layer is cleared, the motion blur's radius, and the share of the image kept as is.
    /// (The reference's ImageMagick blur also took a sigma: 4, 4, 8, 8, 12; corrupt-tta's
    /// line kernel, reproduced here, has no use for it.)
    typealias SnowParameters = (mean: Double, spread: Double, zoom: Double, threshold: Double, radius: Int, keep: Float)

    static let snowParameters: [SnowParameters] = [
        (0.1, 0.3, 3, 0.5, 10, 0.8), (0.2, 0.3, 2, 0.5, 12, 0.7), (0.55, 0.3, 4, 0.9, 12, 0.7),
        (0.55, 0.3, 4.5, 0.85, 12, 0.65), (0.55, 0.3, 2.5, 0.85, 12, 0.55),
    ]

    static func snow(_ image: FloatImage, _ p: SnowParameters, _ random: inout some CorruptionDraws) -> FloatImage {
        let layer = snowLayer(width: image.width, height: image.height, p, &random)
        let (w, h) = (image.width, image.height)
        var out = image
        for y in 0..<h {
            for x in 0..<w {
                let (r, g, b) = (image[y, x, 0] / 255, image[y, x, 1] / 255, image[y, x, 2] / 255)
                // OpenCV's RGB -> grey weights; the image brightened towards grey * 1.5 + 0.5.
                let grey = 0.299 * r + 0.587 * g + 0.114 * b
                let flakes = layer[y * w + x] + layer[(h - 1 - y) * w + (w - 1 - x)]
                for (c, v) in [r, g, b].enumerated() {
                    let whitened = p.keep * v + (1 - p.keep) * max(v, grey * 1.5 + 0.5)
                    out[y, x, c] = min(1, max(0, whitened + flakes)) * 255
                }
            }
        }
        return out
    }

    /// The snowflakes, (h, w) in [0, 1]: N(mean, spread) per pixel, zoomed by the centre
    /// crop, cleared below the threshold, clipped and truncated to 8 bits (the reference
    /// passes it to ImageMagick as an 8-bit PNG), then streaked by a motion blur at an
    /// angle in [-135, -45] degrees (mostly downwards).
    static func snowLayer(width w: Int, height h: Int, _ p: SnowParameters, _ random: inout some CorruptionDraws) -> [Float] {
        // A grey FloatImage (three equal channels, values scaled to [0, 255]) so the zoom and
        // the blur of the colour corruptions apply unchanged.
        var noise = [Float](repeating: 0, count: w * h * 3)
        for i in 0..<(w * h) {
            let v = Float(255 * (p.mean + p.spread * random.normal()))
            (noise[3 * i], noise[3 * i + 1], noise[3 * i + 2]) = (v, v, v)
        }
        var layer = clippedZoom(FloatImage(width: w, height: h, values: noise), p.zoom)
        let threshold = Float(255 * p.threshold)
        layer.values = layer.values.map { $0 < threshold ? 0 : min(255, max(0, $0)).rounded(.towardZero) }
        let angle = random.uniform(-135, -45)
        if let kernel = motionKernel(radius: p.radius, degrees: angle) { layer = correlate(layer, kernel, n: 2 * p.radius + 1) }
        return (0..<(w * h)).map { min(1, max(0, layer.values[3 * $0] / 255)) }
    }
}
