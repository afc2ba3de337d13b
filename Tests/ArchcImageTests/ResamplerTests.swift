@testable import ArchcImage
import XCTest

/// The windowed resampler against its plain-loops twin: bit for bit, on random images,
/// sizes (odd ones, upscaling and downscaling) and windows, both interpolations.
final class ResamplerTests: XCTestCase {
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static func image(_ width: Int, _ height: Int, _ random: inout Generator) -> DecodedImage {
        DecodedImage(width: width, height: height, pixels: (0..<(width * height * 3)).map { _ in UInt8(random.next(256)) })
    }

    func testWindowEqualsTheNaiveWholeImage() {
        var random = Generator(state: 17)
        for trial in 0..<60 {
            let source = Self.image(1 + random.next(70), 1 + random.next(70), &random)
            let (width, height) = (1 + random.next(90), 1 + random.next(90))
            let (x, y) = (random.next(width), random.next(height))
            let sized = Resampler.Window(x: x, y: y, width: 1 + random.next(width - x), height: 1 + random.next(height - y))
            for interpolation in Preprocessing.Interpolation.allCases {
                let whole = Resampler.naiveResize(source, width: width, height: height, interpolation)
                XCTAssertEqual(Resampler.resize(source, width: width, height: height, interpolation), whole, "trial \(trial) whole")
                let part = Resampler.resize(source, width: width, height: height, interpolation, window: sized)
                var expected: [Float] = []
                for y in sized.y..<sized.y + sized.height {
                    expected += whole[((y * width + sized.x) * 3)..<((y * width + sized.x + sized.width) * 3)]
                }
                XCTAssertEqual(
                    part, expected,
                    "trial \(trial): \(source.width)x\(source.height) -> \(width)x\(height), window \(sized), \(interpolation)")
            }
        }
    }

    /// `apply` (the centre crop of the windowed resize, normalised) equals normalising the
    /// naive whole image's centre crop.
    func testPreprocessingEqualsTheNaiveCrop() throws {
        var random = Generator(state: 5)
        for (w, h) in [(500, 375), (375, 500), (61, 47), (224, 224), (9, 301)] {
            let source = Self.image(w, h, &random)
            for interpolation in Preprocessing.Interpolation.allCases {
                var p = Preprocessing.imagenet(size: 32)
                p.resize = 37
                p.interpolation = interpolation
                p.mean = [0.4, 0.5, 0.6]
                p.std = [0.2, 0.25, 0.3]
                let (rw, rh) = try p.resizedSize(source, file: "x")
                let whole = Resampler.naiveResize(source, width: rw, height: rh, interpolation)
                let (left, top) = p.cropOrigin(width: rw, height: rh)
                var expected = [Float](repeating: 0, count: 3 * 32 * 32)
                for c in 0..<3 {
                    for y in 0..<32 {
                        for x in 0..<32 {
                            expected[(c * 32 + y) * 32 + x] = (whole[((top + y) * rw + left + x) * 3 + c] / 255 - p.mean[c]) / p.std[c]
                        }
                    }
                }
                XCTAssertEqual(try p.apply(source).data, expected, "\(w)x\(h) \(interpolation)")
            }
        }
    }

    /// torchvision's Resize(s) truncates the longer side (`int(s * long / short)`) and its
    /// CenterCrop rounds the margin / 2 half to even; values from torchvision's formulas in
    /// Python. Rounding the long side made the README's 451x300 photo 385x256, not 384x256.
    func testResizeAndCropAsTorchvision() throws {
        let cases = [
            (451, 300, 256, 224, 384, 256, 80, 16), (300, 451, 256, 224, 256, 384, 16, 80), (500, 375, 37, 32, 49, 37, 8, 2),
            (61, 47, 37, 32, 48, 37, 8, 2), (9, 301, 37, 32, 37, 1237, 2, 602), (1000, 999, 256, 224, 256, 256, 16, 16),
            (640, 427, 292, 260, 437, 292, 88, 16), (333, 500, 272, 240, 272, 408, 16, 84), (40, 40, 35, 32, 35, 35, 2, 2),
        ]
        for (w, h, resize, crop, rw, rh, x, y) in cases {
            let p = Preprocessing(resize: resize, crop: crop, interpolation: .bilinear, mean: [0, 0, 0], std: [1, 1, 1])
            let size = try p.resizedSize(DecodedImage(width: w, height: h, pixels: []), file: "x")
            XCTAssertEqual([size.width, size.height], [rw, rh], "\(w)x\(h) at \(resize)")
            let origin = p.cropOrigin(width: size.width, height: size.height)
            XCTAssertEqual([origin.x, origin.y], [x, y], "\(w)x\(h) at \(resize) cropped to \(crop)")
        }
    }
}
