import Foundation

/// Blur corruptions: Gaussian (scipy's gaussian_filter, edges repeated), defocus (an
/// antialiased disk, edges mirrored as OpenCV's filter2D does) and zoom (the image averaged
/// with centre zooms of itself).
extension Corruption {
    static func gaussianBlur(_ image: FloatImage, sigma: Double) -> FloatImage {
        let radius = Int(4 * sigma + 0.5)  // scipy's truncate = 4
        let taps = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = taps.reduce(0, +)
        let kernel = taps.map { $0 / total }
        let clamp = { (i: Int, n: Int) in min(max(i, 0), n - 1) }
        return separable(image, kernel, border: clamp).mapClipped { $0 }
    }

    /// Frosted glass: Gaussian blur, truncated to 8 bits, then `iterations` sweeps that swap
    /// each pixel with a random neighbour at most `delta` away (rows and columns from the far
    /// edge inwards, as the reference code walks them), then the blur again.
    static func glassBlur(_ image: FloatImage, _ parameters: (sigma: Double, delta: Int, iterations: Int), _ random: inout CorruptionRandom) -> FloatImage {
        var x = gaussianBlur(image, sigma: parameters.sigma)
        x.values = x.values.map { $0.rounded(.towardZero) }
        let d = parameters.delta
        for _ in 0..<parameters.iterations {
            for row in stride(from: x.height - d, to: d, by: -1) {
                for column in stride(from: x.width - d, to: d, by: -1) {
                    // NumPy's randint(-d, d): from -d to d - 1.
                    let dx = random.integer(-d, d), dy = random.integer(-d, d)
                    let (r2, c2) = (row + dy, column + dx)
                    guard row < x.height, column < x.width, r2 >= 0, r2 < x.height, c2 >= 0, c2 < x.width else { continue }
                    for c in 0..<3 {
                        let kept = x[row, column, c]
                        x[row, column, c] = x[r2, c2, c]
                        x[r2, c2, c] = kept
                    }
                }
            }
        }
        return gaussianBlur(x, sigma: parameters.sigma)
    }

    /// A streak: the image correlated with `motionKernel` at a random angle in [-45, 45]
    /// degrees. This is corrupt-tta's replacement for the reference's ImageMagick motion
    /// blur, whose Gaussian weighting along the streak it leaves out.
    static func motionBlur(_ image: FloatImage, radius: Int, _ random: inout CorruptionRandom) -> FloatImage {
        let angle = random.uniform(-45, 45)
        guard let kernel = motionKernel(radius: radius, degrees: angle) else { return image }
        return correlate(image, kernel, n: 2 * radius + 1).mapClipped { $0 }
    }

    /// A (2 radius + 1)-wide horizontal line kernel turned by `degrees` (bilinear, zero
    /// outside, as OpenCV's warpAffine turns corrupt-tta's kernel), normalised; (n, n) rows first.
    static func motionKernel(radius: Int, degrees: Double) -> [Double]? {
        let n = 2 * radius + 1, angle = degrees * Double.pi / 180
        let (cosine, sine, centre) = (cos(angle), sin(angle), Double(radius))
        var kernel = [Double](repeating: 0, count: n * n)
        for y in 0..<n {
            for x in 0..<n {
                // The source point the rotation maps onto (x, y): the inverse rotation about the centre.
                let (dx, dy) = (Double(x) - centre, Double(y) - centre)
                let (sx, sy) = (cosine * dx - sine * dy + centre, sine * dx + cosine * dy + centre)
                kernel[y * n + x] = lineSample(sx, sy, row: radius, n: n)
            }
        }
        let total = kernel.reduce(0, +)
        return total > 0 ? kernel.map { $0 / total } : nil
    }

