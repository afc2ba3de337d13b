import Foundation

/// Elastic transform: a random affine warp, then every pixel displaced by a smooth random
/// field (uniform noise blurred by a Gaussian, scaled), resampled bilinearly.
extension Corruption {
    /// Per severity: the displacement's scale (alpha) and smoothness (sigma), and the largest
    /// shift of the affine warp's three anchor points, in pixels. The reference multiplies
    /// by 244 ("should have been 224, but ultimately nothing is incorrect", its comment says);
    /// ImageNet-C was made with 244, so archc keeps it (corrupt-tta uses 224).
    typealias ElasticParameters = (alpha: Double, sigma: Double, shift: Double)

    static let elasticParameters: [ElasticParameters] = [
        (244 * 2, 244 * 0.7, 244 * 0.1), (244 * 2, 244 * 0.08, 244 * 0.2), (244 * 0.05, 244 * 0.01, 244 * 0.02),
        (244 * 0.07, 244 * 0.01, 244 * 0.02), (244 * 0.12, 244 * 0.01, 244 * 0.02),
    ]

    static func elasticTransform(_ image: FloatImage, _ p: ElasticParameters, _ random: inout some CorruptionDraws) -> FloatImage {
        let (w, h) = (image.width, image.height)
        let shifts = (0..<6).map { _ in Double(Float(random.uniform(-p.shift, p.shift))) }
        let dx = displacement(width: w, height: h, p, &random), dy = displacement(width: w, height: h, p, &random)
        let warped = warpAffine(image, affineMatrix(width: w, height: h, shifts: shifts))
        return displaced(warped, dx: dx, dy: dy).mapClipped { $0 }
    }

    /// One component of the displacement, (h, w) in pixels: uniform noise in [-1, 1]
    /// smoothed by a Gaussian of sigma, times alpha, in float32.
    static func displacement(width w: Int, height h: Int, _ p: ElasticParameters, _ random: inout some CorruptionDraws) -> [Float] {
        let noise = (0..<(w * h)).map { _ in random.uniform(-1, 1) }
        return smoothReflected(noise, width: w, height: h, sigma: p.sigma).map { Float($0 * p.alpha) }
    }

    /// The affine map taking the reference's three anchor points to themselves plus `shifts`
    /// (2x3, row-major). The anchors are built as (row, column) pairs and read as (x, y),
    /// as the reference does: for a square image the two readings agree.
    static func affineMatrix(width w: Int, height h: Int, shifts: [Double]) -> [Double] {
        let (c0, c1, s) = (Double(h / 2), Double(w / 2), Double(min(h, w) / 3))
        let from = [(c0 + s, c1 + s), (c0 + s, c1 - s), (c0 - s, c1 - s)]
        // float32 points, as the reference builds them.
        let to = (0..<3).map { (Double(Float(from[$0].0) + Float(shifts[2 * $0])), Double(Float(from[$0].1) + Float(shifts[2 * $0 + 1]))) }
        // Solve [x y 1] . (a, b, c) = x' (and = y'), three points, by Cramer's rule.
        let det = from[0].0 * (from[1].1 - from[2].1) - from[0].1 * (from[1].0 - from[2].0) + (from[1].0 * from[2].1 - from[2].0 * from[1].1)
        guard det != 0 else { return [1, 0, 0, 0, 1, 0] }
        func solve(_ t: [Double]) -> [Double] {
            let a = t[0] * (from[1].1 - from[2].1) - from[0].1 * (t[1] - t[2]) + (t[1] * from[2].1 - t[2] * from[1].1)
            let b = from[0].0 * (t[1] - t[2]) - t[0] * (from[1].0 - from[2].0) + (from[1].0 * t[2] - from[2].0 * t[1])
            let c =
                from[0].0 * (from[1].1 * t[2] - from[2].1 * t[1]) - from[0].1 * (from[1].0 * t[2] - from[2].0 * t[1]) + t[0]
                * (from[1].0 * from[2].1 - from[2].0 * from[1].1)
            return [a / det, b / det, c / det]
        }
        return solve(to.map(\.0)) + solve(to.map(\.1))
    }

