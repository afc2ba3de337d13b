@testable import ArchcImage
import Foundation
import XCTest

/// archc's corruptions against the reference (PyPI corrupt-tta, fixtures made by
/// Tests/python/make_corruption_fixtures.py) on a 64x64 photo crop, every severity.
final class CorruptionTests: XCTestCase {
    static let fixtures = EvalTest.root.appendingPathComponent("Tests/ArchcEvalTests/Fixtures/corruptions").path

    static func clean() throws -> FloatImage { FloatImage(try DecodedImage.read(Self.fixtures + "/clean.png")) }

    /// Largest and mean absolute difference, in 8-bit levels, allowed per deterministic
    /// corruption (the reference computes in float64, OpenCV and PIL in their own roundings).
    static let tolerances: [Corruption: (max: Int, mean: Double)] = [
        .gaussianBlur: (2, 0.5), .defocusBlur: (2, 0.5), .zoomBlur: (2, 0.5), .brightness: (2, 0.5), .contrast: (1, 0.5),
        .saturate: (2, 0.5), .pixelate: (1, 0.05),
        // Exact with the accurate DCT PIL uses; TurboJPEG's default fast DCT was 11-22 levels off.
        .jpegCompression: (0, 0),
    ]

    func testDeterministicCorruptionsMatchTheReference() throws {
        let image = try Self.clean()
        for (corruption, tolerance) in Self.tolerances.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for severity in 1...5 {
                let reference = try DecodedImage.read("\(Self.fixtures)/\(corruption.rawValue)-\(severity).png")
                let mine = try corruption.apply(image, severity: severity).decoded
                let diffs = zip(mine.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }
                let worst = diffs.max() ?? 0, mean = Double(diffs.reduce(0, +)) / Double(diffs.count)
                print(String(format: "%@ severity %d: max |difference| %d, mean %.4f (8-bit levels)", corruption.rawValue, severity, worst, mean))
                XCTAssertLessThanOrEqual(worst, tolerance.max, "\(corruption.rawValue) severity \(severity)")
                XCTAssertLessThanOrEqual(mean, tolerance.mean, "\(corruption.rawValue) severity \(severity)")
            }
        }
    }

    /// The fetched frost photos (tools/fetch-frost-textures.sh, run by test.sh), or nil.
    static func frostTextures() throws -> FrostTextures? {
        let directory = EvalTest.root.appendingPathComponent(".cache/frost").path
        guard FileManager.default.fileExists(atPath: directory + "/frost5.jpg") else {
            print("no frost photos in \(directory): run tools/fetch-frost-textures.sh for the frost checks")
            return nil
        }
        return try FrostTextures.load(directory: directory)
    }

    /// Random corruptions draw from another generator than NumPy's: the mean and spread of
    /// (corrupted - clean) must fall within the reference's range over 8 seeds, widened by
    /// a quarter of that range plus 5% (fog: its fractal varies much from seed to seed).
    func testRandomCorruptionsMatchTheReferenceInDistribution() throws {
        let image = try Self.clean()
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/random.json"))
        let stats = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: [Double]]])
        let textures = try Self.frostTextures()
        for corruption in Corruption.allCases where corruption.isRandom && (corruption != .frost || textures != nil) {
            for severity in 1...5 {
                let reference = try XCTUnwrap(stats["\(corruption.rawValue)-\(severity)"])
                let mine = try corruption.apply(image, severity: severity, seed: 1, frost: textures).decoded
                let d = zip(mine.pixels, image.values).map { Double($0) - Double($1) }
                let mean = d.reduce(0, +) / Double(d.count)
                let std = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count)).squareRoot()
                for (name, value, range) in [("mean", mean, reference["mean"]!), ("std", std, reference["std"]!)] {
                    let lo = range.min()!, hi = range.max()!
                    let slack = (hi - lo) / 4 + 0.05 * max(abs(lo), abs(hi)) + 0.05
                    print(String(format: "%@ severity %d: %@ %.3f, reference %.3f to %.3f", corruption.rawValue, severity, name, value, lo, hi))
                    XCTAssertTrue(
                        value >= lo - slack && value <= hi + slack, "\(corruption.rawValue) severity \(severity): \(name) \(value) outside [\(lo), \(hi)]")
                }
            }
        }
    }

    /// The same seed gives the same image; another seed another one.
    /// An image larger than 2048 x 2048 is refused before any corruption allocates its copies.
    func testImagesLargerThanTheLimitAreRefused() throws {
        let image = FloatImage(width: 2049, height: 2048, values: [Float](repeating: 0.5, count: 2049 * 2048 * 3))
        XCTAssertThrowsError(try Corruption.zoomBlur.apply(image, severity: 5)) { error in
            XCTAssertEqual(
                "\(error)",
                "zoom_blur: error: an image of 2049x2048 pixels is larger than corruptions take (at most 2048x2048 = 4194304 pixels, docs/limits.md)")
        }
        let small = FloatImage(width: 8, height: 8, values: [Float](repeating: 0.5, count: 8 * 8 * 3))
        XCTAssertEqual(try Corruption.brightness.apply(small, severity: 1).width, 8)
    }

    func testRandomCorruptionsAreSeeded() throws {
        let image = try Self.clean()
        for corruption in [Corruption.gaussianNoise, .snow, .elasticTransform, .spatter] {
            let a = try corruption.apply(image, severity: 3, seed: 7)
            XCTAssertEqual(a, try corruption.apply(image, severity: 3, seed: 7), corruption.rawValue)
            XCTAssertNotEqual(a, try corruption.apply(image, severity: 3, seed: 8), corruption.rawValue)
        }
    }

    func testZoomFactorsFollowNumPysArange() {
        XCTAssertEqual(Corruption.zoomFactors.map(\.count), [12, 16, 11, 13, 11])
    }
}
