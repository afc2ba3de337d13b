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

    /// 16 stages and a budget no 12-block edit can reach: the search once enumerated billions
    /// of depth vectors (41 s, 4 GB, then abort). It now stops at its candidate limit and
    /// says so, with the closest vector it saw.
    func testFitGivesUpOnAnUnreachableBudgetAndSaysSo() throws {
        let stages = String(repeating: "  - {block: dw, depth: 1, dim: 8}\n", count: 16)
        let start = Repo.compileText(HostileSpecTests.model(extra: "budget: {macs: 1T, tolerance: 1%}\n", stages: stages) + HostileSpecTests.dwBlock)
        XCTAssertEqual(start.blockingErrors.count, 0, start.diagnostics.rendered())
        guard case .failure(let failure) = Fitter.fit(start), case .gaveUp(let ranked, let elaborated, _, let closest) = failure else {
            return XCTFail("expected the search to give up")
        }
        XCTAssertEqual(ranked, SpecLimits.fitCandidates)
        XCTAssertEqual(elaborated, 16, "one elaboration per stage to measure its marginal block; none predicted inside")
        let best = try XCTUnwrap(closest)
        XCTAssertGreaterThan(best.proposed.reduce(0, +), 16, "the closest vector to 1 T adds blocks")
        XCTAssertFalse(best.verdict.within)
        let lines = failure.description.split(separator: "\n").map(String.init)
        XCTAssertEqual(
            lines.first,
            "gave up after ranking \(SpecLimits.fitCandidates) depth changes and elaborating 16 networks "
                + "(limits \(SpecLimits.fitCandidates) and \(SpecLimits.fitElaborations)); no proposal meets the budget")
        XCTAssertTrue(lines[1].hasPrefix("closest found: depths 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 -> "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("apply with: --set stages["), lines[2])
    }

    /// The elaboration bound, lowered so both places it stops the search are reached.
    func testFitStopsAtItsElaborationLimit() throws {
        let start = Repo.compile("specs/robust-resnet-dw-small.yaml", overrides: ["stages[2].depth=6"])
        func search(_ limit: Int) throws -> FitSearch {
            let search = FitSearch(
                spec: try XCTUnwrap(start.spec), network: try XCTUnwrap(start.network), budget: try XCTUnwrap(start.budget), options: .init())
            search.maxElaborations = limit
            return search
        }
        // 3: not even each stage's marginal block can be measured; nothing to propose.
        guard case .failure(.gaveUp(0, 3, 3, nil)) = try search(3).run(maxEdits: Fitter.maxEdits) else { return XCTFail("expected to give up measuring") }
        // 4: marginals measured, the first candidate may not be confirmed; the closest is offered.
        guard case .failure(.gaveUp(let ranked, 4, 4, let closest?)) = try search(4).run(maxEdits: Fitter.maxEdits) else {
            return XCTFail("expected to give up confirming")
        }
        XCTAssertGreaterThan(ranked, 0)
        XCTAssertTrue(closest.verdict.within, "the vector nearest the budget's centre lands inside it: \(closest.proposed)")
        // 5: the first candidate is confirmed, as without limits.
        XCTAssertEqual(try search(5).run(maxEdits: Fitter.maxEdits).get().proposed, [3, 4, 12, 3])
    }

    /// A network of thousands of layers gets fewer elaborations: 3,000 one-block stages once
    /// ran 400 elaborations of 6,000 layers (49 s) before giving up.
    func testFitElaboratesFewerNetworksOfALargeSpec() throws {
        let stages = "  - {block: dw, depth: 1500, dim: 8}\n"
        let start = Repo.compileText(HostileSpecTests.model(extra: "budget: {macs: 1T, tolerance: 1%}\n", stages: stages) + HostileSpecTests.dwBlock)
        XCTAssertEqual(start.blockingErrors.count, 0, start.diagnostics.rendered())
        let network = try XCTUnwrap(start.network)
        XCTAssertGreaterThan(network.layers.count, 4000)
        let search = FitSearch(spec: try XCTUnwrap(start.spec), network: network, budget: try XCTUnwrap(start.budget), options: .init())
        XCTAssertEqual(search.maxElaborations, SpecLimits.fitElaboratedLayers / network.layers.count)
        XCTAssertLessThan(search.maxElaborations, 50)
        XCTAssertEqual(FitSearch.elaborationLimit(layers: 150), SpecLimits.fitElaborations, "the paper's models keep the full search")
        XCTAssertEqual(FitSearch.elaborationLimit(layers: 10_000_000), 1)
        let failure = Fitter.Failure.gaveUp(ranked: 0, elaborated: 40, elaborationLimit: 40, closest: nil)
        XCTAssertEqual(
            failure.description,
            "gave up after ranking 0 depth changes and elaborating 40 networks (limits \(SpecLimits.fitCandidates) and 40: "
                + "\(SpecLimits.fitElaboratedLayers) layers elaborated at most); no proposal meets the budget")
    }

    func testUniformWidthFitSurvivesAnUnusedHugeWidth() throws {
        // 3 * (2^63 - 1) trapped when the narrowest "width" was a parameter no layer reads.
        let block = HostileSpecTests.dwBlock.replacingOccurrences(of: "params: {dim: int, kernel: 3}", with: "params: {dim: int, kernel: 3, width: 1}")
        let stages = "  - {block: dw, depth: 2, dim: 8, width: 9223372036854775807}\n"
        let start = Repo.compileText(HostileSpecTests.model(extra: "budget: {macs: 1T, tolerance: 1%}\n", stages: stages) + block)
        XCTAssertEqual(start.blockingErrors.count, 0, start.diagnostics.rendered())
        XCTAssertNil(try Fitter.fitUniformWidth(start).get())
    }

    func testFitOnASpecWithoutStagesExplainsWhy() {
        let start = Repo.compileText(HostileSpecTests.model(extra: "budget: {macs: 1T}\n", stages: "  []\n"))
        guard case .failure(let failure) = Fitter.fit(start) else { return XCTFail("fit without stages succeeded") }
        XCTAssertEqual(failure.description, "the spec has no stages whose depth could change")
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

    /// The notes told the user to remove 2 blocks from a stage of 1 (no stage goes below
    /// depth 1) and to add "644259982638.89 T blocks" (fractional, past the block limit).
    func testGapNotesStayWithinWhatAStageCanDo() throws {
        let below = Repo.compile("specs/tiny/tiny-resnet.yaml", overrides: ["budget={macs: 1, tolerance: 5%}"])
        XCTAssertEqual(
            try XCTUnwrap(below.diagnostics.errors.first).notes.map(\.message),
            [
                "stage 0 (bottleneck x1): 28.67 K; removing blocks here alone cannot reach it (depth 1 is the least)",
                "stage 1 (bottleneck x2): 51.97 K; removing blocks here alone cannot reach it (depth 1 is the least)",
            ])
        let above = Repo.compile("specs/tiny/tiny-resnet.yaml", overrides: ["budget={macs: 99999999999999999999G, tolerance: 5%}"])
        XCTAssertEqual(
            try XCTUnwrap(above.diagnostics.errors.first).notes.first?.message,
            "stage 0 (bottleneck x1): 28.67 K; adding blocks here alone cannot reach it within the 10000-block limit")
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
