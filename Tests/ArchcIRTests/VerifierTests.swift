import ArchcIR
import XCTest

/// Each invariant the verifier checks, broken once.
final class VerifierTests: XCTestCase {
    private let header = "graph @\"g\"(%0: [N, 4, 8, 8]) -> %2 {\n"
    private let constants = "const @\"w\" : [4, 4, 1, 1]\nconst @\"b\" : [4]\n"

    private func errors(_ body: String, constants: String? = nil) throws -> [String] {
        Verifier.verify(try IRParser.parse(header + body + "}\n" + (constants ?? self.constants)).get())
    }

    func testValidGraphHasNoErrors() throws {
        XCTAssertEqual(
            try errors(
                """
                  %1 = conv2d(%0) [@"w", @"b"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 4, 8, 8] loc("c")
                  %2 = relu(%1) : [N, 4, 8, 8] loc("r")

                """), [])
    }

    func testEachBrokenInvariantIsReported() throws {
        XCTAssertEqual(try errors("  %2 = relu(%1) : [N, 4, 8, 8] loc(\"r\")\n"), ["%2 (relu 'r'): reads %1, which is not defined before it"])
        XCTAssertEqual(
            try errors("  %1 = relu(%0) : [N, 4, 4, 4] loc(\"r\")\n  %2 = relu(%1) : [N, 4, 4, 4] loc(\"s\")\n"),
            ["%1 (relu 'r'): declared type [N, 4, 4, 4], but the op produces [N, 4, 8, 8]"])
        XCTAssertEqual(
            try errors(
                "  %1 = conv2d(%0) [@\"v\"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 4, 8, 8] loc(\"c\")\n  %2 = relu(%1) : [N, 4, 8, 8] loc(\"r\")\n"
            ),
            ["%1 (conv2d 'c'): weight @\"v\" is not a constant of the graph"])
        XCTAssertEqual(
            try errors(
                "  %1 = conv2d(%0) [@\"w\"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 2} : [N, 4, 8, 8] loc(\"c\")\n  %2 = relu(%1) : [N, 4, 8, 8] loc(\"r\")\n"
            ),
            ["%1 (conv2d 'c'): conv2d weight [4, 4, 1, 1] does not fit 4 input channels in 2 groups"])
        XCTAssertEqual(
            try errors("  %1 = relu(%0) : [N, 4, 8, 8] loc(\"r\")\n  %2 = relu(%0) : [N, 4, 8, 8] loc(\"s\")\n"),
            ["%1 (relu 'r') is never used"])
        XCTAssertEqual(
            try errors("  %2 = relu(%0) : [N, 4, 8, 8] loc(\"r\")\n  %2 = relu(%2) : [N, 4, 8, 8] loc(\"s\")\n"),
            ["%2 (relu 's'): value %2 is defined twice"])
        XCTAssertEqual(
            try errors("  %1 = add(%0, %0) : [N, 4, 8, 8] loc(\"a\")\n  %2 = linear(%1) [@\"b\"] : [N, 4] loc(\"l\")\n"),
            ["%2 (linear 'l'): linear weight has shape [4], expected [out, 4]"])
        XCTAssertEqual(try errors("  %1 = relu(%0) : [N, 4, 8, 8] loc(\"r\")\n"), ["the graph output %2 is not defined", "%1 (relu 'r') is never used"])
        XCTAssertEqual(
            try errors(
                "  %1 = batchnorm(%0) [@\"b\", @\"b\"] {eps = 1e-05, affine = true} : [N, 4, 8, 8] loc(\"n\")\n  %2 = relu(%1) : [N, 4, 8, 8] loc(\"r\")\n"),
            ["%1 (batchnorm 'n'): batchnorm expects 4 weights, found 2"])
    }
}
