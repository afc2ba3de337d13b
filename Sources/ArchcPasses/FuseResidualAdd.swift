import ArchcIR

/// `fuse-residual`: a residual add where one operand is a conv's or linear's output (its only
/// reader) becomes that layer's epilogue, and an activation right after the add follows it
/// in. The fused layer takes the add's place in the order, where both operands are ready.
public struct FuseResidualAdd: Pass {
    public let flag = "fuse-residual"
    public let summary = "fuse a residual add, and an activation after it, into the branch conv's or linear's epilogue"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        graph.rewriteNodes { addIndex, graph in
            let node = graph[addIndex]
            guard case .add = node.kind, let (branch, other) = candidate(node, graph),
                let producerIndex = graph.index(of: branch), var epilogue = graph[producerIndex].kind.epilogue
            else { return false }
            var fused = graph[producerIndex]
            epilogue.residual = true
            fused.kind = fused.kind.with(epilogue)
            fused.inputs.append(other)
            graph.removeNode(at: producerIndex)
            graph.replaceNode(at: addIndex, with: fused)
            graph.replaceUses(of: node.id, with: fused.id)
            if graph.hasSingleUse(fused.id), let actIndex = graph.readers(of: fused.id).first,
                graph[actIndex].inputs == [fused.id], case .activation(let act) = graph[actIndex].kind
            {
                epilogue.postActivation = act
                graph.setKind(fused.kind.with(epilogue), at: addIndex)
                graph.bypass(graph[actIndex].id, with: fused.id)
            }
            return true
        }
    }

    /// The operand to fuse into (a conv or linear with room in its epilogue, read only here)
    /// and the other.
    private func candidate(_ add: Node, _ graph: GraphEditor) -> (ValueID, ValueID)? {
        for (branch, other) in [(add.inputs[0], add.inputs[1]), (add.inputs[1], add.inputs[0])] where branch != other {
            guard let producerIndex = graph.index(of: branch), let e = graph[producerIndex].kind.epilogue,
                !e.residual, e.postActivation == nil, graph.hasSingleUse(branch)
            else { continue }
            return (branch, other)
        }
        return nil
    }
}
