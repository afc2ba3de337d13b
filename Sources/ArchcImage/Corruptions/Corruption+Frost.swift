import Foundation

/// Frost: a random crop of one of the frost photos, blended with the image.
extension Corruption {
    /// Per severity: the weights of the image and of the frost photo.
    static let frostWeights: [(image: Double, frost: Double)] = [(1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75)]

    /// Draws the photo, then the crop's top row and left column (the reference's order);
    /// a photo smaller than the image is first scaled up to cover it, as corrupt-tta does.
    static func frost(_ image: FloatImage, _ weights: (image: Double, frost: Double), _ textures: FrostTextures, _ random: inout CorruptionRandom) -> FloatImage
    {
        let chosen = textures.images[random.integer(0, textures.images.count)]
        let texture = covering(chosen, width: image.width, height: image.height)
        let top = random.integer(0, max(1, texture.height - image.height)), left = random.integer(0, max(1, texture.width - image.width))
        return frost(image, weights, texture, top: top, left: left)
    }

    /// image * weights.image + texture[top..., left...] * weights.frost, clipped to [0, 255].
    static func frost(_ image: FloatImage, _ weights: (image: Double, frost: Double), _ texture: DecodedImage, top: Int, left: Int) -> FloatImage {
        var out = image
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<3 {
                    let f = Double(texture.pixels[((top + y) * texture.width + left + x) * 3 + c])
                    out[y, x, c] = Float(min(255, max(0, weights.image * Double(image[y, x, c]) + weights.frost * f)))
                }
            }
        }
        return out
    }

    /// The texture itself when it covers width x height, else scaled up by the smallest factor
    /// that does (sizes rounded up; bilinear, pixel centres aligned, as OpenCV's resize).
    static func covering(_ texture: DecodedImage, width: Int, height: Int) -> DecodedImage {
        guard texture.width < width || texture.height < height else { return texture }
        let scale = max(Double(height) / Double(texture.height), Double(width) / Double(texture.width))
        let (w, h) = (Int((Double(texture.width) * scale).rounded(.up)), Int((Double(texture.height) * scale).rounded(.up)))
        let xs = halfPixelAxis(from: texture.width, to: w), ys = halfPixelAxis(from: texture.height, to: h)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let (y0, y1, fy) = ys[y]
            for x in 0..<w {
                let (x0, x1, fx) = xs[x]
                for c in 0..<3 {
                    let at = { (yy: Int, xx: Int) in Double(texture.pixels[(yy * texture.width + xx) * 3 + c]) }
                    let v = (at(y0, x0) * (1 - fx) + at(y0, x1) * fx) * (1 - fy) + (at(y1, x0) * (1 - fx) + at(y1, x1) * fx) * fy
                    pixels[(y * w + x) * 3 + c] = UInt8(min(255, max(0, v.rounded())))
                }
            }
        }
        return DecodedImage(width: w, height: h, pixels: pixels)
    }

    /// Per output index: the two input indices and the second's weight, sampling at
    /// (o + 0.5) * n / m - 0.5, clamped to the input.
    static func halfPixelAxis(from n: Int, to m: Int) -> [(Int, Int, Double)] {
        (0..<m).map { o in
            let position = max(0, (Double(o) + 0.5) * Double(n) / Double(m) - 0.5)
            let lower = min(Int(position), n - 1)
            return (lower, min(lower + 1, n - 1), lower == n - 1 ? 0 : position - Double(lower))
        }
    }
}
