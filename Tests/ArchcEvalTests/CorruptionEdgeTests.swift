@testable import ArchcImage
import ArchcIO
import Foundation
import XCTest

/// Every corruption on awkward inputs: tiny and non-square images, severities outside 1-5,
/// frost without its photos.
final class CorruptionEdgeTests: XCTestCase {
    /// Two 4x3 "photos": smaller than most test images, so frost scales them up first.
    static let smallTextures = FrostTextures(images: [
        DecodedImage(width: 4, height: 3, pixels: (0..<36).map { UInt8($0 * 7 % 256) }),
        DecodedImage(width: 4, height: 3, pixels: [UInt8](repeating: 200, count: 36)),
    ])

    static func image(width: Int, height: Int) -> FloatImage {
        FloatImage(width: width, height: height, values: (0..<(width * height * 3)).map { Float(($0 * 37 + 11) % 256) })
    }

    /// 1x1, 1x7, 3x5, 5x3 and 40x24: same size out, every value a finite level in [0, 255].
    func testTinyAndNonSquareImages() throws {
        for (w, h) in [(1, 1), (1, 7), (3, 5), (5, 3), (40, 24)] {
            let image = Self.image(width: w, height: h)
            for corruption in Corruption.allCases {
                for severity in 1...5 {
                    let out = try corruption.apply(image, severity: severity, seed: 2, frost: Self.smallTextures)
                    let name = "\(corruption.rawValue) severity \(severity) on \(w)x\(h)"
                    XCTAssertEqual(out.width, w, name)
                    XCTAssertEqual(out.height, h, name)
                    XCTAssertEqual(out.values.count, w * h * 3, name)
                    XCTAssertTrue(out.values.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 255 }, name)
                }
            }
        }
    }

    /// On a 40x24 image every corruption changes the pixels at severity 5.
    func testEveryCorruptionChangesANonSquareImage() throws {
        let image = Self.image(width: 40, height: 24)
        for corruption in Corruption.allCases {
            XCTAssertNotEqual(
                try corruption.apply(image, severity: 5, seed: 4, frost: Self.smallTextures).decoded.pixels, image.decoded.pixels, corruption.rawValue)
        }
    }

    func testSeverityOutsideOneToFiveIsAnError() {
        for severity in [0, 6, -1, Int.max] {
            XCTAssertThrowsError(try Corruption.snow.apply(Self.image(width: 3, height: 5), severity: severity)) { error in
                XCTAssertEqual((error as? IOError)?.description, "snow: error: severity must be between 1 and 5, found \(severity)")
            }
        }
    }

    func testFrostWithoutItsPhotosNamesThePath() throws {
        let folder = try EvalTest.folder(self)
        XCTAssertThrowsError(try FrostTextures.load(directory: folder)) { error in
            XCTAssertEqual(
                (error as? IOError)?.description,
                "\(folder)/frost1.png: error: frost texture not found: frost needs frost1.png, frost2.png, frost3.png, frost4.jpg, frost5.jpg in \(folder)"
                    + " (tools/fetch-frost-textures.sh fetches them; point --frost-dir or ARCHC_FROST_DIR at their folder)")
        }
        XCTAssertThrowsError(try Corruption.frost.apply(Self.image(width: 3, height: 5), severity: 2)) { error in
            XCTAssertEqual((error as? IOError)?.description, "frost: error: frost needs its texture images (FrostTextures.load)")
        }
    }

    /// A 20000x1 texture (scaled up keeping its shape to cover a 300x300 image: 5.4 GB and
    /// an abort) or a 5000x5000 one is refused when the textures are read, naming the file.
    func testFrostTexturesOutsideTheBoundsAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("archc-frost-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/frost1.png"
        for (w, h) in [(20_000, 1), (5000, 5000), (401, 100)] {
            let png = try XCTUnwrap(DecodedImage(width: w, height: h, pixels: [UInt8](repeating: 9, count: w * h * 3)).pngData())
            try png.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try FrostTextures.load(directory: folder)) { error in
                XCTAssertEqual(
                    "\(error)",
                    "\(path): error: frost texture of \(w)x\(h) pixels is outside the accepted size (each side at most 4096 pixels, "
                        + "the longer at most 4 times the shorter, docs/limits.md)")
            }
        }
    }

    func testFrostDirectoryComesFromTheFlagThenTheEnvironmentThenTheDefault() {
        XCTAssertEqual(FrostTextures.directory("/a", environment: ["ARCHC_FROST_DIR": "/b"]), "/a")
        XCTAssertEqual(FrostTextures.directory(nil, environment: ["ARCHC_FROST_DIR": "/b"]), "/b")
        XCTAssertEqual(FrostTextures.directory(nil, environment: [:]), ".cache/frost")
    }

    /// A photo smaller than the image is scaled up to cover it (4x3 -> 40x30 for 40x24).
    func testFrostScalesASmallPhotoToCoverTheImage() {
        let covered = Corruption.covering(Self.smallTextures.images[1], width: 40, height: 24)
        XCTAssertEqual([covered.width, covered.height], [40, 30])
        XCTAssertTrue(covered.pixels.allSatisfy { $0 == 200 })
        XCTAssertEqual(Corruption.covering(Self.smallTextures.images[0], width: 4, height: 3).pixels, Self.smallTextures.images[0].pixels)
    }

    /// The mirrored borders in constant time equal walking the mirror step by step, and
    /// stay quick far out (a nearly singular warp on a tiny image sends points there).
    func testMirroredIndicesFarOutside() {
        func walked(_ i: Int, _ n: Int, repeatEdge: Bool) -> Int {
            guard n > 1 || repeatEdge else { return 0 }
            var i = i
            while i < 0 || i >= n { i = i < 0 ? (repeatEdge ? -i - 1 : -i) : (repeatEdge ? 2 * n - 1 - i : 2 * n - 2 - i) }
            return i
        }
        for n in 1...6 {
            for i in -40...40 {
                XCTAssertEqual(Corruption.reflect101(i, n), walked(i, n, repeatEdge: false), "reflect101(\(i), \(n))")
                XCTAssertEqual(Corruption.halfSymmetric(i, n), walked(i, n, repeatEdge: true), "halfSymmetric(\(i), \(n))")
            }
        }
        XCTAssertEqual(Corruption.reflect101(-(1 << 30), 5), walked(-(1 << 30) % 8, 5, repeatEdge: false))
        XCTAssertEqual(Corruption.bounded(.infinity), 0x1p30)
        XCTAssertEqual(Corruption.bounded(.nan), 0)
    }

    /// Tiny images under many seeds: the warp's anchor points nearly coincide, some
    /// draws make it nearly singular; every output stays a finite level.
    func testElasticOnTinyImagesUnderManySeeds() throws {
        for (w, h) in [(2, 2), (3, 5), (1, 3), (4, 3)] {
            let image = Self.image(width: w, height: h)
            for seed in 0..<100 {
                for severity in [1, 3, 5] {
                    let out = try Corruption.elasticTransform.apply(image, severity: severity, seed: UInt64(seed))
                    XCTAssertTrue(out.values.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 255 }, "\(w)x\(h) seed \(seed)")
                }
            }
        }
    }
}
