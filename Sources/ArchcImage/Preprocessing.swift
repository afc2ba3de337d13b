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

    /// The size the image is resized to, as torchvision's `Resize(resize)` computes it: the
    /// shorter side becomes `resize`, the longer `int(resize * long / short)` (truncated, not
    /// rounded: 451x300 at 256 is 384x256); at least `crop` each way.
    /// A long thin photo (65500 x 1) would become billions of pixels: over
    /// `ReaderLimits.resizedPixels` it is an error, decided before anything is allocated.
    public func resizedSize(_ image: DecodedImage, file: String) throws -> (width: Int, height: Int) {
        let (short, long) = (Double(min(image.width, image.height)), Double(max(image.width, image.height)))
        let longSide = (Double(resize) * long / short).rounded(.towardZero)
        let (rw, rh) = image.width <= image.height ? (Double(resize), longSide) : (longSide, Double(resize))
        let w = max(Double(crop), rw), h = max(Double(crop), rh)
        guard resize > 0, crop > 0, w * h <= Double(ReaderLimits.resizedPixels) else {
            throw DecodedImage.Failure(
                file: file,
                message:
                    "a \(image.width)x\(image.height) photo resized to \(resize) on its shorter side and cropped to \(crop) would need \(w)x\(h) pixels, over the \(ReaderLimits.resizedPixels) limit (docs/limits.md)"
            )
        }
        return (Int(w), Int(h))
    }

    /// The top-left corner of the centre `crop` x `crop` in a `width` x `height` image, as
    /// torchvision's `CenterCrop` places it: `int(round((width - crop) / 2))`, Python's round
    /// halving to even (an odd margin of 3 puts the crop at 2, not 1).
    public func cropOrigin(width: Int, height: Int) -> (x: Int, y: Int) {
        (Int((Double(width - crop) / 2).rounded(.toNearestOrEven)), Int((Double(height - crop) / 2).rounded(.toNearestOrEven)))
    }

    /// (3, crop, crop) float32, normalised. Only the centre crop of the resized image is
    /// computed (each output pixel depends on its own window alone, so it is the same).
    public func apply(_ image: DecodedImage, file: String = "image") throws -> Tensor {
        let (w, h) = try resizedSize(image, file: file)
        let (x, y) = cropOrigin(width: w, height: h)
        let window = Resampler.Window(x: x, y: y, width: crop, height: crop)
        let resized = Resampler.resize(image, width: w, height: h, interpolation, window: window)  // (crop, crop, 3)
        var out = [Float](repeating: 0, count: 3 * crop * crop)  // (3, crop, crop)
        let plane = crop * crop
        resized.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for c in 0..<3 {
                    let (m, s) = (mean[c], std[c])
                    for p in 0..<plane { target[c * plane + p] = (source[p * 3 + c] / 255 - m) / s }
                }
            }
        }
        return Tensor(dims: [3, crop, crop], data: out)
    }
}
