import ArchcIR
import ArchcPasses
import XCTest

final class FoldLayerScaleTests: XCTestCase {
    func testLayerScaleAfterConvFolds() {
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 6, 5, 5]) -> %3 {
              %1 = conv2d(%0) [@"pw.weight", @"pw.bias"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 6, 5, 5] loc("pw")
              %2 = channel_scale(%1) [@"gamma"] : [N, 6, 5, 5] loc("gamma")
              %3 = add(%2, %0) : [N, 6, 5, 5] loc("add")
            }
            const @"pw.weight" : [6, 6, 1, 1]
            const @"pw.bias" : [6]
            const @"gamma" : [6]
            """)
        let (after, rewrites) = IRTest.runChecked(FoldLayerScale(), on: graph)
        XCTAssertEqual(rewrites, 1)
        XCTAssertEqual(
            IRTest.body(after),
            [
                "%1 = conv2d(%0) [@\"pw.weight\", @\"pw.bias\"] {stride = [1, 1], padding = [0, 0, 0, 0], dilation = [1, 1], groups = 1} : [N, 6, 5, 5] loc(\"pw\")",
                "%3 = add(%1, %0) : [N, 6, 5, 5] loc(\"add\")",
            ])
    }

    func testScaleAfterANonConvIsLeftAlone() {
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 3, 4, 4]) -> %2 {
              %1 = relu(%0) : [N, 3, 4, 4] loc("r")
              %2 = channel_scale(%1) [@"gamma"] : [N, 3, 4, 4] loc("gamma")
            }
            const @"gamma" : [3]
            """)
        XCTAssertEqual(IRTest.runChecked(FoldLayerScale(), on: graph).1, 0)
    }
}