    /// Bilinear sample of an n x n grid that is 1 on `row` and 0 elsewhere (and outside).
    static func lineSample(_ x: Double, _ y: Double, row: Int, n: Int) -> Double {
        let (x0, y0) = (Int(x.rounded(.down)), Int(y.rounded(.down)))
        let (fx, fy) = (x - Double(x0), y - Double(y0))
        let value = { (xi: Int, yi: Int) -> Double in xi >= 0 && xi < n && yi == row ? 1 : 0 }
        return (value(x0, y0) * (1 - fx) + value(x0 + 1, y0) * fx) * (1 - fy) + (value(x0, y0 + 1) * (1 - fx) + value(x0 + 1, y0 + 1) * fx) * fy
    }

    /// `(radius, alias blur)`: a disk of that radius on a 17x17 grid (wider above radius 8),
    /// smoothed by a 3x3 (5x5) Gaussian of sigma `alias`, normalised, correlated with the image.
    static func defocusBlur(_ image: FloatImage, _ parameters: (radius: Int, alias: Double)) -> FloatImage {
        let r = parameters.radius
        let half = max(8, r), n = 2 * half + 1
        var disk = [Double](repeating: 0, count: n * n)
        for y in 0..<n {
            for x in 0..<n where (x - half) * (x - half) + (y - half) * (y - half) <= r * r { disk[y * n + x] = 1 }
        }
        let area = disk.reduce(0, +)
        disk = disk.map { Float($0 / area) }.map(Double.init)  // float32, as the reference builds it
        let kernel = smooth(disk, n: n, taps: gaussianTaps(r <= 8 ? 3 : 5, sigma: parameters.alias))
        return correlate(image, kernel, n: n).mapClipped { $0 }
    }

    /// OpenCV's getGaussianKernel for sigma > 0: exp(-x^2 / 2 sigma^2), normalised.
    static func gaussianTaps(_ count: Int, sigma: Double) -> [Double] {
        let taps = (0..<count).map { i -> Double in
            let x = Double(i) - Double(count - 1) / 2
            return exp(-x * x / (2 * sigma * sigma))
        }
        let total = taps.reduce(0, +)
        return taps.map { $0 / total }
    }

    /// OpenCV's default border: mirrored without repeating the edge (dcb|abcd|cba).
    /// Any distance out in constant time (the pattern repeats every 2n - 2 indices).
    static func reflect101(_ i: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        let period = 2 * n - 2, m = ((i % period) + period) % period
        return m < n ? m : period - m
    }

    /// An n x n grid blurred by a separable kernel, edges mirrored (OpenCV's GaussianBlur).
    static func smooth(_ grid: [Double], n: Int, taps: [Double]) -> [Double] {
        let r = taps.count / 2
        var rows = [Double](repeating: 0, count: n * n), out = rows
        for y in 0..<n {
            for x in 0..<n { rows[y * n + x] = (0..<taps.count).reduce(0) { $0 + taps[$1] * grid[y * n + reflect101(x + $1 - r, n)] } }
        }
        for y in 0..<n {
            for x in 0..<n { out[y * n + x] = (0..<taps.count).reduce(0) { $0 + taps[$1] * rows[reflect101(y + $1 - r, n) * n + x] } }
        }
        return out.map { Double(Float($0)) }
    }

    /// out(y, x) = sum kernel(i, j) * image(y + i - r, x + j - r), edges mirrored.
    static func correlate(_ image: FloatImage, _ kernel: [Double], n: Int) -> FloatImage {
        let r = n / 2
        var out = image
        for y in 0..<image.height {
            for x in 0..<image.width {
                var sum: (Double, Double, Double) = (0, 0, 0)
                for i in 0..<n {
                    let sy = reflect101(y + i - r, image.height)
                    for j in 0..<n {
                        let k = kernel[i * n + j]
                        guard k != 0 else { continue }
                        let base = (sy * image.width + reflect101(x + j - r, image.width)) * 3
                        sum.0 += k * Double(image.values[base])
                        sum.1 += k * Double(image.values[base + 1])
                        sum.2 += k * Double(image.values[base + 2])
                    }
                }
                out[y, x, 0] = Float(sum.0)
                out[y, x, 1] = Float(sum.1)
                out[y, x, 2] = Float(sum.2)
            }
        }
        return out
    }

