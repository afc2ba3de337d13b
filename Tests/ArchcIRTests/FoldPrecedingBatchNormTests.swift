import ArchcIR
import ArchcInterpreter
import ArchcPasses
import XCTest

final class FoldPrecedingBatchNormTests: XCTestCase {
    private func graph(kernel: Int, padding: Int, groups: Int = 1) -> Graph {
        IRTest.parse(
            """
            graph @"g"(%0: [N, 4, 6, 6]) -> %2 {
              %1 = batchnorm(%0) [@"n.weight", @"n.bias", @"n.running_mean", @"n.running_var"] {eps = 1e-05, affine = true} : [N, 4, 6, 6] loc("n")
              %2 = conv2d(%1) [@"c.weight", @"c.bias"] {stride = [1, 1], padding = [\(padding), \(padding), \(padding), \(padding)], dilation = [1, 1], groups = \(groups)} : [N, 8, \(6 + 2 * padding - kernel + 1), \(6 + 2 * padding - kernel + 1)] loc("c")
            }
            const @"n.weight" : [4]
            const @"n.bias" : [4]
            const @"n.running_mean" : [4]
            const @"n.running_var" : [4]
            const @"c.weight" : [8, \(4 / groups), \(kernel), \(kernel)]
            const @"c.bias" : [8]
            """)
    }

    func testFoldsIntoPointwiseAndUnpaddedConvs() {
        for (kernel, padding, groups) in [(1, 0, 1), (3, 0, 1), (3, 0, 2), (1, 0, 4)] {
            let (after, rewrites) = IRTest.runChecked(FoldPrecedingBatchNorm(), on: graph(kernel: kernel, padding: padding, groups: groups))
            XCTAssertEqual(rewrites, 1, "kernel \(kernel) groups \(groups)")
            XCTAssertEqual(IRTest.body(after).count, 1)
            XCTAssertTrue(IRTest.body(after)[0].hasPrefix("%2 = conv2d(%0)"), IRTest.body(after)[0])
        }
    }

    /// With padding the conv reads zeros at the border where the folded form would read
    /// the BatchNorm's shift: the fold is inexact, so the pass must leave the pair alone.
    func testPaddedConvIsLeftAloneBecauseTheFoldWouldBeInexact() throws {
        let padded = graph(kernel: 3, padding: 1)
        let (after, rewrites) = IRTest.runChecked(FoldPrecedingBatchNorm(), on: padded)
        XCTAssertEqual(rewrites, 0)
        XCTAssertEqual(IRTest.body(after), IRTest.body(padded))
        // Prove the point: force the fold by treating the conv as unpadded-equivalent and
        // compare at the border, where the results must differ.
        var forced = padded
        forced.nodes[1].kind = .conv2d(ConvAttributes(stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1), Epilogue())
        forced.nodes[1].type = TensorType([8, 4, 4])
        _ = FoldPrecedingBatchNorm().run(on: &forced)
        forced.nodes[0].kind = .conv2d(ConvAttributes(stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1), Epilogue())
        forced.nodes[0].type = TensorType([8, 6, 6])
        let input = WeightInit.input(for: padded, batch: 1, seed: 3)
        let error = Interpreter.run(forced, input: input).relativeError(to: Interpreter.run(padded, input: input))
        XCTAssertGreaterThan(error, 1e-3, "folding through padding should have been visibly wrong")
    }
}
