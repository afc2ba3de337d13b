/// One node of the elaborated network: a named, shaped, costed operation and its inputs.
public struct Layer: Sendable {
    /// A tensor the layer owns, named exactly as in the reference checkpoint.
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        /// Learned parameters count toward `params`; buffers (running statistics) do not.
        public var isParameter: Bool
    }

    /// Where in the network the layer sits, for subtotals.
    public enum Section: Sendable, Equatable {
        case stem
        case stage(Int)
        case head
    }

    /// Index of the producing layer, or `networkInput`.
    public static let networkInput = -1

    public var name: String
    public var operation: LayerOperation
    public var inputs: [Int]
    public var inputShape: TensorShape
    public var outputShape: TensorShape
    public var tensors: [Tensor]
    public var section: Section
    /// The block instance (`stages.2.blocks.11`) or nil in the stem and head.
    public var block: String?
    public var location: SourceLocation
    public var cost = Cost()
}

/// A layer's price under both conventions (per image).
public struct Cost: Sendable, Equatable {
    public var params = 0
    /// Multiply-accumulates counted fvcore's way (the field's "FLOPs").
    public var macs = 0
    /// True floating-point operations: 2 per MAC plus elementwise work.
    public var flops = 0
}
