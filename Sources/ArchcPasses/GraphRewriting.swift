import ArchcIR

/// A graph under rewrite. The questions a pass asks at every node (who defines this value,
/// is it read once, who reads it, how many nodes name this constant) are answered from
/// tables kept current by each edit, and a removed node is only marked until `finish`, so
/// one sweep over n nodes costs O(n) lookups, not n scans of the node list (a 16,000-node
/// graph took 12 s in `fuse-activation` alone when every question was a scan).
struct GraphEditor {
    private(set) var graph: Graph
    private var removed: [Bool]
    private var position: [ValueID: Int]
    /// Indices of the nodes that read each value, in no order; may repeat an index and may
    /// name nodes since removed or rewired (`readers(of:)` filters).
    private var readerIndices: [ValueID: [Int]]
    /// Reads of each value; the graph output counts as one.
    private var uses: [ValueID: Int]
    private var constantUses: [String: Int]
    /// The next suffix `freshConstantName` tries for each base name.
    private var nextSuffix: [String: Int] = [:]

    init(_ graph: consuming Graph) {
        self.graph = graph
        removed = Array(repeating: false, count: self.graph.nodes.count)
        position = [:]
        readerIndices = [:]
        uses = [self.graph.output: 1]
        constantUses = [:]
        for (index, node) in self.graph.nodes.enumerated() {
            position[node.id] = index
            for input in node.inputs {
                readerIndices[input, default: []].append(index)
                uses[input, default: 0] += 1
            }
            for name in node.weights { constantUses[name, default: 0] += 1 }
        }
    }

    /// The rewritten graph, removed nodes dropped.
    consuming func finish() -> Graph {
        if removed.contains(true) {
            graph.nodes = graph.nodes.indices.filter { !removed[$0] }.map { graph.nodes[$0] }
        }
        return graph
    }

    /// Visits the nodes in order, handing each live one's index to `rewrite`, which returns
    /// true when it changed the graph. A rewrite may change or remove the node it is given
    /// and nodes before it, or remove nodes after it (those are then skipped); it never
    /// moves a node. Returns how many rewrites were made.
    mutating func sweep(_ rewrite: (Int, inout GraphEditor) -> Bool) -> Int {
        var rewrites = 0
        var index = 0
        while index < graph.nodes.count {
            if !removed[index], rewrite(index, &self) { rewrites += 1 }
            index += 1
        }
        return rewrites
    }

    subscript(index: Int) -> Node { graph.nodes[index] }

    var output: ValueID { graph.output }

    func constant(_ name: String) -> Tensor { graph.constants[name]! }

    /// Index of the live node defining `value`; nil for the graph input.
    func index(of value: ValueID) -> Int? { position[value] }

    /// The type of a value.
    func type(of value: ValueID) -> TensorType? {
        value == Graph.inputID ? graph.inputType : index(of: value).map { graph.nodes[$0].type }
    }

    /// True when exactly one node (and not the graph output) reads `value`.
    func hasSingleUse(_ value: ValueID) -> Bool {
        value != graph.output && uses[value, default: 0] == 1
    }

    /// Indices of the live nodes reading `value`, in graph order.
    func readers(of value: ValueID) -> [Int] {
        Set(readerIndices[value, default: []]).filter { !removed[$0] && graph.nodes[$0].inputs.contains(value) }.sorted()
    }

    /// Changes the kind of the node at `index` (its reads stay).
    mutating func setKind(_ kind: OpKind, at index: Int) {
        graph.nodes[index].kind = kind
    }

    /// Replaces the node at `index` by `node` (which may have another id, reads and weights).
    mutating func replaceNode(at index: Int, with node: Node) {
        forget(index)
        graph.nodes[index] = node
        record(index)
    }

    /// Marks the node at `index` removed; its reads stop counting.
    mutating func removeNode(at index: Int) {
        forget(index)
        removed[index] = true
    }

