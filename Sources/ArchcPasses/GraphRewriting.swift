import ArchcIR

/// Small queries and edits the passes share.
extension Graph {
    /// Visits the nodes in order, handing each to `rewrite`, which returns true when it
    /// changed the graph at that position; the position is then visited again (it now holds
    /// the rewritten or the next node). Returns how many rewrites were made.
    mutating func rewriteNodes(_ rewrite: (Node, inout Graph) -> Bool) -> Int {
        var rewrites = 0
        var index = 0
        while index < nodes.count {
            if rewrite(nodes[index], &self) { rewrites += 1 } else { index += 1 }
        }
        return rewrites
    }

    /// The node defining `value`, if a node does (the input is not one).
    func producer(of value: ValueID) -> Node? {
        producerIndex(value).map { nodes[$0] }
    }

    /// The nodes reading `value`.
    func users(of value: ValueID) -> [Node] {
        nodes.filter { $0.inputs.contains(value) }
    }

    /// True when exactly one node (and not the graph output) reads `value`. A scan that
    /// stops at the second read and allocates nothing: passes ask it for every node they visit.
    func hasSingleUse(_ value: ValueID) -> Bool {
        guard output != value else { return false }
        var reads = 0
        for node in nodes {
            for input in node.inputs where input == value {
                reads += 1
                if reads > 1 { return false }
            }
        }
        return reads == 1
    }

    /// How many nodes name the constant `name` among their weights.
    func constantUseCount(_ name: String) -> Int {
        nodes.reduce(0) { $0 + $1.weights.filter { $0 == name }.count }
    }

    /// A constant name not yet taken, based on `base`.
    func freshConstantName(_ base: String) -> String {
        if constants[base] == nil { return base }
        var i = 1
        while constants["\(base)#\(i)"] != nil { i += 1 }
        return "\(base)#\(i)"
    }

    /// Writes `tensor` as the weight at `slot` of node `index`: in place when no other node
    /// reads that constant, else under a fresh name.
    mutating func setWeight(node index: Int, slot: Int, _ tensor: Tensor) {
        let name = nodes[index].weights[slot]
        if constantUseCount(name) == 1 {
            constants[name] = tensor
        } else {
            let fresh = freshConstantName(name)
            constants[fresh] = tensor
            nodes[index].weights[slot] = fresh
        }
    }

    /// Gives a conv or linear node a bias (zeros) if it has none; returns its slot.
    mutating func ensureBias(node index: Int, channels: Int) -> Int {
        if nodes[index].weights.count < 2 {
            let name = freshConstantName(nodes[index].name + ".bias")
            constants[name] = Tensor(zeros: [channels])
            nodes[index].weights.append(name)
        }
        return 1
    }

    /// Removes the node that defines `value`, first pointing its readers at `replacement`.
    mutating func bypass(_ value: ValueID, with replacement: ValueID) {
        replaceUses(of: value, with: replacement)
        nodes.removeAll { $0.id == value }
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
