import ArchcIO
import ArchcIR
import ArchcImage
import Foundation
import XCTest

/// PNG and JPEG decoding (grayscale and alpha converted) and the resize / crop / normalise
/// preprocessing, against PIL on the same files (fixtures: Tests/python/make_image_fixtures.py).
final class ImageTests: XCTestCase {
    private let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/images")

    func testDecodingMatchesPIL() throws {
        for name in ["cat.jpg", "cat-gray.png", "cat-rgba.png"] {
            let image = try DecodedImage.read(dir.appendingPathComponent(name).path)
            let expected = try NPY.read(dir.appendingPathComponent(name + ".rgb.npy").path)
            XCTAssertEqual([image.height, image.width, 3], expected.dims, name)
            let worst = zip(image.pixels, expected.data).map { abs(Float($0) - $1) }.max() ?? 0
            // libjpeg-turbo and PIL's libjpeg may round the IDCT differently by a step or two.
            XCTAssertLessThanOrEqual(worst, name.hasSuffix(".jpg") ? 3 : 0, name)
        }
    }

    /// PIL (torchvision's loader: `Image.open(f).convert('RGB')`) keeps the stored values:
    /// 16-bit samples keep their high byte (16-bit grayscale is clipped to 255), alpha and
    /// tRNS are dropped rather than composited, gAMA and sRGB are ignored. libpng's simplified
    /// API brightened 16-bit and gAMA 1.0 images (106 -> 171) and composited alpha on black.
    func testPNGKeepsTheStoredValuesAsPILDoes() throws {
        let names = [
            "png-rgb16.png", "png-rgba16.png", "png-la16.png", "png-gray16.png", "png-rgba8.png", "png-la8.png", "png-palette-trns.png",
            "png-palette4.png", "png-gray2.png", "png-gray1-trns.png", "png-gamma1.png", "png-srgb.png", "png-rgba16-interlaced.png",
            "png-palette-trns-interlaced.png",
        ]
        for name in names {
            let image = try DecodedImage.read(dir.appendingPathComponent(name).path)
            let expected = try NPY.read(dir.appendingPathComponent(name + ".rgb.npy").path)
            XCTAssertEqual([image.height, image.width, 3], expected.dims, name)
            XCTAssertEqual(image.pixels.map(Float.init), expected.data, name)
        }
    }

    /// A CMYK JPEG (Adobe's inverted CMYK, as PIL writes and reads it) is read as PIL's
    /// convert('RGB'): r = (255 - c) * (255 - k) / 255; it was refused as "invalid JPEG:
    /// Unsupported color conversion request".
    func testCMYKJPEGReadsAsPIL() throws {
        let image = try DecodedImage.read(dir.appendingPathComponent("cat-cmyk.jpg").path)
        let expected = try NPY.read(dir.appendingPathComponent("cat-cmyk.jpg.rgb.npy").path)
        XCTAssertEqual([image.height, image.width, 3], expected.dims)
        let worst = zip(image.pixels, expected.data).map { abs(Float($0) - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 3, "libjpeg-turbo's and PIL's IDCT may differ by a step or two")
    }

    func testPreprocessingMatchesPIL() throws {
        for name in ["cat.jpg", "cat-gray.png", "cat-rgba.png"] {
            let image = try DecodedImage.read(dir.appendingPathComponent(name).path)
            for interpolation in Preprocessing.Interpolation.allCases {
                var p = Preprocessing.imagenet(size: 32)
                p.resize = 40
                p.interpolation = interpolation
                let ours = try p.apply(image)
                let pil = try NPY.read(dir.appendingPathComponent("\(name).\(interpolation.rawValue).npy").path)
                XCTAssertEqual(ours.dims, pil.dims)
                // One 8-bit step is 1/255/0.225 = 0.0174 after normalisation; allow two.
                let worst = zip(ours.data, pil.data).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 0.035, "\(name) \(interpolation): max difference \(worst)")
            }
        }
    }

    func testBadImagesAreClearErrors() throws {
        XCTAssertThrowsError(try DecodedImage.read(dir.appendingPathComponent("broken.jpg").path)) { error in
            XCTAssertTrue("\(error)".contains("broken.jpg: error: invalid JPEG: "), "\(error)")
        }
        let notImage = FileManager.default.temporaryDirectory.appendingPathComponent("archc-not-image.png")
        try Data("hello".utf8).write(to: notImage)
        XCTAssertThrowsError(try DecodedImage.read(notImage.path)) { error in
            XCTAssertEqual("\(error)", "\(notImage.path): error: not a PNG or JPEG image (unrecognised first bytes)")
        }
        // An interrupted download leaves 0 bytes: that is what the message says.
        try Data().write(to: notImage)
        XCTAssertThrowsError(try DecodedImage.read(notImage.path)) { error in
            XCTAssertEqual("\(error)", "\(notImage.path): error: empty file (0 bytes), not an image")
        }
        // A JPEG cut after its start marker was "0x0 pixels outside the accepted size".
        try Data([0xFF, 0xD8]).write(to: notImage)
        XCTAssertThrowsError(try DecodedImage.read(notImage.path)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(notImage.path): error: invalid JPEG: "), "\(error)")
            XCTAssertFalse("\(error)".contains("0x0"), "\(error)")
        }
        let png = [UInt8](try Data(contentsOf: dir.appendingPathComponent("cat-gray.png")))
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<200 {
            var mutated = png
            for _ in 0..<4 { mutated[8 + Int(rng.next() % UInt64(mutated.count - 8))] = UInt8(truncatingIfNeeded: rng.next()) }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("archc-fuzz.png")
            try Data(mutated.prefix(Int(rng.next() % UInt64(mutated.count)) + 8)).write(to: file)
            _ = try? DecodedImage.read(file.path)
        }
    }
}
