@testable import ArchcKernels
@testable import ArchcRuntime
import Foundation
import XCTest

/// The vector erf behind the runtime's GELU, against the C library's erf in Double.
final class ErfTests: XCTestCase {
    func testErfMatchesTheLibraryOnADenseGrid() {
        var worst = 0.0, worstAt: Float = 0
        var x: Float = -7
        while x <= 7 {
            let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.000_25 })
            let got = Erf.erf(lanes)
            for i in 0..<8 {
                let error = abs(Double(got[i]) - Foundation.erf(Double(lanes[i])))
                if error > worst { (worst, worstAt) = (error, lanes[i]) }
            }
            x += 0.002
        }
        XCTAssertLessThan(worst, 4e-7, "erf off by \(worst) at \(worstAt)")
    }

    func testGELUMatchesTheExactFormula() {
        for x in stride(from: Float(-9), through: 9, by: 0.0137) {
            let exact = 0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
            let vector = EpilogueKernel.activate(SIMD8<Float>(repeating: x), .gelu)[3]
            let scalar = EpilogueKernel.activate(x, .gelu)
            XCTAssertLessThanOrEqual(abs(Double(vector) - exact), 4e-7 * max(1, Double(abs(x))), "GELU(\(x))")
            XCTAssertEqual(vector, scalar, "GELU(\(x)): vector and scalar paths differ")
        }
    }
}
