import ArchcIR
import XCTest

/// `Tensor.relativeError` is what `--check` and the pass tests compare with: Swift's `max`
/// drops NaN, so NaN against a finite value measured 0 and all-NaN outputs "agreed".
final class RelativeErrorTests: XCTestCase {
    func testNonFiniteValuesAgreeOnlyWithThemselves() {
        let finite = Tensor(dims: [3], data: [1, 2, 4])
        XCTAssertEqual(Tensor(dims: [3], data: [1, 2, 4.4]).relativeError(to: finite), 0.1, accuracy: 1e-6)
        XCTAssertEqual(Tensor(dims: [3], data: [1, .nan, 4]).relativeError(to: finite), .infinity)
        XCTAssertEqual(finite.relativeError(to: Tensor(dims: [3], data: [1, .nan, 4])), .infinity)
        XCTAssertEqual(Tensor(dims: [3], data: [1, .infinity, 4]).relativeError(to: finite), .infinity)
        XCTAssertEqual(Tensor(dims: [2], data: [.infinity, 0]).relativeError(to: Tensor(dims: [2], data: [-.infinity, 0])), .infinity)
        XCTAssertEqual(Tensor(dims: [3], data: [.nan, .infinity, 4]).relativeError(to: Tensor(dims: [3], data: [.nan, .infinity, 4])), 0)
    }

    /// What the input, weight, output and calibration checks report (five copies of one scan before).
    func testNonFiniteCountsAndLocatesTheFirst() {
        XCTAssertNil(Tensor(dims: [2, 2], data: [1, 2, 3, 4]).nonFinite)
        let bad = Tensor(dims: [3, 2], data: [1, 2, 3, .nan, .infinity, 6]).nonFinite
        XCTAssertEqual(bad?.count, 2)
        XCTAssertEqual(bad?.first, 3)
        XCTAssertEqual(bad?.image, 1)
    }
}
