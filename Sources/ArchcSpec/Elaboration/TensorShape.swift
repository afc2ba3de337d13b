/// The shape of one image's activation (batch excluded): a feature map or a feature vector.
public enum TensorShape: Hashable, Sendable, CustomStringConvertible {
    /// (C, H, W)
    case image(channels: Int, height: Int, width: Int)
    /// (F)
    case vector(Int)

    public var channels: Int {
        switch self {
        case .image(let c, _, _): return c
        case .vector(let f): return f
        }
    }

    public var dims: [Int] {
        switch self {
        case .image(let c, let h, let w): return [c, h, w]
        case .vector(let f): return [f]
        }
    }

    /// Element count, or nil when it overflows.
    public var elements: Int? { Checked.product(dims) }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
