/// Limits and settings for turning a spec into a network.
public struct ElaborationOptions: Sendable {
    /// Images per batch: the activation-memory guard scales with it; costs stay per image.
    public var batch = 1
    /// Weights or any single activation beyond this many bytes refuse the spec.
    public var maxBytes = 4 << 30
    /// A spec asking for more blocks or layers is refused before it is expanded.
    public var maxBlocks = SpecLimits.blocks
    public var maxLayers = SpecLimits.layers
    /// Where relative spec paths are read from (nil: the working directory). Diagnostics,
    /// locations and the IR name files as written, so results do not depend on it.
    public var directory: String?

    public init(batch: Int = 1, maxBytes: Int = 4 << 30) {
        self.batch = batch
        self.maxBytes = maxBytes
    }
}