    /// OpenCV's warpAffine (bilinear, source positions rounded to 1/32 pixel, edges mirrored
    /// without repeating the edge): out(x, y) = image(M^-1 (x, y)).
    static func warpAffine(_ image: FloatImage, _ m: [Double]) -> FloatImage {
        let det = m[0] * m[4] - m[1] * m[3]
        guard det != 0 else { return image }
        let inverse = [m[4] / det, -m[1] / det, (m[1] * m[5] - m[4] * m[2]) / det, -m[3] / det, m[0] / det, (m[3] * m[2] - m[0] * m[5]) / det]
        var out = image
        for y in 0..<image.height {
            for x in 0..<image.width {
                // A nearly singular warp (tiny images) sends points far out: bounded, so the
                // conversion to Int cannot trap; mirroring makes the far point land inside.
                let sx = bounded(((inverse[0] * Double(x) + inverse[1] * Double(y) + inverse[2]) * 32).rounded() / 32)
                let sy = bounded(((inverse[3] * Double(x) + inverse[4] * Double(y) + inverse[5]) * 32).rounded() / 32)
                let (x0, y0) = (Int(sx.rounded(.down)), Int(sy.rounded(.down)))
                let (fx, fy) = (Float(sx - Double(x0)), Float(sy - Double(y0)))
                let (xa, xb) = (reflect101(x0, image.width), reflect101(x0 + 1, image.width))
                let (ya, yb) = (reflect101(y0, image.height), reflect101(y0 + 1, image.height))
                for c in 0..<3 {
                    let top = image[ya, xa, c] * (1 - fx) + image[ya, xb, c] * fx
                    let bottom = image[yb, xa, c] * (1 - fx) + image[yb, xb, c] * fx
                    out[y, x, c] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return out
    }

    /// A coordinate clamped to +-2^30 (NaN to 0).
    static func bounded(_ v: Double) -> Double { v.isNaN ? 0 : min(max(v, -0x1p30), 0x1p30) }

    /// out(y, x) = image at (y + dy, x + dx), bilinear, edges mirrored with the edge repeated
    /// (scipy's map_coordinates, order 1, mode 'reflect').
    static func displaced(_ image: FloatImage, dx: [Float], dy: [Float]) -> FloatImage {
        var out = image
        for y in 0..<image.height {
            for x in 0..<image.width {
                let sy = bounded(Double(y) + Double(dy[y * image.width + x])), sx = bounded(Double(x) + Double(dx[y * image.width + x]))
                let (y0, x0) = (Int(sy.rounded(.down)), Int(sx.rounded(.down)))
                let (fy, fx) = (sy - Double(y0), sx - Double(x0))
                let (ya, yb) = (halfSymmetric(y0, image.height), halfSymmetric(y0 + 1, image.height))
                let (xa, xb) = (halfSymmetric(x0, image.width), halfSymmetric(x0 + 1, image.width))
                for c in 0..<3 {
                    let top = Double(image[ya, xa, c]) * (1 - fx) + Double(image[ya, xb, c]) * fx
                    let bottom = Double(image[yb, xa, c]) * (1 - fx) + Double(image[yb, xb, c]) * fx
                    out[y, x, c] = Float(top * (1 - fy) + bottom * fy)
                }
            }
        }
        return out
    }

    /// Mirrored with the edge repeated (dcba|abcd|dcba), any distance out: scipy's 'reflect'.
    static func halfSymmetric(_ i: Int, _ n: Int) -> Int {
        let period = 2 * n, m = ((i % period) + period) % period
        return m < n ? m : period - 1 - m
    }

    /// A (h, w) plane blurred by scipy's gaussian_filter (mode 'reflect'): a kernel of
    /// radius int(truncate sigma + 0.5) along columns then rows. The kernel can be far
    /// wider than the image (severity 1: radius 512 on 224 pixels), so each output's
    /// reflected taps are first summed per input index.
    static func smoothReflected(_ plane: [Double], width w: Int, height h: Int, sigma: Double, truncate: Double = 3) -> [Double] {
        let radius = Int(truncate * sigma + 0.5)
        let taps = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = taps.reduce(0, +)
        let kernel = taps.map { $0 / total }
        func folded(_ n: Int) -> [[(Int, Double)]] {
            (0..<n).map { o in
                var weights = [Double](repeating: 0, count: n)
                for (k, weight) in kernel.enumerated() { weights[halfSymmetric(o + k - radius, n)] += weight }
                return weights.enumerated().filter { $0.element != 0 }.map { ($0.offset, $0.element) }
            }
        }
        let (columns, rows) = (folded(h), folded(w))
        var pass = [Double](repeating: 0, count: w * h), out = pass
        for y in 0..<h {
            for x in 0..<w { pass[y * w + x] = columns[y].reduce(0) { $0 + $1.1 * plane[$1.0 * w + x] } }
        }
        for y in 0..<h {
            for x in 0..<w { out[y * w + x] = rows[x].reduce(0) { $0 + $1.1 * pass[y * w + $1.0] } }
        }
        return out
    }
}
