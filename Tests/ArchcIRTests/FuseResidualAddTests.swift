import ArchcIR
import ArchcPasses
import XCTest

final class FuseResidualAddTests: XCTestCase {
    /// The ResNet pattern: the shortcut projection is computed after the branch conv, so the
    /// fused conv must move to the add's place.
    func testAddAndFollowingReluJoinTheBranchConv() {
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 4, 6, 6]) -> %5 {
              %1 = conv2d(%0) [@"c3.weight", @"c3.bias"] {stride = [2, 2], padding = [1, 1, 1, 1], dilation = [1, 1], groups = 1} : [N, 8, 3, 3] loc("c3")
              %2 = conv2d(%0) [@"ds.weight", @"ds.bias"] {stride = [2, 2], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 8, 3, 3] loc("ds")
              %3 = add(%1, %2) : [N, 8, 3, 3] loc("add")
              %5 = relu(%3) : [N, 8, 3, 3] loc("relu")
            }
            const @"c3.weight" : [8, 4, 3, 3]
            const @"c3.bias" : [8]
            const @"ds.weight" : [8, 4, 1, 1]
            const @"ds.bias" : [8]
            """)
        let (after, rewrites) = IRTest.runChecked(FuseResidualAdd(), on: graph)
        XCTAssertEqual(rewrites, 1)
        XCTAssertEqual(
            IRTest.body(after),
            [
                "%2 = conv2d(%0) [@\"ds.weight\", @\"ds.bias\"] {stride = [2, 2], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 8, 3, 3] loc(\"ds\")",
                "%1 = conv2d(%0, %2) [@\"c3.weight\", @\"c3.bias\"] {stride = [2, 2], padding = [1, 1, 1, 1], dilation = [1, 1], groups = 1, residual = true, post_act = relu} : [N, 8, 3, 3] loc(\"c3\")",
            ])
    }

    func testAddOfNonConvsIsLeftAlone() {
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 2, 3, 3]) -> %2 {
              %1 = relu(%0) : [N, 2, 3, 3] loc("r")
              %2 = add(%1, %0) : [N, 2, 3, 3] loc("a")
            }
            """)
        XCTAssertEqual(IRTest.runChecked(FuseResidualAdd(), on: graph).1, 0)
    }

    func testResidualAddOverTokensJoinsTheLinear() {
        // A ViT block's second half: x + fc2(gelu(fc1(x))).
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 5, 6]) -> %3 {
              %1 = linear(%0) [@"fc1.weight"] {act = gelu} : [N, 5, 12] loc("fc1")
              %2 = linear(%1) [@"fc2.weight", @"fc2.bias"] : [N, 5, 6] loc("fc2")
              %3 = add(%0, %2) : [N, 5, 6] loc("add")
            }
            const @"fc1.weight" : [12, 6]
            const @"fc2.bias" : [6]
            const @"fc2.weight" : [6, 12]
            """)
        let (after, rewrites) = IRTest.runChecked(FuseResidualAdd(), on: graph)
        XCTAssertEqual(rewrites, 1)
        XCTAssertEqual(
            IRTest.body(after),
            [
                "%1 = linear(%0) [@\"fc1.weight\"] {act = gelu} : [N, 5, 12] loc(\"fc1\")",
                "%2 = linear(%1, %0) [@\"fc2.weight\", @\"fc2.bias\"] {residual = true} : [N, 5, 6] loc(\"fc2\")",
            ])
    }
}
