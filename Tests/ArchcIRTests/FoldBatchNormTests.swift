import ArchcIR
import ArchcPasses
import XCTest

final class FoldBatchNormTests: XCTestCase {
    func testBatchNormAfterConvFoldsIntoItsWeightsAndBias() {
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 3, 7, 7]) -> %3 {
              %1 = conv2d(%0) [@"c.weight"] {stride = [2, 2], padding = [1, 1, 1, 1], dilation = [1, 1], groups = 1} : [N, 5, 4, 4] loc("c")
              %2 = batchnorm(%1) [@"n.weight", @"n.bias", @"n.running_mean", @"n.running_var"] {eps = 1e-05, affine = true} : [N, 5, 4, 4] loc("n")
              %3 = relu(%2) : [N, 5, 4, 4] loc("r")
            }
            const @"c.weight" : [5, 3, 3, 3]
            const @"n.weight" : [5]
            const @"n.bias" : [5]
            const @"n.running_mean" : [5]
            const @"n.running_var" : [5]
            """)
        let (after, rewrites) = IRTest.runChecked(FoldBatchNorm(), on: graph)
        XCTAssertEqual(rewrites, 1)
        XCTAssertEqual(
            IRTest.body(after),
            [
                "%1 = conv2d(%0) [@\"c.weight\", @\"c.bias\"] {stride = [2, 2], padding = [1, 1, 1, 1], dilation = [1, 1], groups = 1} : [N, 5, 4, 4] loc(\"c\")",
                "%3 = relu(%1) : [N, 5, 4, 4] loc(\"r\")",
            ])
    }

    func testBatchNormAfterLinearAndDepthwiseConvFolds() {
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 4, 5, 5]) -> %6 {
              %1 = conv2d(%0) [@"dw.weight", @"dw.bias"] {stride = [1, 1], padding = [2, 2, 2, 2], dilation = [1, 1], groups = 4} : [N, 4, 5, 5] loc("dw")
              %2 = batchnorm(%1) [@"a.running_mean", @"a.running_var"] {eps = 0.001, affine = false} : [N, 4, 5, 5] loc("a")
              %3 = global_avgpool(%2) : [N, 4] loc("p")
              %4 = linear(%3) [@"fc.weight", @"fc.bias"] : [N, 6] loc("fc")
              %5 = batchnorm(%4) [@"b.weight", @"b.bias", @"b.running_mean", @"b.running_var"] {eps = 1e-05, affine = true} : [N, 6] loc("b")
              %6 = relu(%5) : [N, 6] loc("r")
            }
            const @"dw.weight" : [4, 1, 5, 5]
            const @"dw.bias" : [4]
            const @"a.running_mean" : [4]
            const @"a.running_var" : [4]
            const @"fc.weight" : [6, 4]
            const @"fc.bias" : [6]
            const @"b.weight" : [6]
            const @"b.bias" : [6]
            const @"b.running_mean" : [6]
            const @"b.running_var" : [6]
            """)
        let (after, rewrites) = IRTest.runChecked(FoldBatchNorm(), on: graph)
        XCTAssertEqual(rewrites, 2)
        XCTAssertEqual(after.opCounts()["batchnorm"], nil)
    }

    func testConvWithTwoReadersIsLeftAlone() {
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 2, 3, 3]) -> %3 {
              %1 = conv2d(%0) [@"c.weight"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 2, 3, 3] loc("c")
              %2 = batchnorm(%1) [@"n.weight", @"n.bias", @"n.running_mean", @"n.running_var"] {eps = 1e-05, affine = true} : [N, 2, 3, 3] loc("n")
              %3 = add(%2, %1) : [N, 2, 3, 3] loc("a")
            }
            const @"c.weight" : [2, 2, 1, 1]
            const @"n.weight" : [2]
            const @"n.bias" : [2]
            const @"n.running_mean" : [2]
            const @"n.running_var" : [2]
            """)
        let (after, rewrites) = IRTest.runChecked(FoldBatchNorm(), on: graph)
        XCTAssertEqual(rewrites, 0)
        XCTAssertEqual(IRTest.body(after), IRTest.body(graph))
    }
}