    /// A 1-D kernel along rows then columns; `border` maps an outside index inside.
    static func separable(_ image: FloatImage, _ kernel: [Double], border: (Int, Int) -> Int) -> FloatImage {
        let r = kernel.count / 2
        var rows = image, out = image
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<3 {
                    var sum = 0.0
                    for (k, w) in kernel.enumerated() { sum += w * Double(image[y, border(x + k - r, image.width), c]) }
                    rows[y, x, c] = Float(sum)
                }
            }
        }
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<3 {
                    var sum = 0.0
                    for (k, w) in kernel.enumerated() { sum += w * Double(rows[border(y + k - r, image.height), x, c]) }
                    out[y, x, c] = Float(sum)
                }
            }
        }
        return out
    }

    /// Per severity: zoom factors 1, 1 + step, ... below `stop` (NumPy's arange, whose
    /// count is ceil((stop - start) / step) in floating point).
    static let zoomFactors: [[Double]] = [
        arange(1, 1.11, 0.01), arange(1, 1.16, 0.01), arange(1, 1.21, 0.02), arange(1, 1.26, 0.02), arange(1, 1.31, 0.03),
    ]

    static func arange(_ start: Double, _ stop: Double, _ step: Double) -> [Double] {
        let count = Int(((stop - start) / step).rounded(.up))
        return (0..<count).map { start + Double($0) * step }
    }

    static func zoomBlur(_ image: FloatImage, _ factors: [Double]) -> FloatImage {
        var sum = image.values.map(Double.init)
        for factor in factors {
            let zoomed = clippedZoom(image, factor)
            for i in sum.indices { sum[i] += Double(zoomed.values[i]) }
        }
        let n = Double(factors.count + 1)
        return FloatImage(width: image.width, height: image.height, values: sum.map { Float($0 / n) }).mapClipped { $0 }
    }

    /// The centre 1/factor of the image scaled up by `factor` (bilinear, input corners on
    /// output corners, as scipy's zoom with order 1), cropped back to the image's size.
    static func clippedZoom(_ image: FloatImage, _ factor: Double) -> FloatImage {
        let (h, w) = (image.height, image.width)
        let ch = Int((Double(h) / factor).rounded(.up)), cw = Int((Double(w) / factor).rounded(.up))
        let top = (h - ch) / 2, left = (w - cw) / 2
        let oh = Int((Double(ch) * factor).rounded(.toNearestOrEven)), ow = Int((Double(cw) * factor).rounded(.toNearestOrEven))
        let trimTop = (oh - h) / 2, trimLeft = (ow - w) / 2
        let ys = axis(from: ch, to: oh), xs = axis(from: cw, to: ow)
        var out = image
        for y in 0..<h {
            let (y0, y1, fy) = ys[y + trimTop]
            for x in 0..<w {
                let (x0, x1, fx) = xs[x + trimLeft]
                for c in 0..<3 {
                    let a = Double(image[top + y0, left + x0, c]), b = Double(image[top + y0, left + x1, c])
                    let d = Double(image[top + y1, left + x0, c]), e = Double(image[top + y1, left + x1, c])
                    out[y, x, c] = Float((a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy)
                }
            }
        }
        return out
    }

    /// Per output index: the two input indices and the weight of the second.
    static func axis(from n: Int, to m: Int) -> [(Int, Int, Double)] {
        let scale = m > 1 ? Double(n - 1) / Double(m - 1) : 0
        return (0..<m).map { o in
            let position = Double(o) * scale
            let lower = min(Int(position), n - 1)
            return (lower, min(lower + 1, n - 1), position - Double(lower))
        }
    }
}
