/// PIL's 8-bit resize with the box filter (Image.BOX): per output pixel, the normalised
/// weights of the input pixels its box covers, in fixed point with 22 fractional bits,
/// rows first, then columns, rounding to 8 bits in between.
enum BoxResize {
    static let precisionBits = 22

    static func resize(_ image: DecodedImage, width: Int, height: Int) -> DecodedImage {
        var current = image
        if width != current.width {
            current = pass(current, outLength: width, horizontal: true)
        }
        if height != current.height {
            current = pass(current, outLength: height, horizontal: false)
        }
        return current
    }

    /// Per output index: the first input index and its integer weights.
    static func coefficients(inLength: Int, outLength: Int) -> [(Int, [Int])] {
        let scale = Double(inLength) / Double(outLength)
        let filterScale = max(scale, 1)
        let support = 0.5 * filterScale
        return (0..<outLength).map { i in
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int(center - support + 0.5)), hi = min(inLength, Int(center + support + 0.5))
            var weights = (lo..<max(lo, hi)).map { j -> Double in
                let x = (Double(j) - center + 0.5) / filterScale
                return x > -0.5 && x <= 0.5 ? 1 : 0
            }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            return (lo, weights.map { w in w < 0 ? Int(-0.5 + w * Double(1 << precisionBits)) : Int(0.5 + w * Double(1 << precisionBits)) })
        }
    }

    static func pass(_ image: DecodedImage, outLength: Int, horizontal: Bool) -> DecodedImage {
        let (w, h) = horizontal ? (outLength, image.height) : (image.width, outLength)
        let coefficients = coefficients(inLength: horizontal ? image.width : image.height, outLength: outLength)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                let (start, weights) = coefficients[horizontal ? x : y]
                for c in 0..<3 {
                    var sum = 1 << (precisionBits - 1)
                    for (k, weight) in weights.enumerated() {
                        let index = horizontal ? (y * image.width + start + k) * 3 + c : ((start + k) * image.width + x) * 3 + c
                        sum += Int(image.pixels[index]) * weight
                    }
                    pixels[(y * w + x) * 3 + c] = UInt8(min(255, max(0, sum >> precisionBits)))
                }
            }
        }
        return DecodedImage(width: w, height: h, pixels: pixels)
    }
}
