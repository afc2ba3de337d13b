import ArchcIR

/// `fuse-activation`: an activation whose input is a conv's output (its only reader) moves
/// into that conv's epilogue: before the residual add, or after it when the conv already
/// carries one.
public struct FuseActivation: Pass {
    public let flag = "fuse-activation"
    public let summary = "fuse an activation into the epilogue of the conv that produces its input"

    public init() {}

    public func run(on graph: inout Graph) -> Int {
        graph.rewriteNodes { node, graph in
            guard case .activation(let act) = node.kind, let producerIndex = graph.producerIndex(node.inputs[0]),
                case .conv2d(let attrs, var epilogue) = graph.nodes[producerIndex].kind, graph.hasSingleUse(node.inputs[0]),
                Self.absorb(act, into: &epilogue)
            else { return false }
            graph.nodes[producerIndex].kind = .conv2d(attrs, epilogue)
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
