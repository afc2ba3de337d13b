/// The one-screen summary `archc compile` prints by default.
public enum SummaryReport {
    public static func render(_ network: Network, budget: BudgetVerdict?, batch: Int = 1) -> String {
        let convs = network.layers.filter { if case .conv = $0.operation { return true } else { return false } }.count
        var lines = [
            "\(network.name)  (\(network.file))",
            row("input", "\(network.input)" + (batch > 1 ? " x batch \(batch)" : "")),
            row("output", "\(network.output)"),
            row("params", "\(Format.grouped(network.params))  (\(Format.si(network.params)))"),
            row("MACs", "\(Format.grouped(network.macs))  (\(Format.si(network.macs)), fvcore convention\(batch > 1 ? ", per image" : ""))"),
            row("FLOPs", "\(Format.grouped(network.flops))  (\(Format.si(network.flops)), 2 x MACs + elementwise)"),
            row("layers", "\(network.layers.count) (\(convs) conv), \(network.tensors.count) tensors"),
        ]
        for stage in network.stages {
            let cost = network.cost(of: .stage(stage.index))
            lines.append(
                row(
                    "stage \(stage.index)",
                    "\(stage.block) x\(stage.depth)  \(network.layers.last { $0.section == .stage(stage.index) }?.outputShape.description ?? "")  params \(Format.si(cost.params))  MACs \(Format.si(cost.macs))"
                ))
        }
        if network.attentionLayers > 0 {
            let share = Format.percent(Double(network.attentionCost.macs) / Double(max(1, network.macs)))
            lines.append(
                row(
                    "attention",
                    "\(Format.grouped(network.attentionCost.macs))  (\(Format.si(network.attentionCost.macs)), \(share) of MACs; q k^T and A v in \(network.attentionLayers) layers, in the MACs above)"
                ))
        }
        if let budget { lines.append(row("budget", budget.summary)) }
        return lines.joined(separator: "\n")
    }

    private static func row(_ key: String, _ value: String) -> String {
        "  " + key.padding(toLength: 10, withPad: " ", startingAt: 0) + value
    }
}
