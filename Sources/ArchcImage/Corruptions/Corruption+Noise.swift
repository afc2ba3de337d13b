import Foundation

/// Noise corruptions, on values scaled to [0, 1] as the reference does, every pixel and
/// channel drawn independently.
extension Corruption {
    /// x + N(0, sigma).
    static func gaussianNoise(_ image: FloatImage, _ sigma: Double, _ random: inout CorruptionRandom) -> FloatImage {
        image.mapClipped { Float((Double($0) / 255 + sigma * random.normal()) * 255) }
    }

    /// Poisson(x * rate) / rate: photon noise at `rate` photons for full white.
    static func shotNoise(_ image: FloatImage, _ rate: Double, _ random: inout CorruptionRandom) -> FloatImage {
        image.mapClipped { Float(Double(random.poisson(Double($0) / 255 * rate)) / rate * 255) }
    }

    /// Salt and pepper: a share `amount` of the values becomes 0 or 1, half each.
    static func impulseNoise(_ image: FloatImage, _ amount: Double, _ random: inout CorruptionRandom) -> FloatImage {
        image.mapClipped { value in
            let flipped = random.uniform() < amount, salt = random.uniform() < 0.5
            return flipped ? (salt ? 255 : 0) : value
        }
    }

    /// x + x * N(0, sigma).
    static func speckleNoise(_ image: FloatImage, _ sigma: Double, _ random: inout CorruptionRandom) -> FloatImage {
        image.mapClipped { value in
            let x = Double(value) / 255
            return Float((x + x * sigma * random.normal()) * 255)
        }
    }

    /// Fog: a plasma fractal (diamond-square, `decay` shrinking the noise per level) added
    /// with weight `strength`, then rescaled so the brightest input value keeps its level.
    static func fog(_ image: FloatImage, _ parameters: (strength: Double, decay: Double), _ random: inout CorruptionRandom) -> FloatImage {
        var size = 1
        while size < max(image.width, image.height) { size *= 2 }
        let plasma = plasmaFractal(size: max(size, 2), decay: parameters.decay, &random)
        let peak = Double(image.values.max() ?? 0) / 255
        var out = image
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<3 {
                    let v = Double(image[y, x, c]) / 255 + parameters.strength * plasma[y * size + x]
                    out[y, x, c] = Float(min(1, max(0, v * peak / (peak + parameters.strength))) * 255)
                }
            }
        }
        return out
    }

    /// A size x size map in [0, 1] (size a power of two), rows first. Each level fills the
    /// square centres, then the diamond centres, from the mean of their 4 neighbours
    /// (wrapping at the edges) plus uniform noise of half-width wibble^2; wibble starts at
    /// 100 and is divided by `decay` per level.
    static func plasmaFractal(size: Int, decay: Double, _ random: inout CorruptionRandom) -> [Double] {
        var map = [Double](repeating: 0, count: size * size)
        var step = size, wibble = 100.0
        let noisy = { (sum: Double, random: inout CorruptionRandom) in sum / 4 + wibble * random.uniform(-wibble, wibble) }
        while step >= 2 {
            let half = step / 2, n = size / step
            let at = { (i: Int, j: Int) in ((i + size) % size) * size + (j + size) % size }
            // Squares: centre (i*step+half, j*step+half) from its four corners.
            for i in 0..<n {
                for j in 0..<n {
                    let (y, x) = (i * step, j * step)
                    let sum = map[at(y, x)] + map[at(y + step, x)] + map[at(y, x + step)] + map[at(y + step, x + step)]
                    map[at(y + half, x + half)] = noisy(sum, &random)
                }
            }
            // Diamonds on the rows of corners: (i*step, j*step+half).
            for i in 0..<n {
                for j in 0..<n {
                    let (y, x) = (i * step, j * step + half)
                    let sum = map[at(y + half, x)] + map[at(y - half, x)] + map[at(y, x - half)] + map[at(y, x + half)]
                    map[at(y, x)] = noisy(sum, &random)
                }
            }
            // Diamonds on the columns of corners: (i*step+half, j*step).
            for i in 0..<n {
                for j in 0..<n {
                    let (y, x) = (i * step + half, j * step)
                    let sum = map[at(y, x + half)] + map[at(y, x - half)] + map[at(y - half, x)] + map[at(y + half, x)]
                    map[at(y, x)] = noisy(sum, &random)
                }
            }
            step /= 2
            wibble /= decay
        }
        let lo = map.min() ?? 0
        let hi = (map.max() ?? 1) - lo
        return map.map { hi > 0 ? ($0 - lo) / hi : 0 }
    }
}
