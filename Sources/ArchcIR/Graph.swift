/// A typed dataflow graph: nodes in execution order, each defining one value, reading
/// earlier values and named weight constants.
public struct Graph: Sendable {
    public static let inputID: ValueID = 0

    public var name: String
    public var inputType: TensorType
    public var nodes: [Node]
    public var output: ValueID
    /// Weight constants by name; shapes always known, data filled by `WeightInit` or a checkpoint.
    public var constants: [String: Tensor]

    public init(name: String, inputType: TensorType, nodes: [Node], output: ValueID, constants: [String: Tensor]) {
        self.name = name
        self.inputType = inputType
        self.nodes = nodes
        self.output = output
        self.constants = constants
    }

    /// The type of every value, the input's included: for code that asks per node (`type(of:)`
    /// scans the node list; asked for every node of a 180,000-layer graph it took 20 s).
    public func valueTypes() -> [ValueID: TensorType] {
        var types = [Self.inputID: inputType]
        for node in nodes { types[node.id] = node.type }
        return types
    }

    /// The type of a value (a scan of the nodes; see `valueTypes` for many values).
    public func type(of value: ValueID) -> TensorType? {
        value == Self.inputID ? inputType : nodes.first { $0.id == value }?.type
    }

    /// Index in `nodes` of the node defining `value`.
    public func producerIndex(_ value: ValueID) -> Int? {
        nodes.firstIndex { $0.id == value }
    }

    /// How many times each value is read (the graph output counts as one read).
    public func useCounts() -> [ValueID: Int] {
        var counts: [ValueID: Int] = [output: 1]
        for node in nodes { for input in node.inputs { counts[input, default: 0] += 1 } }
        return counts
    }

    /// A fresh value id, larger than every id in use.
    public var nextID: ValueID { (nodes.map(\.id).max() ?? 0) + 1 }

    /// Replaces every read of `old` by `new`.
    public mutating func replaceUses(of old: ValueID, with new: ValueID) {
        for i in nodes.indices where nodes[i].inputs.contains(old) {
            for j in nodes[i].inputs.indices where nodes[i].inputs[j] == old { nodes[i].inputs[j] = new }
        }
        if output == old { output = new }
    }

    /// How many nodes of each mnemonic the graph holds, for pass summaries.
    public func opCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for node in nodes { counts[node.kind.mnemonic, default: 0] += 1 }
        return counts
    }
}
