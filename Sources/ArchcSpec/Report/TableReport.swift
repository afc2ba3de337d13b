/// The per-layer cost table: name, op, output shape, params, MACs, share of the total,
/// with a subtotal after the stem, each stage and the head.
public enum TableReport {
    public static func render(_ network: Network, useFLOPs: Bool = false) -> String {
        let total = max(1, useFLOPs ? network.flops : network.macs)
        let header = ["layer", "op", "output", "params", useFLOPs ? "FLOPs" : "MACs", "share"]
        var rows: [[String]] = []
        var section: Layer.Section?
        func subtotal(_ s: Layer.Section) {
            let cost = network.cost(of: s)
            let value = useFLOPs ? cost.flops : cost.macs
            rows.append(["= \(label(s))", "", "", Format.grouped(cost.params), Format.grouped(value), Format.percent(Double(value) / Double(total))])
            rows.append([])
        }
        for layer in network.layers {
            if let current = section, current != layer.section { subtotal(current) }
            section = layer.section
            let value = useFLOPs ? layer.cost.flops : layer.cost.macs
            rows.append([
                layer.name, detail(layer.operation), layer.outputShape.description, Format.grouped(layer.cost.params),
                Format.grouped(value), Format.percent(Double(value) / Double(total)),
            ])
        }
        if let section { subtotal(section) }
        rows.append([
            "= total", "", network.output.description, Format.grouped(network.params),
            Format.grouped(useFLOPs ? network.flops : network.macs), "100.0%",
        ])
        // The attention matmuls' share on its own line: the part fvcore leaves out for timm's models.
        if network.attentionLayers > 0 {
            let attention = useFLOPs ? network.attentionCost.flops : network.attentionCost.macs
            rows.append([
                "= attention", "x\(network.attentionLayers)", "", "0", Format.grouped(attention),
                Format.percent(Double(attention) / Double(total)),
            ])
        }
        return layout(header, rows)
    }

    static func label(_ section: Layer.Section) -> String {
        switch section {
        case .stem: return "stem"
        case .stage(let i): return "stage \(i)"
        case .head: return "head"
        }
    }

    /// `conv 1x1/2`, `dwconv 11x11`, `maxpool 3x3/2`.
    static func detail(_ op: LayerOperation) -> String {
        switch op {
        case .conv(let c):
            var text = "\(op.kind) \(c.kernel.h)x\(c.kernel.w)"
            if c.stride.h != 1 || c.stride.w != 1 { text += "/\(c.stride.h)" }
            if c.groups > 1, !c.isDepthwise { text += " g\(c.groups)" }
            return text
        case .pool(let p): return "\(op.kind) \(p.kernel)x\(p.kernel)/\(p.stride)"
        case .attention(let a): return "\(op.kind) h\(a.heads)x\(a.headDim)"
        default: return op.kind
        }
    }

    private static func layout(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows where !row.isEmpty { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i < 3
                    ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map { $0.isEmpty ? "" : line($0) }).joined(separator: "\n")
    }
}