    /// Points every read of `old` (and the graph output) at `new`.
    mutating func replaceUses(of old: ValueID, with new: ValueID) {
        for index in readers(of: old) {
            for slot in graph.nodes[index].inputs.indices where graph.nodes[index].inputs[slot] == old {
                graph.nodes[index].inputs[slot] = new
            }
            readerIndices[new, default: []].append(index)
        }
        readerIndices[old] = nil
        uses[new, default: 0] += uses[old, default: 0]
        uses[old] = nil
        if graph.output == old { graph.output = new }
    }

    /// Removes the node that defines `value`, first pointing its readers at `replacement`.
    mutating func bypass(_ value: ValueID, with replacement: ValueID) {
        replaceUses(of: value, with: replacement)
        removeNode(at: index(of: value)!)
    }

    /// A constant name not yet taken, based on `base`.
    mutating func freshConstantName(_ base: String) -> String {
        if graph.constants[base] == nil { return base }
        var suffix = nextSuffix[base, default: 1]
        while graph.constants["\(base)#\(suffix)"] != nil { suffix += 1 }
        nextSuffix[base] = suffix + 1
        return "\(base)#\(suffix)"
    }

    /// Stores a new constant under a fresh name based on `base`; returns the name.
    mutating func addConstant(_ tensor: Tensor, base: String) -> String {
        let name = freshConstantName(base)
        graph.constants[name] = tensor
        return name
    }

    /// Writes `tensor` as the weight at `slot` of node `index`: in place when no other node
    /// reads that constant, else under a fresh name.
    mutating func setWeight(node index: Int, slot: Int, _ tensor: Tensor) {
        let name = graph.nodes[index].weights[slot]
        if constantUses[name, default: 0] == 1 {
            graph.constants[name] = tensor
        } else {
            var node = graph.nodes[index]
            node.weights[slot] = addConstant(tensor, base: name)
            replaceNode(at: index, with: node)
        }
    }

    /// Gives a conv or linear node a bias (zeros) if it has none; returns its slot.
    mutating func ensureBias(node index: Int, channels: Int) -> Int {
        if graph.nodes[index].weights.count < 2 {
            var node = graph.nodes[index]
            node.weights.append(addConstant(Tensor(zeros: [channels]), base: node.name + ".bias"))
            replaceNode(at: index, with: node)
        }
        return 1
    }

    private mutating func forget(_ index: Int) {
        let node = graph.nodes[index]
        if position[node.id] == index { position[node.id] = nil }
        for input in node.inputs { uses[input, default: 0] -= 1 }
        for name in node.weights { constantUses[name, default: 0] -= 1 }
    }

    private mutating func record(_ index: Int) {
        let node = graph.nodes[index]
        position[node.id] = index
        for input in node.inputs {
            readerIndices[input, default: []].append(index)
            uses[input, default: 0] += 1
        }
        for name in node.weights { constantUses[name, default: 0] += 1 }
    }
}

extension Graph {
    /// Runs `rewrite` over the nodes in one sweep (`GraphEditor.sweep`); returns how many
    /// rewrites were made.
    mutating func rewriteNodes(_ rewrite: (Int, inout GraphEditor) -> Bool) -> Int {
        var editor = GraphEditor(self)
        self = Graph(name: name, inputType: inputType, nodes: [], output: output, constants: [:])
        let rewrites = editor.sweep(rewrite)
        self = editor.finish()
        return rewrites
    }
}

extension Node {
    var isPlainConvOrLinear: Bool {
        switch kind {
        case .conv2d(_, let e), .linear(let e): return e.isEmpty
        default: return false
        }
    }
}

/// Per-output-channel multiply of a conv/linear weight (rows = first dimension).
func scaleRows(_ w: Tensor, by scale: [Float]) -> Tensor {
    let rows = w.dims[0], inner = w.count / rows
    var data = w.data
    for r in 0..<rows { for i in 0..<inner { data[r * inner + i] *= scale[r] } }
    return Tensor(dims: w.dims, data: data)
}
