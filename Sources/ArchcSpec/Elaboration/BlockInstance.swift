/// One instantiated block: where it sits, which template it came from and the values its
/// parameters took, so a backend can write the block as a class called with arguments.
public struct BlockInstance: Sendable {
    /// How the block's residual came out for this instance.
    public enum Residual: Sendable, Equatable {
        /// No add (`shortcut: none`, or `identity-if-match` when the shapes differ).
        case none
        /// The block input is added as it is.
        case identity
        /// The template's projection runs on the block input before the add.
        case projection
    }

    /// The tensor-name prefix, e.g. `stages.2.blocks.11` or `layer3.5`.
    public var path: String
    public var template: String
    public var stage: Int
    /// Every name the block's expressions could read: its parameters, `in`, `stride` and `out`.
    public var values: [String: Value]
    public var residual: Residual
    /// The stage that instantiated the block.
    public var location: SourceLocation
}
