import ArchcSpec

/// A network the IR cannot represent yet: the spec layer knows the op, lowering does not.
public struct LoweringError: Error, CustomStringConvertible {
    public var layer: String
    public var op: String
    public var location: SourceLocation

    public var description: String {
        "\(location): error: the IR cannot lower '\(layer)' (\(op)) yet; archc compile and its cost report still work"
    }
}
