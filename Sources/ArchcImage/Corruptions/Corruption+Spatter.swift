import Foundation

/// Spatter, as corrupt-tta defines it: mud-brown blots where smoothed noise is high.
/// (The reference's spatter draws water drops from Canny edges and a distance transform
/// at severities 1-3 and mud at 4-5; corrupt-tta, the cross-check here, replaced it with
/// this simpler mask. Spatter is one of the 4 extra corruptions, outside mCE.)
extension Corruption {
    /// Per severity: the mask's threshold on the normalised smoothed noise, the noise's
    /// blur sigma, and how strongly the mud covers the image under the mask.
    typealias SpatterParameters = (threshold: Float, sigma: Double, strength: Float)

    static let spatterParameters: [SpatterParameters] = [
        (0.80, 1.0, 0.35), (0.75, 1.2, 0.45), (0.70, 1.5, 0.55), (0.67, 1.8, 0.65), (0.64, 2.2, 0.75),
    ]

    /// The mud colour, RGB in [0, 1].
    static let mud: [Float] = [63 / 255, 42 / 255, 20 / 255]

    static func spatter(_ image: FloatImage, _ p: SpatterParameters, _ random: inout some CorruptionDraws) -> FloatImage {
        let mask = spatterMask(width: image.width, height: image.height, p, &random)
        var out = image
        for i in 0..<(image.width * image.height) {
            let m = p.strength * mask[i]
            for c in 0..<3 {
                let v = image.values[3 * i + c] / 255 * (1 - m) + mud[c] * m
                out.values[3 * i + c] = min(1, max(0, v)) * 255
            }
        }
        return out
    }

    /// (h, w) in [0, 1]: float32 N(0, 1) noise smoothed (scipy's gaussian_filter, sigma,
    /// mirrored edges, truncate 4), scaled to [0, 1], thresholded to 0/1, softened by
    /// OpenCV's GaussianBlur of sigma max(0.5, sigma / 2) (kernel round(8 sigma + 1) | 1).
    static func spatterMask(width w: Int, height h: Int, _ p: SpatterParameters, _ random: inout some CorruptionDraws) -> [Float] {
        let noise = (0..<(w * h)).map { _ in Double(Float(random.normal())) }
        let liquid = smoothReflected(noise, width: w, height: h, sigma: p.sigma, truncate: 4).map(Float.init)
        let low = liquid.min() ?? 0, high = (liquid.max() ?? 0) - low
        let binary = liquid.map { ($0 - low) / (high + 1e-8) > p.threshold ? 1.0 : 0.0 }
        let sigma = max(0.5, p.sigma / 2)
        let taps = gaussianTaps(Int((sigma * 8 + 1).rounded()) | 1, sigma: sigma)
        return smoothMirrored(binary, width: w, height: h, taps: taps).map { Float(min(1, max(0, $0))) }
    }

    /// A (h, w) plane blurred by a separable kernel, rows then columns, edges mirrored
    /// without repeating the edge (OpenCV's default border).
    static func smoothMirrored(_ plane: [Double], width w: Int, height h: Int, taps: [Double]) -> [Double] {
        let r = taps.count / 2
        var pass = [Double](repeating: 0, count: w * h), out = pass
        for y in 0..<h {
            for x in 0..<w { pass[y * w + x] = taps.indices.reduce(0) { $0 + taps[$1] * plane[y * w + reflect101(x + $1 - r, w)] } }
        }
        for y in 0..<h {
            for x in 0..<w { out[y * w + x] = taps.indices.reduce(0) { $0 + taps[$1] * pass[reflect101(y + $1 - r, h) * w + x] } }
        }
        return out
    }
}
