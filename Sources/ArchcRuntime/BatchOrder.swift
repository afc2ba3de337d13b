import ArchcIR

/// The order in which the engine runs a batch: every layer over the whole batch
/// (`layer`), or (`auto`) the leading layers on large maps image by image, then the rest
/// over the whole batch. `archc run --batch-order`.
///
/// A batch of 8 large maps does not stay in cache between two layers: EfficientNet-Lite0's
/// first expand conv writes 38.5 MB at batch 8 (4.8 MB per image), which the next layer
/// reads back from memory. One image's maps do stay, and layers with small weights on large
/// maps lose little by running per image: each weight is still reused over at least
/// `minimumPixels` rows. (ResNet-50 measured slower image by image through layer2, whose
/// Winograd weights take 590 KiB per 3x3 conv: 0.8-0.9x of ONNX Runtime at batch 8 against
/// 0.7-0.9x batched; through layer1 only, 2-5% faster than batched in 8 of 10 rounds.)
public enum BatchOrder: String, Sendable, CaseIterable {
    /// Leading layers on maps of at least `minimumPixels` pixels image by image (`prefixLength`).
    case auto
    /// Every layer over the whole batch.
    case layer

    /// 28x28: ResNet-50's layer1 and layer2, Lite0's 112x112 to 28x28 blocks.
    static let minimumPixels = 784

    /// Per image, a layer reads all its weights once more: layers with more than this many
    /// bytes of weights stay batched. ResNet-50's layer1 (3x3 convs of 147 KiB, run directly on
    /// 56x56 maps) runs per image, layer2 (590 KiB as Winograd's) batched.
    static let maximumWeightBytes = 160 * 1024

    /// How many leading nodes run image by image at `batch`: the longest prefix of nodes
    /// whose outputs are maps of at least `minimumPixels` pixels and whose weights take at
    /// most `maximumWeightBytes`, cut where only the last
    /// prefix node's output is read after it (nothing else, the input included, crosses the
    /// cut). 0 at batch 1, for `layer`, and for graphs whose input is not an image.
    public func prefixLength(_ graph: Graph, batch: Int) -> Int {
        guard self == .auto, batch > 1, graph.inputType.isImage else { return 0 }
        var limit = 0
        for node in graph.nodes {
            let weightBytes = node.weights.reduce(0) { $0 + (graph.constants[$1]?.data.count ?? 0) * 4 }
            guard node.type.isImage, node.type.elements / node.type.channels >= Self.minimumPixels, weightBytes <= Self.maximumWeightBytes else { break }
            limit += 1
        }
        var lastUse: [ValueID: Int] = [:]
        for (index, node) in graph.nodes.enumerated() { for input in node.inputs { lastUse[input] = index } }
        lastUse[graph.output] = graph.nodes.count
        var length = limit
        while length > 0 {
            let values = [Graph.inputID] + graph.nodes[..<length].map(\.id)
            let crossing = values.filter { (lastUse[$0] ?? -1) >= length }
            if crossing == [graph.nodes[length - 1].id] { return length }
            length -= 1
        }
        return 0
    }
}
