import XCTest
@testable import ArchcSpec

/// Every spec in specs/ is a test case: it parses, validates and meets its `expect:`.
final class SpecCorpusTests: XCTestCase {
    func testEverySpecCompilesAndMeetsItsExpectations() {
        let specs = Repo.modelSpecs()
        XCTAssertGreaterThanOrEqual(specs.count, 30, "specs/ should hold the named models, ablations and tiny specs")
        for path in specs {
            let result = Repo.compile(path)
            XCTAssertTrue(result.succeeded, "\(path):\n\(result.diagnostics.rendered())")
            XCTAssertNotNil(result.spec?.expect, "\(path) has no expect: section")
        }
    }

    /// The five named specs, EfficientNet-Lite0, DeiT-Ti/S/B and ConvNeXt-T reproduce their PyTorch
    /// reference's state dict exactly: every tensor name and shape (num_batches_tracked is
    /// bookkeeping, not a weight).
    func testNamedSpecsMatchReferenceStateDicts() throws {
        let pairs = [
            ("resnet50", "resnet50"),
            ("robust-resnet-dw-small", "robust_resnet_dw_small"),
            ("robust-resnet-inverted-dw-small", "robust_resnet_inverted_dw_small"),
            ("robust-resnet-up-inverted-dw-small", "robust_resnet_up_inverted_dw_small"),
            ("robust-resnet-down-inverted-dw-small", "robust_resnet_down_inverted_dw_small"),
            ("efficientnet-lite0", "efficientnet_lite0"),
            ("deit-tiny", "deit_tiny_patch16_224"),
            ("deit-small", "deit_small_patch16_224"),
            ("deit-base", "deit_base_patch16_224"),
            ("convnext-tiny", "convnext_tiny"),
        ]
        for (spec, reference) in pairs {
            let network = try XCTUnwrap(Repo.compile("specs/\(spec).yaml").network, spec)
            let expected = try referenceTensors(reference)
            let actual = Dictionary(uniqueKeysWithValues: network.tensors.map { ($0.name, $0.shape) })
            XCTAssertEqual(Set(actual.keys).subtracting(expected.keys).sorted(), [], "\(spec): tensors the reference lacks")
            XCTAssertEqual(Set(expected.keys).subtracting(actual.keys).sorted(), [], "\(spec): reference tensors the spec lacks")
            for (name, shape) in expected { XCTAssertEqual(actual[name], shape, "\(spec): shape of \(name)") }
            let referenceParams = expected.filter { !$0.key.hasSuffix("running_mean") && !$0.key.hasSuffix("running_var") }
                .values.reduce(0) { $0 + $1.reduce(1, *) }
            XCTAssertEqual(network.params, referenceParams, spec)
        }
    }

    /// MACs against fvcore's figures for the same models (docs/paper.md), which archc's
    /// counts must round to.
    func testMACsMatchPublishedFvcoreFigures() throws {
        let figures = [
            ("resnet50", 4.11), ("robust-resnet-dw-small", 4.48), ("robust-resnet-inverted-dw-small", 4.58),
            ("robust-resnet-up-inverted-dw-small", 4.42), ("robust-resnet-down-inverted-dw-small", 4.54),
        ]
        for (spec, giga) in figures {
            let network = try XCTUnwrap(Repo.compile("specs/\(spec).yaml").network)
            XCTAssertEqual(Double(network.macs) / 1e9, giga, accuracy: 0.005, spec)
            XCTAssertEqual(network.output, .vector(1000))
        }
        // Transformers and ConvNeXt, exact: fvcore's convention with the attention matmuls
        // counted (heads * T * T * head_dim each), which fvcore itself misses in timm's models.
        let exact = [
            ("deit-tiny", 1_258_411_200), ("deit-small", 4_608_338_304), ("deit-base", 17_582_740_224), ("convnext-tiny", 4_470_437_376),
        ]
        for (spec, macs) in exact {
            let network = try XCTUnwrap(Repo.compile("specs/\(spec).yaml").network)
            XCTAssertEqual(network.macs, macs, spec)
        }
        // Without the BatchNorm term ResNet-50 is 4.09 G (docs/paper.md).
        let resnet = try XCTUnwrap(Repo.compile("specs/resnet50.yaml").network)
        let withoutNorm = resnet.layers.filter { if case .batchNorm = $0.operation { return false } else { return true } }
            .reduce(0) { $0 + $1.cost.macs }
        XCTAssertEqual(Double(withoutNorm) / 1e9, 4.09, accuracy: 0.005)
    }

    private func referenceTensors(_ name: String) throws -> [String: [Int]] {
        let url = Repo.fixtures.appendingPathComponent("reference/\(name).params.txt")
        var tensors: [String: [Int]] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t")
            guard fields.count == 3, !fields[0].hasSuffix("num_batches_tracked") else { continue }
            let dims = fields[2].trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",")
                .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            tensors[String(fields[0])] = dims
        }
        return tensors
    }
}
