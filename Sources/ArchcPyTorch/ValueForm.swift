import ArchcSpec

/// What a layer's input is, as far as the emitted code cares: a feature map (N, C, H, W),
/// a token sequence (N, T, C) or a vector (N, F).
enum ValueForm {
    case image, tokens, vector

    init(_ shape: TensorShape) {
        switch shape {
        case .image: self = .image
        case .tokens: self = .tokens
        case .vector: self = .vector
        }
    }

    /// The form after `layer`.
    func after(_ layer: TorchLayer) -> ValueForm {
        switch layer {
        case .tokens: return .tokens
        case .globalAveragePool, .classTokenPool, .tokenMean, .flatten: return .vector
        default: return self
        }
    }
}
