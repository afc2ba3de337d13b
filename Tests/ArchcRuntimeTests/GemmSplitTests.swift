import XCTest

@testable import ArchcKernels
@testable import ArchcRuntime

/// The packed GEMM's work split: every element of C belongs to exactly one part, parts are
/// fixed by the shape alone, and row parts are balanced to within one tile-panel.
final class GemmSplitTests: XCTestCase {
    func testEveryElementBelongsToExactlyOnePart() {
        for (m, n) in [
            (1, 10), (49, 768), (49, 3072), (143, 64), (144, 64), (169, 40), (196, 1536), (196, 256), (675, 24), (3136, 256), (1568, 384), (3136, 64),
            (1576, 1536), (1576, 1152),
        ] {
            let panels = (n + PackedGemm.nr - 1) / PackedGemm.nr
            let parts = PackedGemm.split(m: m, n: n, panels: panels)
            var owner = [Int](repeating: -1, count: m * panels)
            for (i, blocks) in parts.enumerated() {
                for block in blocks {
                    XCTAssertTrue(block.r0 % PackedGemm.mr == 0 || block.r0 == m, "m \(m) n \(n): block rows must start on a tile")
                    for r in block.r0..<block.r1 {
                        for p in block.p0..<block.p1 {
                            XCTAssertEqual(owner[r * panels + p], -1, "m \(m) n \(n): row \(r) panel \(p) in two parts")
                            owner[r * panels + p] = i
                        }
                    }
                }
            }
            XCTAssertFalse(owner.contains(-1), "m \(m) n \(n): some of C is in no part")
        }
    }

    func testRowPartsAreBalanced() {
        for (m, n) in [(169, 40), (3136, 256), (784, 512), (675, 24)] {
            let panels = (n + PackedGemm.nr - 1) / PackedGemm.nr
            let parts = PackedGemm.split(m: m, n: n, panels: panels)
            XCTAssertEqual(parts.count % 2, 0, "m \(m): an even number of parts keeps two threads balanced")
            // Work of a part in tile-panels (a partial tile costs a whole one).
            let work = parts.map { blocks in
                blocks.reduce(0) { $0 + ($1.r1 - $1.r0 + PackedGemm.mr - 1) / PackedGemm.mr * ($1.p1 - $1.p0) }
            }
            XCTAssertLessThanOrEqual(work.max()! - work.min()!, 2, "m \(m) n \(n): parts \(work)")
        }
    }

    func testRowPartBlocksKeepTheirShareOfCWithinBudget() {
        // DeiT-S at batch 8 (M = 8 x 197): fc1 (N = 1536) and qkv (N = 1152) have K = 384, two
        // depth blocks, so a block's partial sums must stay in L2 between them; fc2 and proj
        // (N = 384) already fit and stay one block per part.
        for (m, n, groups) in [(1576, 1536, 3), (1576, 1152, 2), (1576, 384, 1)] {
            let panels = (n + PackedGemm.nr - 1) / PackedGemm.nr
            let parts = PackedGemm.split(m: m, n: n, panels: panels)
            for blocks in parts {
                for block in blocks {
                    let bytes = (block.r1 - block.r0) * (block.p1 - block.p0) * PackedGemm.nr * 4
                    XCTAssertLessThanOrEqual(bytes, PackedGemm.maxBlockBytesOfC, "m \(m) n \(n): block \(block)")
                }
                let wholeTiles = blocks.filter { $0.r1 - $0.r0 > PackedGemm.mr }
                XCTAssertEqual(wholeTiles.count, groups, "m \(m) n \(n): panel groups of a part's whole tiles")
            }
        }
    }
}
