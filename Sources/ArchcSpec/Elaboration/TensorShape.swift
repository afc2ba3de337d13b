/// The shape of one image's activation (batch excluded): a feature map, a token sequence
/// or a feature vector.
public enum TensorShape: Hashable, Sendable, CustomStringConvertible {
    /// (C, H, W)
    case image(channels: Int, height: Int, width: Int)
    /// (T, C): a sequence of T tokens of C channels each, channels last (a transformer's
    /// activation; token 0 is the class token once `cls_token` has run).
    case tokens(count: Int, channels: Int)
    /// (F)
    case vector(Int)

    /// The channel count: C of a feature map or of every token, F of a vector.
    public var channels: Int {
        switch self {
        case .image(let c, _, _): return c
        case .tokens(_, let c): return c
        case .vector(let f): return f
        }
    }

    public var dims: [Int] {
        switch self {
        case .image(let c, let h, let w): return [c, h, w]
        case .tokens(let t, let c): return [t, c]
        case .vector(let f): return [f]
        }
    }

    /// "a feature map [96, 56, 56]", "tokens [197, 384]", "a feature vector [1000]": for messages.
    public var kindDescription: String {
        switch self {
        case .image: return "a feature map \(self)"
        case .tokens: return "tokens \(self)"
        case .vector: return "a feature vector \(self)"
        }
    }

    /// Element count, or nil when it overflows.
    public var elements: Int? { Checked.product(dims) }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
