import ArchcIR
import ArchcPasses
import XCTest

final class FoldLayerNormAffineTests: XCTestCase {
    func testAffineFoldsIntoEveryLinearReader() {
        // norm feeds two linears (one without a bias, which gains one).
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 5, 6]) -> %4 {
              %1 = layernorm(%0) [@"n.weight", @"n.bias"] {eps = 1e-06, affine = true} : [N, 5, 6] loc("n")
              %2 = linear(%1) [@"a.weight", @"a.bias"] : [N, 5, 4] loc("a")
              %3 = linear(%1) [@"b.weight"] : [N, 5, 4] loc("b")
              %4 = add(%2, %3) : [N, 5, 4] loc("s")
            }
            const @"a.bias" : [4]
            const @"a.weight" : [4, 6]
            const @"b.weight" : [4, 6]
            const @"n.bias" : [6]
            const @"n.weight" : [6]
            """)
        let (after, rewrites) = IRTest.runChecked(FoldLayerNormAffine(), on: graph)
        XCTAssertEqual(rewrites, 1)
        XCTAssertEqual(
            IRTest.body(after),
            [
                "%1 = layernorm(%0) {eps = 1e-06, affine = false} : [N, 5, 6] loc(\"n\")",
                "%2 = linear(%1) [@\"a.weight\", @\"a.bias\"] : [N, 5, 4] loc(\"a\")",
                "%3 = linear(%1) [@\"b.weight\", @\"b.bias\"] : [N, 5, 4] loc(\"b\")",
                "%4 = add(%2, %3) : [N, 5, 4] loc(\"s\")",
            ])
    }

    func testNormReadByAnythingButALinearKeepsItsAffine() {
        // The residual stream reads the norm too (and a linear reads it as its residual):
        // folding would change what those readers see.
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 5, 6]) -> %3 {
              %1 = layernorm(%0) [@"n.weight", @"n.bias"] {eps = 1e-06, affine = true} : [N, 5, 6] loc("n")
              %2 = linear(%1) [@"a.weight"] : [N, 5, 6] loc("a")
              %3 = linear(%2, %1) [@"b.weight"] {residual = true} : [N, 5, 6] loc("b")
            }
            const @"a.weight" : [6, 6]
            const @"b.weight" : [6, 6]
            const @"n.bias" : [6]
            const @"n.weight" : [6]
            """)
        XCTAssertEqual(IRTest.runChecked(FoldLayerNormAffine(), on: graph).1, 0)
    }

    func testChannelsFirstNormBeforeAPerPixelLinearFolds() {
        // ConvNeXt: LayerNorm over a map's channels, then pwconv1 as a per-pixel linear.
        let graph = IRTest.parse(
            """
            graph @"g"(%0: [N, 6, 3, 3]) -> %2 {
              %1 = layernorm(%0) [@"n.weight", @"n.bias"] {eps = 1e-06, affine = true} : [N, 6, 3, 3] loc("n")
              %2 = linear(%1) [@"a.weight", @"a.bias"] : [N, 12, 3, 3] loc("a")
            }
            const @"a.bias" : [12]
            const @"a.weight" : [12, 6]
            const @"n.bias" : [6]
            const @"n.weight" : [6]
            """)
        XCTAssertEqual(IRTest.runChecked(FoldLayerNormAffine(), on: graph).1, 1)
    }
}
