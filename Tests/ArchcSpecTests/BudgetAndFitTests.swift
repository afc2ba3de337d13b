import XCTest
@testable import ArchcSpec

final class BudgetAndFitTests: XCTestCase {
    /// From ResNet-50's stage-3 depth of 6, the fitter finds the depths the paper's authors
    /// chose by hand for each block type.
    func testFitReproducesThePapersDepths() throws {
        let expected = [("dw", [3, 4, 12, 3]), ("inverted-dw", [3, 4, 14, 3]), ("up-inverted-dw", [3, 4, 14, 3]), ("down-inverted-dw", [3, 4, 15, 3])]
        for (block, depths) in expected {
            let start = Repo.compile("specs/robust-resnet-\(block)-small.yaml", overrides: ["stages[2].depth=6"])
            XCTAssertFalse(start.succeeded, "a 3,4,6,3 model should miss the 4.6 G budget")
            XCTAssertEqual(start.blockingErrors.count, 0, start.diagnostics.rendered())
            let proposal = try Fitter.fit(start).get()
            XCTAssertEqual(proposal.proposed, depths, block)
            XCTAssertTrue(proposal.verdict.within)
            XCTAssertEqual(proposal.flags, ["--set stages[2].depth=\(depths[2])"])
        }
    }

    func testFitShrinksAnOversizedModel() throws {
        let start = Repo.compile("specs/robust-resnet-inverted-dw-small.yaml", overrides: ["stages[2].depth=20"])
        let proposal = try Fitter.fit(start).get()
        XCTAssertEqual(proposal.proposed, [3, 4, 15, 3], "remove the fewest blocks, from the deepest stage")
        XCTAssertTrue(proposal.verdict.within)
    }

    func testFitWithoutBudgetExplainsWhy() {
        let result = Repo.compile("specs/resnet50.yaml")
        guard case .failure(let failure) = Fitter.fit(result) else { return XCTFail("fit without a budget succeeded") }
        XCTAssertEqual(failure.description, "the spec has no 'budget' to fit")
    }

    func testMissedBudgetReportsTheGapPerStage() throws {
        let result = Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["stages[2].depth=6"])
        let error = try XCTUnwrap(result.diagnostics.errors.first)
        XCTAssertEqual(error.location.description, "specs/robust-resnet-dw-small.yaml:7:9")
        XCTAssertEqual(error.message, "MACs 3.03 G are below the budget deit-small (4.61 G) ± 5.0% [4.38 G, 4.84 G] by 1.34 G")
        XCTAssertEqual(error.notes.count, 4)
        // DeiT-S's one stage of transformer blocks is no reference for a CNN's stage 2: no "vs" here.
        XCTAssertEqual(error.notes[2].message, "stage 2 (robust-dw x6): 1.62 G; add 6 blocks of 240.47 M here alone")
    }

    func testReferenceBudgetComparesStageByStage() throws {
        let text = """
            extends: \(Repo.specs.path)/robust-resnet-inverted-dw-small.yaml
            model: inverted-vs-dw
            budget: {reference: \(Repo.specs.path)/robust-resnet-dw-small.yaml, tolerance: 1%}
            expect: {output: [1000]}
            """
        let result = Repo.compileText(text)
        let error = try XCTUnwrap(result.diagnostics.errors.first, "4.58 G is more than 1% above 4.48 G")
        XCTAssertTrue(error.message.hasPrefix("MACs 4.58 G are above the budget robust-resnet-dw-small (4.48 G) ± 1.0%"), error.message)
        XCTAssertTrue(error.notes[2].message.contains("in the reference"), error.notes[2].message)
    }

    /// Costs and budgets are per image: a batch size must not move the verdict.
    func testBatchSizeDoesNotChangeTheBudgetVerdict() throws {
        let result = Repo.compile("specs/robust-resnet-dw-small.yaml", options: ElaborationOptions(batch: 8))
        XCTAssertTrue(result.succeeded, result.diagnostics.rendered())
        XCTAssertEqual(result.network?.macs, 4_477_799_040)
        XCTAssertEqual(try XCTUnwrap(result.budget).within, true)
    }

    /// Width proposals: one stage's width at a time, in steps of 8, smallest change first.
    func testWidthProposalsMeetTheBudget() throws {
        let start = Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["stages[2].depth=6"])
        let proposals = try Fitter.fitWidths(start).get()
        let first = try XCTUnwrap(proposals.first)
        XCTAssertEqual(first.stage, 2)
        XCTAssertEqual(first.parameter, "dim")
        XCTAssertEqual(first.original, 384)
        XCTAssertEqual(first.proposed % 8, 0)
        XCTAssertTrue(first.verdict.within)
        XCTAssertEqual(first.flag, "--set stages[2].dim=\(first.proposed)")
        let applied = Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["stages[2].depth=6", "stages[2].dim=\(first.proposed)"])
        XCTAssertTrue(applied.succeeded, applied.diagnostics.rendered())
        // One step less would not have been enough: it is the smallest such width.
        let smaller = Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["stages[2].depth=6", "stages[2].dim=\(first.proposed - 8)"])
        XCTAssertFalse(smaller.succeeded)
    }
}
