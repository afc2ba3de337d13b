@testable import ArchcImage
import ArchcIO
import Foundation
import XCTest

/// snow, elastic_transform, spatter and frost against the reference pixel by pixel: with
/// NumPy's generator replayed (`NumPyRandomState`), or given frost's photo and crop, archc
/// computes what corrupt-tta computed for the fixtures (Tests/python/make_corruption_fixtures.py).
final class CorruptionReplayTests: XCTestCase {
    /// The seed the fixture script gave NumPy before each of these corruptions.
    static let exactSeed: UInt32 = 3

    /// Largest and mean absolute difference allowed, in 8-bit levels. Measured: snow max 1,
    /// mean 0.06-0.12; elastic_transform max 2, mean 0.08; spatter max 1, mean <= 0.0001;
    /// frost max 1, mean <= 0.025: values a rounding away from a whole level truncate to the
    /// level below on one side (the reference mixes float32 and float64; OpenCV's warp and
    /// filters round in their own ways).
    static let tolerances: [Corruption: (max: Int, mean: Double)] = [.snow: (2, 0.2), .elasticTransform: (3, 0.15), .spatter: (1, 0.01), .frost: (1, 0.05)]

    func compare(_ mine: DecodedImage, _ file: String, _ corruption: Corruption, _ severity: Int) throws {
        let reference = try DecodedImage.read("\(CorruptionTests.fixtures)/\(file)")
        XCTAssertEqual(mine.pixels.count, reference.pixels.count)
        let diffs = zip(mine.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }
        let worst = diffs.max() ?? 0, mean = Double(diffs.reduce(0, +)) / Double(diffs.count)
        print(String(format: "%@ severity %d: max |difference| %d, mean %.4f (8-bit levels)", corruption.rawValue, severity, worst, mean))
        let tolerance = Self.tolerances[corruption]!
        XCTAssertLessThanOrEqual(worst, tolerance.max, "\(corruption.rawValue) severity \(severity)")
        XCTAssertLessThanOrEqual(mean, tolerance.mean, "\(corruption.rawValue) severity \(severity)")
    }

    func testNumPysGeneratorIsReproduced() {
        // np.random.seed(5); random_sample(), normal(), normal(), uniform(-3, 2)
        var numpy = NumPyRandomState(seed: 5)
        XCTAssertEqual(numpy.uniform(), 0.22199317108973948)
        XCTAssertEqual(numpy.normal(), -0.2939598035905121)
        XCTAssertEqual(numpy.normal(), 0.3715905688783965)
        XCTAssertEqual(numpy.uniform(-3, 2), 1.593054539689608)
    }

    func testSnowElasticAndSpatterMatchTheReferenceWithItsDraws() throws {
        let image = try CorruptionTests.clean()
        for severity in 1...5 {
            let s = severity - 1
            var numpy = NumPyRandomState(seed: Self.exactSeed)
            try compare(Corruption.snow(image, Corruption.snowParameters[s], &numpy).decoded, "snow-\(severity).png", .snow, severity)
            numpy = NumPyRandomState(seed: Self.exactSeed)
            let elastic = Corruption.elasticTransform(image, Corruption.elasticParameters[s], &numpy)
            try compare(elastic.decoded, "elastic_transform-\(severity).png", .elasticTransform, severity)
            numpy = NumPyRandomState(seed: Self.exactSeed)
            try compare(Corruption.spatter(image, Corruption.spatterParameters[s], &numpy).decoded, "spatter-\(severity).png", .spatter, severity)
        }
    }

    func testFrostMatchesTheReferenceGivenItsPhotoAndCrop() throws {
        guard let textures = try CorruptionTests.frostTextures() else { throw XCTSkip("run tools/fetch-frost-textures.sh for the frost check") }
        let image = try CorruptionTests.clean()
        let data = try Data(contentsOf: URL(fileURLWithPath: CorruptionTests.fixtures + "/frost.json"))
        let crops = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        for severity in 1...5 {
            let crop = try XCTUnwrap(crops["\(severity)"])
            let photo = try XCTUnwrap(FrostTextures.fileNames.firstIndex(of: try XCTUnwrap(crop["photo"] as? String)))
            let (top, left) = (try XCTUnwrap(crop["top"] as? Int), try XCTUnwrap(crop["left"] as? Int))
            let mine = Corruption.frost(image, Corruption.frostWeights[severity - 1], textures.images[photo], top: top, left: left)
            try compare(mine.decoded, "frost-\(severity).png", .frost, severity)
        }
    }
}
