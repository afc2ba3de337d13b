import ArchcIO
import ArchcIR

/// What a model expects of a photo: resize the shorter side, centre crop, per-channel
/// mean/std on [0, 1] values (torchvision's and timm's evaluation transform).
public struct Preprocessing: Sendable, Equatable {
    public enum Interpolation: String, Sendable, CaseIterable { case bilinear, bicubic }

    public var resize: Int
    public var crop: Int
    public var interpolation: Interpolation
    public var mean: [Float]
    public var std: [Float]

    public init(resize: Int, crop: Int, interpolation: Interpolation, mean: [Float], std: [Float]) {
        self.resize = resize
        self.crop = crop
        self.interpolation = interpolation
        self.mean = mean
        self.std = std
    }

    /// ImageNet's defaults for a `size` input: shorter side to size * 256 / 224, bilinear.
    public static func imagenet(size: Int) -> Preprocessing {
        let resize = size / 224 * 256 + size % 224 * 256 / 224  // size * 256 / 224 without overflow
        return Preprocessing(resize: resize, crop: size, interpolation: .bilinear, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
    }

    /// The size the image is resized to: shorter side `resize`, at least `crop` each way.
    /// A long thin photo (65500 x 1) would become billions of pixels: over
    /// `ReaderLimits.resizedPixels` it is an error, decided before anything is allocated.
    public func resizedSize(_ image: DecodedImage, file: String) throws -> (width: Int, height: Int) {
        let scale = Double(resize) / Double(min(image.width, image.height))
        let w = max(Double(crop), (Double(image.width) * scale).rounded()), h = max(Double(crop), (Double(image.height) * scale).rounded())
        guard resize > 0, crop > 0, w * h <= Double(ReaderLimits.resizedPixels) else {
            throw DecodedImage.Failure(
                file: file,
                message:
                    "a \(image.width)x\(image.height) photo resized to \(resize) on its shorter side and cropped to \(crop) would need \(w)x\(h) pixels, over the \(ReaderLimits.resizedPixels) limit (docs/limits.md)"
            )
        }
        return (Int(w), Int(h))
    }

    /// (3, crop, crop) float32, normalised.
    public func apply(_ image: DecodedImage, file: String = "image") throws -> Tensor {
        let (w, h) = try resizedSize(image, file: file)
        let resized = Resampler.resize(image, width: w, height: h, interpolation)
        let left = (w - crop) / 2, top = (h - crop) / 2
        var out = [Float](repeating: 0, count: 3 * crop * crop)
        for c in 0..<3 {
            for y in 0..<crop {
                for x in 0..<crop {
                    let v = resized[((top + y) * w + (left + x)) * 3 + c] / 255
                    out[(c * crop + y) * crop + x] = (v - mean[c]) / std[c]
                }
            }
        }
        return Tensor(dims: [3, crop, crop], data: out)
    }
}

/// Separable resampling as PIL does it: each output pixel is a normalised weighted sum
/// over a window whose width grows with the downscale factor (antialiasing), bilinear
/// (triangle) or bicubic (a = -0.5) weights, rounding to 8 bits between the two passes.
enum Resampler {
    static func resize(_ image: DecodedImage, width: Int, height: Int, _ interpolation: Preprocessing.Interpolation) -> [Float] {
        let horizontal = pass(
            Array(image.pixels.map(Float.init)), rows: image.height, inLength: image.width, outLength: width,
            pixelStride: 3, rowStride: image.width * 3, interpolation)
        let rounded = horizontal.map { min(255, max(0, $0.rounded())) }
        // Vertical pass: treat columns as rows by transposed indexing.
        var out = [Float](repeating: 0, count: width * height * 3)
        let coefficients = weights(inLength: image.height, outLength: height, interpolation)
        for (oy, (start, ws)) in coefficients.enumerated() {
            for x in 0..<width {
                for c in 0..<3 {
                    var sum: Float = 0
                    for (k, wgt) in ws.enumerated() { sum += rounded[((start + k) * width + x) * 3 + c] * wgt }
                    out[(oy * width + x) * 3 + c] = min(255, max(0, sum.rounded()))
                }
            }
        }
        return out
    }

    private static func pass(
        _ source: [Float], rows: Int, inLength: Int, outLength: Int, pixelStride: Int, rowStride: Int,
        _ interpolation: Preprocessing.Interpolation
    ) -> [Float] {
        let coefficients = weights(inLength: inLength, outLength: outLength, interpolation)
        var out = [Float](repeating: 0, count: rows * outLength * 3)
        for y in 0..<rows {
            for (ox, (start, ws)) in coefficients.enumerated() {
                for c in 0..<3 {
                    var sum: Float = 0
                    for (k, wgt) in ws.enumerated() { sum += source[y * rowStride + (start + k) * pixelStride + c] * wgt }
                    out[(y * outLength + ox) * 3 + c] = sum
                }
            }
        }
        return out
    }

    /// Per output index: the first input index and the normalised weights of its window.
    static func weights(inLength: Int, outLength: Int, _ interpolation: Preprocessing.Interpolation) -> [(Int, [Float])] {
        let scale = Double(inLength) / Double(outLength)
        let filterScale = max(scale, 1)
        let support = (interpolation == .bicubic ? 2.0 : 1.0) * filterScale
        return (0..<outLength).map { i in
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int(center - support + 0.5)), hi = min(inLength, Int(center + support + 0.5))
            var ws = (lo..<max(lo + 1, hi)).map { j -> Double in
                let x = (Double(j) - center + 0.5) / filterScale
                return interpolation == .bicubic ? cubic(x) : max(0, 1 - abs(x))
            }
            let total = ws.reduce(0, +)
            if total != 0 { ws = ws.map { $0 / total } }
            return (lo, ws.map(Float.init))
        }
    }

    static func cubic(_ x: Double) -> Double {
        let a = -0.5, t = abs(x)
        if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
        if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
        return 0
    }
}
