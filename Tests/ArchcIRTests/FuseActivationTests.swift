import ArchcIR
import ArchcPasses
import XCTest

final class FuseActivationTests: XCTestCase {
    func testActivationJoinsTheConvEpilogueBeforeOrAfterTheResidual() {
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 4, 5, 5]) -> %4 {
              %1 = conv2d(%0) [@"a.weight"] {stride = [1, 1], padding = [1, 1, 1, 1], dilation = [1, 1], groups = 1} : [N, 4, 5, 5] loc("a")
              %2 = relu6(%1) : [N, 4, 5, 5] loc("r")
              %3 = conv2d(%2, %0) [@"b.weight"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1, residual = true} : [N, 4, 5, 5] loc("b")
              %4 = gelu(%3) : [N, 4, 5, 5] loc("g")
            }
            const @"a.weight" : [4, 4, 3, 3]
            const @"b.weight" : [4, 4, 1, 1]
            """)
        let (after, rewrites) = IRTest.runChecked(FuseActivation(), on: graph)
        XCTAssertEqual(rewrites, 2)
        XCTAssertEqual(
            IRTest.body(after),
            [
                "%1 = conv2d(%0) [@\"a.weight\"] {stride = [1, 1], padding = [1, 1, 1, 1], dilation = [1, 1], groups = 1, act = relu6} : [N, 4, 5, 5] loc(\"a\")",
                "%3 = conv2d(%1, %0) [@\"b.weight\"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1, residual = true, post_act = gelu} : [N, 4, 5, 5] loc(\"b\")",
            ])
    }

    func testConvReadTwiceKeepsItsActivationSeparate() {
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 2, 3, 3]) -> %3 {
              %1 = conv2d(%0) [@"a.weight"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 2, 3, 3] loc("a")
              %2 = relu(%1) : [N, 2, 3, 3] loc("r")
              %3 = add(%2, %1) : [N, 2, 3, 3] loc("s")
            }
            const @"a.weight" : [2, 2, 1, 1]
            """)
        XCTAssertEqual(IRTest.runChecked(FuseActivation(), on: graph).1, 0)
    }

    func testActivationJoinsATokenLinearsEpilogue() {
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 5, 6]) -> %2 {
              %1 = linear(%0) [@"fc1.weight", @"fc1.bias"] : [N, 5, 12] loc("fc1")
              %2 = gelu(%1) : [N, 5, 12] loc("act")
            }
            const @"fc1.bias" : [12]
            const @"fc1.weight" : [12, 6]
            """)
        let (after, rewrites) = IRTest.runChecked(FuseActivation(), on: graph)
        XCTAssertEqual(rewrites, 1)
        XCTAssertEqual(IRTest.body(after), ["%1 = linear(%0) [@\"fc1.weight\", @\"fc1.bias\"] {act = gelu} : [N, 5, 12] loc(\"fc1\")"])
    }
}
