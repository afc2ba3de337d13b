import ArchcIR

/// `fuse-activation`: an activation whose input is a conv's or linear's output (its only
/// reader) moves into that layer's epilogue: before the residual add, or after it when the
/// layer already carries one.
public struct FuseActivation: Pass {
    public let flag = "fuse-activation"
    public let summary = "fuse an activation into the epilogue of the conv or linear that produces its input"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        graph.rewriteNodes { index, graph in
            let node = graph[index]
            guard case .activation(let act) = node.kind, let producerIndex = graph.index(of: node.inputs[0]),
                var epilogue = graph[producerIndex].kind.epilogue, graph.hasSingleUse(node.inputs[0]),
                Self.absorb(act, into: &epilogue)
            else { return false }
            graph.setKind(graph[producerIndex].kind.with(epilogue), at: producerIndex)
            graph.bypass(node.id, with: node.inputs[0])
            return true
        }
    }

    /// Adds `act` at the first free place of the epilogue; false when there is none.
    static func absorb(_ act: Activation, into epilogue: inout Epilogue) -> Bool {
        if !epilogue.residual, epilogue.activation == nil, epilogue.postActivation == nil {
            epilogue.activation = act
            return true
        }
        if epilogue.residual, epilogue.postActivation == nil {
            epilogue.postActivation = act
            return true
        }
        return false
    }
}
