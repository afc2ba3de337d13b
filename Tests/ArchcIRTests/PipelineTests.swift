import ArchcIR
import ArchcLowering
import ArchcInterpreter
import ArchcPasses
import ArchcSpec
import Foundation
import XCTest

/// The whole pipeline on real specs: it verifies after every pass, leaves the robust models
/// as pure chains of fused convs, and computes the same numbers as the unoptimized graph.
final class PipelineTests: XCTestCase {
    func testEverySpecLowersVerifiesAndOptimizes() throws {
        let specs = try FileManager.default.subpathsOfDirectory(atPath: IRTest.root.appendingPathComponent("specs").path)
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("blocks/") }.sorted()
        XCTAssertGreaterThan(specs.count, 30)
        for spec in specs {
            let network = try XCTUnwrap(Compiler.compile(path: "specs/\(spec)", options: IRTest.fromRoot).network, spec)
            let graph = try Lowering.lower(network)
            XCTAssertEqual(Verifier.verify(graph), [], spec)
            let (optimized, reports) = try Pipeline.run(graph, verify: true).get()
            XCTAssertEqual(reports.map(\.flag), Pipeline.flags)
            XCTAssertEqual(optimized.opCounts()["batchnorm", default: 0], 0, "\(spec): every BatchNorm folds or becomes scale_shift")
            XCTAssertEqual(optimized.opCounts()["add", default: 0], 0, "\(spec): every residual add fuses")
        }
    }

    func testRobustModelsBecomePureChainsOfFusedConvs() throws {
        for block in ["dw", "inverted-dw", "up-inverted-dw", "down-inverted-dw"] {
            let graph = try IRTest.lowered("specs/robust-resnet-\(block)-small.yaml")
            let optimized = try Pipeline.run(graph, verify: true).get().0
            XCTAssertEqual(Set(optimized.opCounts().keys), ["conv2d", "global_avgpool", "linear"], block)
            XCTAssertEqual(optimized.constants.keys.filter { $0.contains("running_") || $0.hasSuffix(".gamma") }, [], block)
        }
    }

    func testTransformerBlocksBecomeLinearsWithFusedEpilogues() throws {
        // DeiT-S: norm1 and norm2 hand their affine to qkv and fc1, GELU joins fc1, both
        // residual adds join proj and fc2. ConvNeXt-T: the same for its per-pixel linears,
        // and layer scale folds into fc2 before the add joins it.
        for spec in ["specs/deit-small.yaml", "specs/convnext-tiny.yaml"] {
            let optimized = try Pipeline.run(try IRTest.lowered(spec), verify: true).get().0
            let counts = optimized.opCounts()
            XCTAssertEqual([counts["add"], counts["gelu"], counts["channel_scale"]], [nil, nil, nil], spec)
            let affine = optimized.nodes.filter { if case .layerNorm(_, true) = $0.kind { return true } else { return false } }.map(\.name)
            XCTAssertEqual(
                affine, spec.contains("deit") ? ["norm"] : ["stem.1", "stages.1.downsample.0", "stages.2.downsample.0", "stages.3.downsample.0"],
                "\(spec): only norms read by something other than a linear keep gamma and beta")
        }
    }

    func testOptimizedGraphsComputeTheSameNumbers() throws {
        let cases: [(String, [String])] = [
            ("specs/tiny/tiny-robust-dw.yaml", []),
            ("specs/tiny/tiny-resnet.yaml", []),
            ("specs/tiny/tiny-inverted-family.yaml", []),
            ("specs/resnet50.yaml", ["input.size=32"]),
            ("specs/robust-resnet-dw-small.yaml", ["input.size=32"]),
            ("specs/robust-resnet-inverted-dw-small.yaml", ["input.size=32"]),
            ("specs/robust-resnet-up-inverted-dw-small.yaml", ["input.size=32"]),
            ("specs/robust-resnet-down-inverted-dw-small.yaml", ["input.size=48"]),
            ("specs/ablations/robust-resnet-dw-small-full-norm-act.yaml", ["input.size=32"]),
            ("specs/deit-small.yaml", ["input.size=64"]),
            ("specs/convnext-tiny.yaml", ["input.size=64"]),
        ]
        for (spec, overrides) in cases {
            let graph = try IRTest.lowered(spec, overrides: overrides)
            let optimized = try Pipeline.run(graph, verify: true).get().0
            let input = WeightInit.input(for: graph, batch: 2, seed: 11)
            let reference = Interpreter.run(graph, input: input)
            let error = Interpreter.run(optimized, input: input).relativeError(to: reference)
            XCTAssertLessThanOrEqual(error, 1e-5, "\(spec): optimized output differs by \(error)")
            XCTAssertGreaterThan(reference.data.map(abs).max() ?? 0, 0, "\(spec): a zero output would prove nothing")
        }
    }
}
