import ArchcIR
import ArchcPasses
import XCTest

final class FoldConstantsTests: XCTestCase {
    /// A layer scale of ones stays: no rewrite may depend on weight values.
    func testStandaloneBatchNormBecomesScaleShiftAndFlatFlattenVanishes() {
        var graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 3, 4, 4]) -> %5 {
              %1 = batchnorm(%0) [@"n.weight", @"n.bias", @"n.running_mean", @"n.running_var"] {eps = 1e-05, affine = true} : [N, 3, 4, 4] loc("n")
              %2 = channel_scale(%1) [@"ones"] : [N, 3, 4, 4] loc("s")
              %3 = global_avgpool(%2) : [N, 3] loc("p")
              %4 = flatten(%3) : [N, 3] loc("f")
              %5 = relu(%4) : [N, 3] loc("r")
            }
            const @"n.weight" : [3]
            const @"n.bias" : [3]
            const @"n.running_mean" : [3]
            const @"n.running_var" : [3]
            const @"ones" : [3]
            """)
        graph.constants["ones"] = Tensor(dims: [3], data: [1, 1, 1])
        let (after, rewrites) = IRTest.runChecked(FoldConstants(), on: graph)
        XCTAssertEqual(rewrites, 2)
        XCTAssertEqual(
            IRTest.body(after),
            [
                "%1 = scale_shift(%0) [@\"n.scale\", @\"n.shift\"] : [N, 3, 4, 4] loc(\"n\")",
                "%2 = channel_scale(%1) [@\"ones\"] : [N, 3, 4, 4] loc(\"s\")",
                "%3 = global_avgpool(%2) : [N, 3] loc(\"p\")",
                "%5 = relu(%3) : [N, 3] loc(\"r\")",
            ])
    }
}
