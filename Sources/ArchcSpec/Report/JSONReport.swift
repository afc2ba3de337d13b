import Foundation

/// The machine-readable report (`--report json`), read by tools and tests.
public enum JSONReport {
    struct Root: Encodable {
        var name: String
        var file: String
        var input_shape: [Int]
        var output_shape: [Int]
        var batch: Int
        var params: Int
        var macs: Int
        var flops: Int
        /// The attention matmuls' share of `macs` and `flops` (0 without attention).
        var attention_macs: Int
        var attention_flops: Int
        var stages: [StageEntry]
        var budget: BudgetEntry?
        var layers: [LayerEntry]
    }

    struct StageEntry: Encodable {
        var index: Int
        var block: String
        var depth: Int
        var params: Int
        var macs: Int
    }

    struct BudgetEntry: Encodable {
        var target_macs: Double
        var tolerance: Double
        var reference: String?
        var within: Bool
        var deviation: Double
    }

    struct LayerEntry: Encodable {
        var name: String
        var op: String
        var section: String
        var block: String?
        var output_shape: [Int]
        var params: Int
        var macs: Int
        var flops: Int
        var tensors: [String]
        var location: String
    }

    public static func render(_ network: Network, budget: BudgetVerdict?, batch: Int = 1) -> String {
        let root = Root(
            name: network.name, file: network.file, input_shape: network.input.dims, output_shape: network.output.dims,
            batch: batch, params: network.params, macs: network.macs, flops: network.flops,
            attention_macs: network.attentionCost.macs, attention_flops: network.attentionCost.flops,
            stages: network.stages.map { stage in
                let cost = network.cost(of: .stage(stage.index))
                return StageEntry(index: stage.index, block: stage.block, depth: stage.depth, params: cost.params, macs: cost.macs)
            },
            budget: budget.map {
                BudgetEntry(target_macs: $0.target, tolerance: $0.tolerance, reference: $0.referenceName, within: $0.within, deviation: $0.deviation)
            },
            layers: network.layers.map { layer in
                LayerEntry(
                    name: layer.name, op: TableReport.detail(layer.operation), section: TableReport.label(layer.section), block: layer.block,
                    output_shape: layer.outputShape.dims, params: layer.cost.params, macs: layer.cost.macs, flops: layer.cost.flops,
                    tensors: layer.tensors.map(\.name), location: layer.location.description)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(root)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
