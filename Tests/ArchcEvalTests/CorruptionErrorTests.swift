import ArchcDriver
import XCTest

final class CorruptionErrorTests: XCTestCase {
    /// Hand-computed: a model with error 0.5 at every severity of brightness has
    /// CE = 2.5 / (0.45140 + 0.48502 + 0.54048 + 0.62166 + 0.72440) = 2.5 / 2.82296 = 0.885595...
    /// and with clean error 0.3, relative CE = (5 * 0.2) / (2.82296 - 5 * 0.43478) = 1 / 0.64906 = 1.540690...
    func testBrightnessByHand() {
        let errors = ["brightness": [1: 0.5, 2: 0.5, 3: 0.5, 4: 0.5, 5: 0.5]]
        XCTAssertEqual(CorruptionError.ce(errors)["brightness"]!, 0.885595262, accuracy: 1e-9)
        XCTAssertEqual(CorruptionError.relativeCE(errors, cleanError: 0.3)["brightness"]!, 1.540689613, accuracy: 1e-9)
        XCTAssertNil(CorruptionError.mean(CorruptionError.ce(errors)), "mCE needs all 15 corruptions")
    }

    /// With AlexNet's own errors every CE is 1, so mCE is 1; with errors of zero it is 0;
    /// with errors half AlexNet's, 0.5. A missing severity drops that corruption's CE.
    func testMeanOverFifteen() {
        func scaled(_ factor: Double) -> [String: [Int: Double]] {
            CorruptionError.alexNetErrors.mapValues { values in
                Dictionary(uniqueKeysWithValues: values.enumerated().map { ($0.offset + 1, $0.element * factor) })
            }
        }
        XCTAssertEqual(CorruptionError.mean(CorruptionError.ce(scaled(1)))!, 1, accuracy: 1e-12)
        XCTAssertEqual(CorruptionError.mean(CorruptionError.ce(scaled(0.5)))!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(CorruptionError.mean(CorruptionError.ce(scaled(0)))!, 0, accuracy: 1e-12)
        var partial = scaled(1)
        partial["fog"]![3] = nil
        XCTAssertNil(CorruptionError.ce(partial)["fog"])
        XCTAssertNil(CorruptionError.mean(CorruptionError.ce(partial)))
        XCTAssertEqual(CorruptionError.alexNetErrors.count, 15)
        XCTAssertEqual(Set(CorruptionError.alexNetErrors.keys), Set(CorruptionError.benchmark))
    }

    /// mCE from counts, through EvalResult: two corruptions by hand would not reach 15, so
    /// every benchmark corruption gets 20 images with 10 right at every severity (error 0.5).
    func testResultMCE() {
        var result = EvalResult(model: "m", sources: ["imagenet-c": "x"], subsets: ["imagenet-c": .all])
        for name in CorruptionError.benchmark {
            for s in 1...5 {
                result.counts[EvalKey(set: "imagenet-c", corruption: name, severity: s)] = EvalCounts(found: 20, evaluated: 20, top1: 10, top5: 15)
            }
        }
        let expected = CorruptionError.benchmark.map { 2.5 / CorruptionError.alexNetErrors[$0]!.reduce(0, +) }.reduce(0, +) / 15
        XCTAssertEqual(result.mce!, expected, accuracy: 1e-12)
        XCTAssertNil(result.relativeMCE, "no clean accuracy given")
        result.givenCleanTop1 = 0.7
        XCTAssertNotNil(result.relativeMCE)
    }
}
